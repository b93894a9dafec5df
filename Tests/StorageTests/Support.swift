import Foundation
import Storage
import Synchronization
import Testing

struct TestFailure: Error, Equatable { var message: String }

/// A fresh directory under /tmp (a real disk here, so fsync is real), removed by `cleanup()`.
struct TempDir {
    let path: String
    init() throws {
        path =
            FileManager.default.temporaryDirectory
            .appendingPathComponent("storage-tests-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    func cleanup() { try? FileManager.default.removeItem(atPath: path) }
    var dbPath: String { (path as NSString).appendingPathComponent(Store.fileName) }
}

/// Dates on whole milliseconds (the store keeps milliseconds).
func at(_ ms: Int64) -> Date { Date(timeIntervalSince1970: Double(ms) / 1000) }

let t0: Int64 = 1_760_000_000_000

func delivery(
    _ id: String, at ms: Int64 = t0, source: DeliverySource = .github, event: String = "check_suite",
    action: String? = "completed", size: Int = 64
) -> IncomingDelivery {
    var body = Array("{\"id\":\"\(id)\"}".utf8)
    if body.count < size {
        body += (0..<(size - body.count)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ id.utf8.count) }
    }
    return IncomingDelivery(id: id, source: source, event: event, action: action, receivedAt: at(ms), body: body)
}

/// Polls `condition` every 2 ms, for at most `seconds`. Never blocks a thread.
func eventually(within seconds: Double = 20, _ condition: () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
    while ContinuousClock.now < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(2))
    }
    return condition()
}

/// Holds the writer thread inside a work item until `open()`, so that what is submitted
/// meanwhile queues up and is taken as one batch. The writer waits at most 30 s.
final class Gate: Sendable {
    private let entered = Atomic<Bool>(false)
    private let release = DispatchSemaphore(value: 0)

    /// Submits the blocking item and returns once the writer is inside it.
    static func close(_ writer: StoreWriter) async throws -> Gate {
        let gate = Gate()
        writer.submit(
            { _ in
                gate.entered.store(true, ordering: .sequentiallyConsistent)
                _ = gate.release.wait(timeout: .now() + 30)
            }, completion: { _ in })
        let inside = await eventually { gate.entered.load(ordering: .sequentiallyConsistent) }
        guard inside else { throw TestFailure(message: "writer never entered the gate") }
        return gate
    }

    func open() { release.signal() }
}

/// Collects completion results from any thread.
/// (An `NSLock`, not `Mutex`: TSan on Linux cannot see `Mutex` synchronize and reports races.
/// `@unchecked Sendable`: `items` is only touched with `lock` held.)
final class Results<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [(Int, Result<T, StorageError>)] = []
    func callback(_ tag: Int) -> @Sendable (Result<T, StorageError>) -> Void {
        { result in self.lock.withLock { self.items.append((tag, result)) } }
    }
    var count: Int { lock.withLock { items.count } }
    /// Results ordered by tag.
    var all: [Result<T, StorageError>] { lock.withLock { items.sorted { $0.0 < $1.0 }.map(\.1) } }
    func waitFor(_ expected: Int) async -> Bool { await eventually { count >= expected } }
}

/// Raw read-only access for checks the public API does not offer.
func rawCount(_ path: String, _ sql: String) throws -> Int64 {
    let db = try SQLiteDatabase(path: path, flags: [.readOnly])
    defer { db.close() }
    return try db.scalarInt64(sql) ?? -1
}

extension Result {
    var error: Failure? { if case .failure(let failure) = self { return failure } else { return nil } }
    var value: Success? { if case .success(let success) = self { return success } else { return nil } }
}

extension StorageError {
    static func wrapping(_ error: any Error) -> StorageError { (error as? StorageError) ?? .workFailed(error) }
}
