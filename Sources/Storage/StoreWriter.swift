import Foundation

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
