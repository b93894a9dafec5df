import CSQLite
import Foundation

/// How a store is opened.
public struct StoreOptions: Sendable {
    /// How long a connection waits for a lock held by another connection before `SQLITE_BUSY`.
    public var busyTimeoutMilliseconds: Int32
    /// Storage cap in pages (4096 bytes each by default): the database may not grow past it, and a
    /// write that would need more fails with `SQLITE_FULL` (`StorageError.isFull`) exactly as on a
    /// full disk. `nil` = no cap beyond SQLite's default. Tests use it to simulate a full disk.
    public var maxPageCount: Int64?
    /// Upper bound on work items per transaction; the writer otherwise takes everything queued.
    public var maxBatchSize: Int
    /// Schema steps applied on open.
    public var migrations: [Migration]
    /// Checkpoint the WAL on a separate thread (see `Checkpointer`) instead of inside commits.
    public var backgroundCheckpoints: Bool
    /// Cap on the bytes the body log's segment files hold together (`nil`: the disk's). A body
    /// that would pass it fails with `StorageError.full`, like a full disk. Tests use it.
    public var maxBodyBytes: Int64?
    /// Size at which the body log starts a new segment file.
    public var bodySegmentBytes: Int64
    /// Commits between two background checkpoints. Each checkpoint writes the pages changed
    /// since the last one into the database file and fsyncs it: the hot pages (the inbox's
    /// index leaves) change in every commit, so fewer checkpoints write them fewer times. With
    /// bodies in the body log a commit adds a few pages to the WAL, so 256 keep it to a few MB.
    public var commitsPerCheckpoint: Int

    public init(
        busyTimeoutMilliseconds: Int32 = 5_000, maxPageCount: Int64? = nil,
        maxBatchSize: Int = 4_096, migrations: [Migration] = Schema.migrations,
        backgroundCheckpoints: Bool = true, maxBodyBytes: Int64? = nil,
        bodySegmentBytes: Int64 = 64 << 20, commitsPerCheckpoint: Int = 256
    ) {
        self.busyTimeoutMilliseconds = busyTimeoutMilliseconds
        self.maxPageCount = maxPageCount
        self.maxBatchSize = max(1, maxBatchSize)
        self.migrations = migrations
        self.backgroundCheckpoints = backgroundCheckpoints
        self.maxBodyBytes = maxBodyBytes
        self.bodySegmentBytes = bodySegmentBytes
        self.commitsPerCheckpoint = commitsPerCheckpoint
    }
}

/// Counters of the writer since it started (group commit is visible as `itemsCommitted > commits`).
public struct WriterStatistics: Sendable, Equatable {
    /// Transactions committed (one fsync of the WAL each).
    public var commits = 0
    /// Transactions that failed as a whole at BEGIN or COMMIT (every item in them failed).
    public var failedTransactions = 0
    /// Work items whose changes were committed.
    public var itemsCommitted = 0
    /// Work items that reported an error (their own, or their transaction's).
    public var itemsFailed = 0
    /// Batches taken from the queue.
    public var batches = 0
    /// The most items taken in one batch.
    public var largestBatch = 0
    /// Times a whole transaction was rolled back after an item's error (SQLite does it for
    /// `SQLITE_FULL` and the like) or because the body log could not be written, so the other
    /// items of the batch were run again in a fresh transaction.
    public var restarts = 0
    /// Background WAL checkpoints run (0 when `backgroundCheckpoints` is off).
    public var checkpoints = 0
    public init() {}
}

/// The single writer of a store, with group commit.
///
/// One dedicated thread (not Swift concurrency: `sqlite3_step` and the WAL fsync block) owns the
/// write connection. Work items are queued by any thread; the writer takes everything queued
/// (up to `maxBatchSize`), runs it in ONE `BEGIN IMMEDIATE ... COMMIT` transaction with each item
/// inside its own SAVEPOINT (an item that throws rolls back only itself and gets its own error),
/// commits (`synchronous=FULL`: durable when COMMIT returns), and only then calls the completions
/// (those of the batch's committed items in submission order, then its failures). Completions run
/// on a second thread, the completion thread, in batch order, so the writer starts the next batch
/// while the previous one's answers are being sent. Completions must be quick and must not block
/// (resume a continuation, resume an HTTP connection); anything slow delays every later answer.
///
/// If the COMMIT fails (disk full, I/O error), every item of the batch gets that error and
/// nothing of the batch is stored; earlier commits are untouched. If SQLite rolls the whole
/// transaction back by itself after one item's error (it may for `SQLITE_FULL`, `SQLITE_IOERR`,
/// `SQLITE_NOMEM`), that item fails and the others are run again in a fresh transaction, so a
/// work item must only touch the database (it may run more than once; only one run commits).
/// A work item must not run `BEGIN`, `COMMIT` or `ROLLBACK` itself.
///
/// Large values (webhook bodies) go to the body log (`bodies`, files next to the database): work
/// submitted with a body gets its place reserved before the batch's transaction starts; the body
/// thread writes and fsyncs the batch's bodies (one write) while the items run, and the writer
/// waits for that before COMMIT. If the write fails, the items with a body fail with its error and
/// the others are run again in a fresh transaction.
public final class StoreWriter: Sendable {
    public let path: String
    /// The body log, in `<directory of path>/bodies`.
    public let bodies: BodyLog
    private let core: WriterCore

    /// Opens (creating if needed) the database at `path`, configures WAL + `synchronous=FULL`,
    /// applies `options.migrations`, opens the body log, and starts the writer thread. Blocking:
    /// call it at startup.
    public init(path: String, options: StoreOptions = StoreOptions()) throws {
        self.path = path
        bodies = try BodyLog(
            directory: ((path as NSString).deletingLastPathComponent as NSString)
                .appendingPathComponent(BodyLog.directoryName),
            segmentBytes: options.bodySegmentBytes, capacity: options.maxBodyBytes)
        let db = try SQLiteDatabase(
            path: path, flags: [.readWrite, .create, .noMutex],
            busyTimeoutMilliseconds: options.busyTimeoutMilliseconds)
        try db.configureForWriting(maxPageCount: options.maxPageCount)
        try db.migrate(options.migrations)
        var checkpointer: Checkpointer?
        if options.backgroundCheckpoints {
            // Safety net only: the writer checkpoints by itself if the WAL passes 64 MB.
            try db.exec("PRAGMA wal_autocheckpoint=16384")
            checkpointer = try Checkpointer(
                path: path, busyTimeoutMilliseconds: options.busyTimeoutMilliseconds,
                commitsPerCheckpoint: options.commitsPerCheckpoint)
            checkpointer?.start()
        }
        core = WriterCore(db: db, bodies: bodies, maxBatchSize: options.maxBatchSize, checkpointer: checkpointer)
        core.start()
    }

    deinit { core.requestClose(waiter: nil) }

    /// Queues `work`; `completion` is called once, on the completion thread, after the transaction
    /// holding it committed (`.success`) or failed (`.failure`). After `close()` the completion is
    /// called at once, on the calling thread, with `.failure(.closed)`.
    public func submit<T: Sendable>(
        _ work: @escaping @Sendable (SQLiteDatabase) throws -> T,
        completion: @escaping @Sendable (Result<T, StorageError>) -> Void
    ) {
        enqueue(body: nil, savepoint: true, { db, _ in try work(db) }, completion: completion)
    }

    /// `submit` for work that stores `body` in the body log. The writer reserves its place before
    /// the batch's transaction (`.failure(.full)` if it would pass the log's cap), writes it while
    /// the transaction runs, and commits only once it is durable; `work` gets the reservation and
    /// stores the location with its row. If the body cannot be written, the item fails with that
    /// error. A body whose item stores nothing (it throws, or finds a duplicate) is written anyway,
    /// never referenced, and removed with its segment.
    ///
    /// No savepoint is taken around this work (it is the hot path of every webhook): it must throw
    /// only before its first change, or from the one statement whose failure SQLite undoes by itself.
    public func submit<T: Sendable>(
        body: [UInt8],
        _ work: @escaping @Sendable (SQLiteDatabase, Result<BodyLocation, StorageError>) throws -> T,
        completion: @escaping @Sendable (Result<T, StorageError>) -> Void
    ) {
        enqueue(
            body: body, savepoint: false,
            { db, reservation in
                try work(db, reservation ?? .failure(.invalidData("no place was reserved for the body")))
            }, completion: completion)
    }

    private func enqueue<T: Sendable>(
        body: [UInt8]?, savepoint: Bool,
        _ work: @escaping @Sendable (SQLiteDatabase, Result<BodyLocation, StorageError>?) throws -> T,
        completion: @escaping @Sendable (Result<T, StorageError>) -> Void
    ) {
        let job = Job(
            body: body,
            savepoint: savepoint,
            run: { db, reservation in
                do {
                    let value = try work(db, reservation)
                    return .success({ commitError in
                        if let commitError { completion(.failure(commitError)) } else { completion(.success(value)) }
                    })
                } catch {
                    return .failure(.wrapping(error))
                }
            },
            fail: { completion(.failure($0)) })
        if !core.enqueue(job) { completion(.failure(.closed)) }
    }

    /// `submit` for async code: returns once committed. Errors thrown by `work` are rethrown as
    /// they were; storage failures are `StorageError`.
    public func perform<T: Sendable>(_ work: @escaping @Sendable (SQLiteDatabase) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            submit(work) { result in
                switch result {
                case .success(let value): continuation.resume(returning: value)
                case .failure(.workFailed(let error)): continuation.resume(throwing: error)
                case .failure(let error): continuation.resume(throwing: error)
                }
            }
        }
    }

    /// Waits until everything queued before this call has committed (or failed).
    public func flush() async throws {
        try await perform { _ in () }
    }

    /// Work items queued and not yet taken by the writer.
    public var queuedCount: Int { core.queuedCount }

    public var statistics: WriterStatistics { core.statistics }

    /// True until `close()` is called.
    public var isOpen: Bool { core.isOpen }

    /// Stops accepting work, finishes everything already queued (completions included), closes the
    /// connection, and returns once the writer thread has ended. Blocking; idempotent. Called from
    /// a work item or a completion (the writer's own threads) it only starts the shutdown and returns.
    public func close() {
        let done = DispatchSemaphore(value: 0)
        if core.requestClose(waiter: { done.signal() }) { done.wait() }
    }

    /// `close()` without blocking a thread of the cooperative pool.
    public func close() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            if !core.requestClose(waiter: { continuation.resume() }) { continuation.resume() }
        }
    }
}

/// One queued work item, type-erased.
private struct Job: Sendable {
    /// A body for the body log, if the work stores one.
    var body: [UInt8]?
    /// Whether the work runs inside a SAVEPOINT (undone alone if it throws after changing something).
    var savepoint: Bool
    /// Runs the work (inside a savepoint, on the writer thread), with the place reserved for its
    /// body. On success it returns the function to call after the transaction ended (with the
    /// COMMIT error, if any).
    let run:
        @Sendable (SQLiteDatabase, Result<BodyLocation, StorageError>?) -> Result<(StorageError?) -> Void, StorageError>
    /// Reports a failure of this item.
    let fail: @Sendable (StorageError) -> Void
}

/// The queue and the thread behind a `StoreWriter`.
///
/// `@unchecked Sendable` is safe because: `queue`, `state`, `stats` and `closeWaiters` are only
/// touched with `condition` locked; `db` is only touched by the writer thread once `start()` has
/// handed it over (the initializer configured it before the thread existed, and the thread's
/// creation orders those writes before the thread's reads); `thread` is written once, under the
/// lock, before the thread starts; `maxBatchSize`, `checkpointer`, `bodies` and `completions`
/// (all three Sendable) are immutable, and the body log's writer-side calls happen on the writer
/// thread only.
private final class WriterCore: @unchecked Sendable {
    private enum State { case running, closing, closed }

    private let condition = NSCondition()
    private var queue: [Job] = []
    private var state = State.running
    private var stats = WriterStatistics()
    private var closeWaiters: [@Sendable () -> Void] = []
    private let db: SQLiteDatabase
    private let bodies: BodyLog
    private let maxBatchSize: Int
    private let checkpointer: Checkpointer?
    /// Runs the completions, in batch order: answering a batch (building responses, resuming
    /// connections, waking the engine) overlaps the next batch's transaction instead of delaying it.
    private let completions = SerialThread(name: "store-answers")
    private var thread: Thread?

    init(db: SQLiteDatabase, bodies: BodyLog, maxBatchSize: Int, checkpointer: Checkpointer?) {
        self.db = db
        self.bodies = bodies
        self.maxBatchSize = maxBatchSize
        self.checkpointer = checkpointer
    }

    func start() {
        let thread = namedThread("store-writer") { [self] in self.loop() }
        condition.lock()
        self.thread = thread
        condition.unlock()
        completions.start()
        thread.start()
    }

    func enqueue(_ job: Job) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard state == .running else { return false }
        queue.append(job)
        condition.signal()
        return true
    }

    var queuedCount: Int {
        condition.lock()
        defer { condition.unlock() }
        return queue.count
    }

    var statistics: WriterStatistics {
        condition.lock()
        var copy = stats
        condition.unlock()
        copy.checkpoints = checkpointer?.counts.checkpoints ?? 0
        return copy
    }

    var isOpen: Bool {
        condition.lock()
        defer { condition.unlock() }
        return state == .running
    }

    /// Starts the shutdown. Returns true if `waiter` will be called when the thread has ended;
    /// false if it will not (already closed, or called on the writer thread, which cannot wait
    /// for itself).
    @discardableResult
    func requestClose(waiter: (@Sendable () -> Void)?) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        if state == .running {
            state = .closing
            condition.signal()
        }
        guard state != .closed, let waiter, Thread.current !== thread, !completions.isCurrent else { return false }
        closeWaiters.append(waiter)
        return true
    }

    private func loop() {
        while true {
            condition.lock()
            while queue.isEmpty && state == .running { condition.wait() }
            if queue.isEmpty {  // closing, and everything queued is done
                condition.unlock()
                break
            }
            let batch: [Job]
            if queue.count <= maxBatchSize {
                batch = queue
                queue = []
            } else {
                batch = Array(queue.prefix(maxBatchSize))
                queue.removeFirst(maxBatchSize)
            }
            condition.unlock()
            execute(batch)
        }
        checkpointer?.stop()
        db.close()
        bodies.close()
        completions.finish()
        condition.lock()
        state = .closed
        let waiters = closeWaiters
        closeWaiters = []
        condition.unlock()
        for waiter in waiters { waiter() }
    }

    /// Runs one batch in one transaction; calls every completion once, after the transaction.
    private func execute(_ batch: [Job]) {
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
                    for i in lost.reversed() { items.remove(at: i) }
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
