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
