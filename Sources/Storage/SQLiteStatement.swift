// One prepared SQLite statement: binding its parameters, stepping it, and reading its columns.
import CSQLite

/// SQLite's "copy this buffer now" destructor (`SQLITE_TRANSIENT`, which C defines as `(void*)-1`).
private let sqliteTransient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

/// A prepared statement. Indexes are SQLite's: parameters start at 1, result columns at 0.
public final class SQLiteStatement {
    private var handle: OpaquePointer?
    public let sql: String

    init(handle: OpaquePointer, sql: String) {
        self.handle = handle
        self.sql = sql
    }

    deinit { finalize() }

    func finalize() {
        if let handle { sqlite3_finalize(handle) }
        handle = nil
    }

    /// Resets for the next execution and clears all bindings.
    public func reset() {
        guard let handle else { return }
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    private func live() throws -> OpaquePointer {
        guard let handle else {
            throw StorageError.sqlite(
                code: SQLITE_MISUSE, extendedCode: SQLITE_MISUSE,
                message: "statement is finalized", operation: SQLiteDatabase.describe(sql))
        }
        return handle
    }

    private func check(_ rc: Int32, _ what: String) throws {
        guard rc == SQLITE_OK else { throw failure(rc, what) }
    }

    private func failure(_ rc: Int32, _ what: String) -> StorageError {
        guard let handle, let db = sqlite3_db_handle(handle) else {
            return .sqlite(
                code: rc & 0xff, extendedCode: rc, message: String(cString: sqlite3_errstr(rc)), operation: what)
        }
        return .sqlite(
            code: rc & 0xff, extendedCode: sqlite3_extended_errcode(db),
            message: String(cString: sqlite3_errmsg(db)), operation: what + " " + SQLiteDatabase.describe(sql))
    }

    // MARK: bind

    public func bind(_ value: Int64, at index: Int32) throws {
        try check(sqlite3_bind_int64(try live(), index, value), "bind")
    }

    public func bind(_ value: Int, at index: Int32) throws {
        try bind(Int64(value), at: index)
    }

    public func bind(_ value: Double, at index: Int32) throws {
        try check(sqlite3_bind_double(try live(), index, value), "bind")
    }

    /// Binds text; `nil` binds NULL. SQLite copies the bytes.
    public func bind(_ value: String?, at index: Int32) throws {
        let liveHandle = try live()
        guard var text = value else { return try check(sqlite3_bind_null(liveHandle, index), "bind") }
        let rc = text.withUTF8 { utf8 -> Int32 in
            guard let base = utf8.baseAddress, utf8.count > 0 else {
                return sqlite3_bind_text(liveHandle, index, "", 0, sqliteTransient)
            }
            return base.withMemoryRebound(to: CChar.self, capacity: utf8.count) {
                sqlite3_bind_text(liveHandle, index, $0, Int32(utf8.count), sqliteTransient)
            }
        }
        try check(rc, "bind")
    }

    /// Binds a BLOB; `nil` binds NULL. SQLite copies the bytes.
    public func bind(_ value: [UInt8]?, at index: Int32) throws {
        let liveHandle = try live()
        guard let value else { return try check(sqlite3_bind_null(liveHandle, index), "bind") }
        let rc = value.withUnsafeBytes { raw in
            // A zero-length blob still needs a non-NULL pointer, or SQLite stores NULL.
            sqlite3_bind_blob(
                liveHandle, index, raw.baseAddress ?? UnsafeRawPointer(bitPattern: 1), Int32(raw.count), sqliteTransient
            )
        }
        try check(rc, "bind")
    }

    public func bindNull(at index: Int32) throws {
        try check(sqlite3_bind_null(try live(), index), "bind")
    }

    // MARK: step

    /// Advances: `true` when a row is available, `false` when done.
    @discardableResult
    public func step() throws -> Bool {
        let rc = sqlite3_step(try live())
        switch rc {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default: throw failure(rc, "step")
        }
    }

    // MARK: columns (valid after `step()` returned true)

    public func isNull(_ column: Int32) -> Bool {
        sqlite3_column_type(handle, column) == SQLITE_NULL
    }

    public func int64(_ column: Int32) -> Int64 { sqlite3_column_int64(handle, column) }

    public func double(_ column: Int32) -> Double { sqlite3_column_double(handle, column) }

    /// Text, or `nil` for NULL.
    public func string(_ column: Int32) -> String? {
        guard let text = sqlite3_column_text(handle, column) else { return nil }
        let byteCount = Int(sqlite3_column_bytes(handle, column))
        return String(decoding: UnsafeBufferPointer(start: text, count: byteCount), as: UTF8.self)
    }

    /// Blob bytes, or `nil` for NULL.
    public func blob(_ column: Int32) -> [UInt8]? {
        if isNull(column) { return nil }
        let bytes = sqlite3_column_blob(handle, column)
        let byteCount = Int(sqlite3_column_bytes(handle, column))
        guard let bytes, byteCount > 0 else { return [] }
        return [UInt8](UnsafeRawBufferPointer(start: bytes, count: byteCount))
    }
}
