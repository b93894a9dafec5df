import Foundation

/// The group commit: one batch of work items in one transaction, ordered with the body log's
/// write so that no row commits before its body is durable.
extension WriterCore {
    /// Runs one batch in one transaction; calls every completion once, after the transaction.
    func execute(_ batch: [Job]) {
        // The batch's bodies: reserved in order, written and fsynced by the body thread while the
        // items run, waited for before COMMIT (a row never commits before its body is durable).
        var items = batch.map { job in (job: job, body: job.body.map { bodies.reserve($0) }) }
        bodies.startWrite()
        var writing = true
        var failed: [(Job, StorageError)] = []
        var restarts = 0
        var finishers: [(StorageError?) -> Void] = []
        finishers.reserveCapacity(items.count)
        var transactionError: StorageError?

        attempt: while true {
            finishers.removeAll(keepingCapacity: true)
            if items.isEmpty { break attempt }
            do {
                // Never expected: a transaction left open (a failed ROLLBACK). Start clean.
                if db.isInTransaction { try db.run("ROLLBACK") }
                try db.run("BEGIN IMMEDIATE")
            } catch {
                transactionError = .wrapping(error)
                failed += items.map { ($0.job, .wrapping(error)) }
                break attempt
            }
            var index = 0
            while index < items.count {
                let item = items[index]
                var outcome: Result<(StorageError?) -> Void, StorageError>
                let savepoint = item.job.savepoint
                do {
                    if savepoint { try db.run("SAVEPOINT item") }
                    outcome = item.job.run(db, item.body)
                    if savepoint, case .success = outcome { try db.run("RELEASE item") }
                } catch {
                    outcome = .failure(.wrapping(error))
                }
                switch outcome {
                case .success(let finish):
                    finishers.append(finish)
                    index += 1
                case .failure(let error):
                    failed.append((item.job, error))
                    items.remove(at: index)
                    if db.isInTransaction {
                        // Undo this item only; the transaction goes on. (Work without a savepoint
                        // changed nothing that SQLite did not undo already.)
                        if savepoint {
                            _ = try? db.run("ROLLBACK TO item")
                            _ = try? db.run("RELEASE item")
                        }
                    } else {
                        // SQLite rolled the whole transaction back: the items before this one lost
                        // their changes. Run the remaining items again in a fresh transaction
                        // (their bodies keep their places).
                        restarts += 1
                        continue attempt
                    }
                }
            }
            if writing {
                writing = false
                do {
                    try bodies.finishWrite()
                } catch {
                    // Not durable: the items with a body fail; the others run again without them.
                    if db.isInTransaction { _ = try? db.run("ROLLBACK") }
                    let storageError = StorageError.wrapping(error)
                    let lost = items.indices.filter { if case .success? = items[$0].body { true } else { false } }
                    failed += lost.map { (items[$0].job, storageError) }
                    for lostIndex in lost.reversed() { items.remove(at: lostIndex) }
                    restarts += 1
                    continue attempt
                }
            }
            do {
                try db.run("COMMIT")
            } catch {
                if db.isInTransaction { _ = try? db.run("ROLLBACK") }
                transactionError = .wrapping(error)
            }
            break attempt
        }
        if writing { _ = try? bodies.finishWrite() }  // the batch ended before its commit

        condition.lock()
        stats.batches += 1
        stats.largestBatch = max(stats.largestBatch, batch.count)
        stats.restarts += restarts
        if transactionError != nil {
            stats.failedTransactions += 1
            stats.itemsFailed += failed.count + finishers.count
        } else {
            if !finishers.isEmpty { stats.commits += 1 }
            stats.itemsCommitted += finishers.count
            stats.itemsFailed += failed.count
        }
        condition.unlock()

        if transactionError == nil, !finishers.isEmpty { checkpointer?.noteCommit() }
        let finished = finishers
        completions.enqueue {
            for finish in finished { finish(transactionError) }
            for (job, error) in failed { job.fail(error) }
        }
    }
}
