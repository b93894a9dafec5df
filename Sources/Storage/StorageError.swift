import CSQLite

/// Every failure the storage layer reports.
///
/// SQLite failures carry the primary and extended result codes and SQLite's own message, plus
/// what we were doing (`operation`, e.g. the first part of the SQL), so a 503 can be logged with
/// a reason a human can act on ("database or disk is full", "disk I/O error").
public enum StorageError: Error, Sendable, CustomStringConvertible {
    /// SQLite returned an error. `code` is the primary result code (`SQLITE_FULL` = 13,
    /// `SQLITE_IOERR` = 10, ...), `extendedCode` the extended one (e.g. `SQLITE_IOERR_FSYNC`).
    case sqlite(code: Int32, extendedCode: Int32, message: String, operation: String)
    /// The writer was closed (or is closing): the work was not run.
    case closed
    /// A work item threw an error that is not a `StorageError`; it is carried unchanged.
    /// `StoreWriter.perform` rethrows the original error instead of this wrapper.
    case workFailed(any Error)
    /// A stored value did not have the expected shape (e.g. an unknown `source`).
    case invalidData(String)
    /// A file-system operation around the database failed (e.g. creating the directory, writing
    /// the body log).
    case io(String)
    /// The body log cannot grow: disk full, or its configured cap (`maxBodyBytes`) reached.
    case full(String)

    /// The store cannot grow: disk full, or a configured storage cap (`maxPageCount`,
    /// `maxBodyBytes`) reached.
    public var isFull: Bool {
        switch self {
        case .sqlite(let code, _, _, _): return code == SQLITE_FULL
        case .full: return true
        default: return false
        }
    }

    /// The primary SQLite result code, when this is a SQLite failure.
    public var sqliteCode: Int32? {
        if case .sqlite(let code, _, _, _) = self { return code }
        return nil
    }

    public var description: String {
        switch self {
        case .sqlite(let code, let ext, let message, let operation):
            return "sqlite error \(code) (extended \(ext)): \(message) [during \(operation)]"
        case .closed:
            return "store is closed"
        case .workFailed(let error):
            return "work item failed: \(error)"
        case .invalidData(let what):
            return "invalid stored data: \(what)"
        case .io(let what):
            return "storage I/O error: \(what)"
        case .full(let what):
            return "storage is full: \(what)"
        }
    }

    /// Wraps any error thrown by a work item: storage errors pass through unchanged.
    static func wrapping(_ error: any Error) -> StorageError {
        (error as? StorageError) ?? .workFailed(error)
    }
}
