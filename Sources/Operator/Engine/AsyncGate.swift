import Foundation

/// At most `permits` holders at a time; others wait in order without blocking a thread.
/// The engine uses it to bound how many application steps are in flight at once, so a burst
/// (thousands of apps seen for the first time) does not keep thousands of step frames alive.
final class AsyncGate: @unchecked Sendable {
    // Safe: `available` and `waiters` are only touched under `lock`.
    private let lock = NSLock()
    private var available: Int
    private var waiters: [CheckedContinuation<Void, Never>] = []
    private var head = 0

    init(permits: Int) { available = permits }

    func acquire() async {
        if tryAcquire() { return }
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            lock.lock()
            if available > 0 {
                available -= 1
                lock.unlock()
                c.resume()
            } else {
                waiters.append(c)
                lock.unlock()
            }
        }
    }

    private func tryAcquire() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        guard available > 0 else { return false }
        available -= 1
        return true
    }

    func release() {
        lock.lock()
        if head < waiters.count {
            let waiter = waiters[head]
            head += 1
            if head > 1024 && head * 2 > waiters.count {
                waiters.removeFirst(head)
                head = 0
            }
            lock.unlock()
            waiter.resume()
        } else {
            available += 1
            lock.unlock()
        }
    }
}
