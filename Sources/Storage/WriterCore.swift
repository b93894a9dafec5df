// The writer's queue and thread: work items (`Job`s) wait here until the writer thread takes
// them as one batch; the batch itself runs in WriterCore+GroupCommit.swift.
import Foundation

/// One queued work item, type-erased.
struct Job: Sendable {
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
final class WriterCore: @unchecked Sendable {
    private enum State { case running, closing, closed }

    let condition = NSCondition()
    private var queue: [Job] = []
    private var state = State.running
    var stats = WriterStatistics()
    private var closeWaiters: [@Sendable () -> Void] = []
    let db: SQLiteDatabase
    let bodies: BodyLog
    private let maxBatchSize: Int
    let checkpointer: Checkpointer?
    /// Runs the completions, in batch order: answering a batch (building responses, resuming
    /// connections, waking the engine) overlaps the next batch's transaction instead of delaying it.
    let completions = SerialThread(name: "store-answers")
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
}
