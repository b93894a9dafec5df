import Foundation

/// The operator's durable store: one SQLite file, `<directory>/operator.sqlite3`, with its single
/// writer (group commit), the body log `<directory>/bodies/` for webhook bodies, and the webhook
/// inbox on top.
///
/// ```swift
/// let store = try Store.open(directory: "/data")      // blocking: call at startup
/// store.inbox.accept(delivery) { result in ... }       // 202 / 200 / 503
/// try await store.writer.perform { db in ... }          // app state + inbox.markProcessed, one transaction
/// await store.close()                                   // SIGTERM: finishes queued work
/// ```
public final class Store: Sendable {
    public static let fileName = "operator.sqlite3"

    public let directory: String
    public let path: String
    public let writer: StoreWriter
    public let inbox: Inbox

    /// Creates `directory` if missing, opens (creating) the database, migrates it, starts the
    /// writer and opens the inbox's read connection.
    public static func open(directory: String, options: StoreOptions = StoreOptions()) throws -> Store {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw StorageError.io("cannot create \(directory): \(error.localizedDescription)")
        }
        let path = (directory as NSString).appendingPathComponent(fileName)
        let writer = try StoreWriter(path: path, options: options)
        do {
            let inbox = try Inbox(writer: writer, readerPath: path)
            return Store(directory: directory, path: path, writer: writer, inbox: inbox)
        } catch {
            writer.close()
            throw error
        }
    }

    private init(directory: String, path: String, writer: StoreWriter, inbox: Inbox) {
        self.directory = directory
        self.path = path
        self.writer = writer
        self.inbox = inbox
    }

    /// Finishes queued writes and closes the writer (blocking). Reads keep working until the
    /// store is released; writes fail with `StorageError.closed`.
    public func close() { writer.close() }

    /// `close()` without blocking the cooperative pool.
    public func close() async { await writer.close() }
}
