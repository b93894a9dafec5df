// The engine store's read-only SQLite connection: start-up loads and REST lookups read
// through it, one at a time, beside the store's writer.
import Foundation
import Storage

/// A read-only connection for the engine's reads, serialized by a lock.
final class ReaderConnection: @unchecked Sendable {
    // Safe: `db` is only used under `lock`.
    private let lock = NSLock()
    private let db: SQLiteDatabase

    init(path: String) throws {
        db = try SQLiteDatabase(path: path, flags: [.readOnly, .noMutex])
        try db.configureForReading()
    }

    func read<T>(_ body: (SQLiteDatabase) throws -> T) throws -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body(db)
    }
}
