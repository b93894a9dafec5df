import Foundation
import HTTPServer

struct TimedOut: Error, CustomStringConvertible {
    let seconds: Double
    var description: String { "timed out after \(seconds) s" }
}

/// Runs `body`, failing if it takes longer than `seconds` (every wait in these tests is bounded).
func withTimeout<T: Sendable>(_ seconds: Double = 20, _ body: @escaping @Sendable () async throws -> T) async throws
    -> T
{
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: .seconds(seconds))
            throw TimedOut(seconds: seconds)
        }
        let first = try await group.next()!
        group.cancelAll()
        return first
    }
}

/// Polls `condition` every 10 ms until it holds, failing after `seconds`.
func waitUntil(_ seconds: Double = 10, _ condition: @escaping @Sendable () -> Bool) async throws {
    let deadline = ContinuousClock.now + .seconds(seconds)
    while !condition() {
        if ContinuousClock.now > deadline { throw TimedOut(seconds: seconds) }
        try await Task.sleep(for: .milliseconds(10))
    }
}

/// A started HTTPServer on a free local port.
func startServer(_ router: Router, threads: Int = 2) throws -> HTTPServer {
    let server = HTTPServer(configuration: .init(address: "127.0.0.1:0", threads: threads), router: router)
    try server.start()
    return server
}

/// A thread-safe box for test bookkeeping.
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value
    init(_ initial: Value) { value = initial }
    func withLock<R>(_ body: (inout Value) -> R) -> R {
        lock.lock()
        defer { lock.unlock() }
        return body(&value)
    }
    var current: Value { withLock { $0 } }
}
