import Foundation

/// The clock and the waiting of retries and rate-limit pauses. Injected so tests observe the
/// exact delays requested without waiting.
public protocol Sleeper: Sendable {
    func now() -> Date
    func sleep(for duration: Duration) async throws
}

/// Real time: `Task.sleep` (suspends, never blocks a thread).
public struct TaskSleeper: Sleeper {
    public init() {}
    public func now() -> Date { Date() }
    public func sleep(for duration: Duration) async throws { try await Task.sleep(for: duration) }
}

/// For tests: records every requested delay, advances a virtual clock by it, returns at once.
public final class RecordingSleeper: Sleeper, @unchecked Sendable {
    // Safe: both fields are guarded by `lock`.
    private let lock = NSLock()
    private var current: Date
    private var recorded: [Duration] = []

    public init(now: Date = Date()) { current = now }

    public var delays: [Duration] {
        lock.lock()
        defer { lock.unlock() }
        return recorded
    }
    public func reset() {
        lock.lock()
        recorded.removeAll()
        lock.unlock()
    }
    public func now() -> Date {
        lock.lock()
        defer { lock.unlock() }
        return current
    }
    public func advance(by seconds: Double) {
        lock.lock()
        current += seconds
        lock.unlock()
    }

    public func sleep(for duration: Duration) async throws {
        lock.withLock {
            recorded.append(duration)
            current += duration.seconds
        }
        await Task.yield()
    }
}
