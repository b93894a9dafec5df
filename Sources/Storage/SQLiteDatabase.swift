import CSQLite

/// One SQLite connection: a thin, safe wrapper over the C API.
///
/// Not `Sendable`: a connection belongs to one thread at a time. The write connection lives on
/// the `StoreWriter` thread and is only reachable through work items; read connections are kept
/// behind a lock (see `Inbox`).
///
/// Prepared statements are cached per SQL text (`withStatement`), reset and unbound after each use,
/// so the hot paths prepare nothing. A cached statement must not be used re-entrantly (do not run
/// the same SQL text from inside its own `withStatement` body).
public final class SQLiteDatabase {
    public struct OpenFlags: OptionSet, Sendable {
        public let rawValue: Int32
        public init(rawValue: Int32) { self.rawValue = rawValue }
        public static let readOnly = OpenFlags(rawValue: SQLITE_OPEN_READONLY)
        public static let readWrite = OpenFlags(rawValue: SQLITE_OPEN_READWRITE)
        public static let create = OpenFlags(rawValue: SQLITE_OPEN_CREATE)
        /// Multi-thread mode: no per-connection mutex. Safe because a connection is never used by
        /// two threads at once (see the type's comment).
        public static let noMutex = OpenFlags(rawValue: SQLITE_OPEN_NOMUTEX)
    }

    private var handle: OpaquePointer?
    public let path: String
    private var cache: [String: SQLiteStatement] = [:]

    /// Opens (and with `.create`, creates) the database at `path`, with a busy timeout.
    public init(
        path: String, flags: OpenFlags = [.readWrite, .create, .noMutex],
        busyTimeoutMilliseconds: Int32 = 5_000
    ) throws {
        self.path = path
        var db: OpaquePointer?
        let rc = sqlite3_open_v2(path, &db, flags.rawValue, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(rc))
            let ext = db.map { sqlite3_extended_errcode($0) } ?? rc
            sqlite3_close_v2(db)
            throw StorageError.sqlite(code: rc & 0xff, extendedCode: ext, message: message, operation: "open \(path)")
        }
        handle = db
        sqlite3_extended_result_codes(db, 1)
        sqlite3_busy_timeout(db, busyTimeoutMilliseconds)
    }

    deinit { close() }

    /// Finalizes every cached statement and closes the connection. Idempotent.
    public func close() {
        for statement in cache.values { statement.finalize() }
        cache.removeAll()
        if let handle { sqlite3_close_v2(handle) }
        handle = nil
    }

    var isOpen: Bool { handle != nil }

    func requireHandle(_ operation: String) throws -> OpaquePointer {
        guard let handle else {
            throw StorageError.sqlite(
                code: SQLITE_MISUSE, extendedCode: SQLITE_MISUSE,
                message: "connection is closed", operation: operation)
        }
        return handle
    }

    /// The error for the last failed call on this connection.
    func error(_ rc: Int32, _ operation: String) -> StorageError {
        guard let handle else {
            return .sqlite(
                code: rc & 0xff, extendedCode: rc, message: String(cString: sqlite3_errstr(rc)), operation: operation)
        }
        return .sqlite(
            code: rc & 0xff, extendedCode: sqlite3_extended_errcode(handle),
            message: String(cString: sqlite3_errmsg(handle)), operation: operation)
    }

    /// Runs one or more SQL statements without results (schema, pragmas, BEGIN/COMMIT).
    public func exec(_ sql: String) throws {
        let db = try requireHandle(sql)
        let rc = sqlite3_exec(db, sql, nil, nil, nil)
        guard rc == SQLITE_OK else { throw error(rc, Self.describe(sql)) }
    }

    /// Prepares an uncached statement; the caller owns it (it is finalized on deinit).
    public func prepare(_ sql: String) throws -> SQLiteStatement {
        let db = try requireHandle(sql)
        var stmt: OpaquePointer?
        let rc = sqlite3_prepare_v3(db, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &stmt, nil)
        guard rc == SQLITE_OK, let stmt else { throw error(rc, "prepare " + Self.describe(sql)) }
        return SQLiteStatement(handle: stmt, sql: sql)
    }

    /// Runs `body` with the cached prepared statement for `sql`, then resets it and clears its
    /// bindings (also when `body` throws).
    public func withStatement<R>(_ sql: String, _ body: (SQLiteStatement) throws -> R) throws -> R {
        let statement: SQLiteStatement
        if let cached = cache[sql] {
            statement = cached
        } else {
            statement = try prepare(sql)
            cache[sql] = statement
        }
        defer { statement.reset() }
        return try body(statement)
    }

    /// Runs a cached statement that returns no rows, with the given binder; returns the number of
    /// rows changed.
    @discardableResult
    public func run(_ sql: String, bind: (SQLiteStatement) throws -> Void = { _ in }) throws -> Int {
        try withStatement(sql) { st in
            try bind(st)
            while try st.step() {}
            return changes
        }
    }

    /// Rows changed by the last INSERT, UPDATE or DELETE on this connection.
    public var changes: Int { handle.map { Int(sqlite3_changes64($0)) } ?? 0 }

    public var lastInsertRowID: Int64 { handle.map { sqlite3_last_insert_rowid($0) } ?? 0 }

    /// True while a transaction is open. SQLite may roll a whole transaction back on its own after
    /// `SQLITE_FULL`, `SQLITE_IOERR`, `SQLITE_NOMEM` or `SQLITE_BUSY`; this is how to notice.
    public var isInTransaction: Bool { handle.map { sqlite3_get_autocommit($0) == 0 } ?? false }

    /// Reads a single integer (e.g. `PRAGMA user_version`, `SELECT count(*) ...`).
    public func scalarInt64(_ sql: String) throws -> Int64? {
        try withStatement(sql) { st in try st.step() ? (st.isNull(0) ? nil : st.int64(0)) : nil }
    }

    /// Reads a single text value (e.g. `PRAGMA journal_mode`).
    public func scalarString(_ sql: String) throws -> String? {
        try withStatement(sql) { st in try st.step() ? st.string(0) : nil }
    }

    /// `PRAGMA user_version`.
    public func userVersion() throws -> Int32 {
        Int32(truncatingIfNeeded: try scalarInt64("PRAGMA user_version") ?? 0)
    }

    /// Storage cap: the database may not grow beyond `pages` pages (page size is 4096 by default);
    /// writes that would need more fail with `SQLITE_FULL` (`StorageError.isFull`), exactly like a
    /// full disk. SQLite never lowers the cap below the current size. Returns the cap in effect.
    @discardableResult
    public func setMaxPageCount(_ pages: Int64) throws -> Int64 {
        try scalarInt64("PRAGMA max_page_count = \(pages)") ?? pages
    }

    /// Pages currently used by the database.
    public func pageCount() throws -> Int64 { try scalarInt64("PRAGMA page_count") ?? 0 }

    public enum CheckpointMode: Sendable {
        case passive, full, restart, truncate
        var raw: Int32 {
            switch self {
            case .passive: SQLITE_CHECKPOINT_PASSIVE
            case .full: SQLITE_CHECKPOINT_FULL
            case .restart: SQLITE_CHECKPOINT_RESTART
            case .truncate: SQLITE_CHECKPOINT_TRUNCATE
            }
        }
    }

    /// Runs a WAL checkpoint; returns the frames in the WAL and how many of them are now in the
    /// database file.
    @discardableResult
    public func checkpoint(_ mode: CheckpointMode) throws -> (walFrames: Int, checkpointed: Int) {
        let db = try requireHandle("checkpoint")
        var log: Int32 = 0
        var done: Int32 = 0
        let rc = sqlite3_wal_checkpoint_v2(db, nil, mode.raw, &log, &done)
        guard rc == SQLITE_OK else { throw error(rc, "checkpoint") }
        return (Int(log), Int(done))
    }

    /// WAL, `synchronous=FULL` (a COMMIT is durable when it returns), foreign keys, a WAL size limit.
    /// For the connection that writes.
    public func configureForWriting(maxPageCount: Int64? = nil) throws {
        let mode = try scalarString("PRAGMA journal_mode=WAL")
        guard mode?.lowercased() == "wal" else {
            throw StorageError.sqlite(
                code: SQLITE_ERROR, extendedCode: SQLITE_ERROR,
                message: "could not enable WAL (journal_mode is \(mode ?? "unknown"))",
                operation: "PRAGMA journal_mode=WAL")
        }
        try exec("PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA journal_size_limit=67108864;")
        if let maxPageCount { try setMaxPageCount(maxPageCount) }
    }

    /// For read connections: foreign keys (harmless), and `query_only` so a reader can never write.
    public func configureForReading() throws {
        try exec("PRAGMA foreign_keys=ON; PRAGMA query_only=ON;")
    }

    static func describe(_ sql: String) -> String {
        let flat = sql.split(whereSeparator: { $0 == "\n" }).joined(separator: " ")
        return flat.count > 80 ? String(flat.prefix(80)) + "..." : flat
    }
}
