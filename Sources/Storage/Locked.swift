import Foundation

/// A value behind an `NSLock`.
///
/// Used instead of `Synchronization.Mutex` because ThreadSanitizer on Linux does not see the
/// futex-based `Mutex` synchronize (its lock lives in the uninstrumented runtime), so every
/// access through it is reported as a race; `NSLock` is a pthread mutex, which TSan understands.
///
/// `@unchecked Sendable` is safe because `value` is only reached inside `withLock`, with the lock
/// held, and what leaves the lock must be `Sendable`.
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    init(_ value: Value) { self.value = value }

    func withLock<R: Sendable>(_ body: (inout Value) throws -> R) rethrows -> R {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
