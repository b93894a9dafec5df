// The server-wide budget of request body bytes in flight: bodies buffered while they arrive and
// until their request is answered. A request that would pass it is answered 503 instead of
// being read, so many large uploads at once cannot exhaust memory.
import Foundation
import Synchronization

/// Body bytes held by requests in flight, against a limit. Lock-free: one atomic counter.
final class BodyBudget: Sendable {
    /// The limit in bytes; 0 means none.
    let limit: Int
    private let used = Atomic<Int>(0)

    init(limit: Int) { self.limit = max(0, limit) }

    /// Takes `bytes` from the budget, or nothing and returns false if that would pass the limit.
    func reserve(_ bytes: Int) -> Bool {
        guard limit > 0, bytes > 0 else { return true }
        var current = used.load(ordering: .relaxed)
        while true {
            guard bytes <= limit - current else { return false }
            let (exchanged, original) = used.compareExchange(
                expected: current, desired: current + bytes, ordering: .relaxed)
            if exchanged { return true }
            current = original
        }
    }

    /// Gives back what `reserve` took.
    func release(_ bytes: Int) {
        if limit > 0, bytes > 0 { used.subtract(bytes, ordering: .relaxed) }
    }

    /// Bytes held now.
    var inUse: Int { used.load(ordering: .relaxed) }
}
