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
