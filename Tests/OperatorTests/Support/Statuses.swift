// HTTP statuses collected from many sender threads at once (the concurrent ingress tests).
import Foundation

/// The statuses the senders got, in the order they were added.
final class Statuses: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [Int] = []
    func add(_ status: Int) {
        lock.lock()
        values.append(status)
        lock.unlock()
    }
    var all: [Int] {
        lock.lock()
        defer { lock.unlock() }
        return values
    }
}
