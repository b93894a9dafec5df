// The record of rejected webhook requests (401/400/413): in memory only, the newest 1,000, so
// that what strangers send never reaches the disk and its record stays bounded (SPEC 16).
import Foundation
import Storage

/// A ring of the newest rejected requests, listed by `GET /api/v1/deliveries` with the stored
/// deliveries. Entries hold only clipped header values (no body): a full ring is a few hundred KB.
final class RejectedRequests: @unchecked Sendable {
    // Safe: `entries` and `next` are only touched under `lock`.
    let capacity: Int
    private let lock = NSLock()
    private var entries: [DeliveryRecord] = []
    /// Where the next entry goes (once full: the oldest entry's place).
    private var next = 0

    init(capacity: Int = 1000) {
        self.capacity = max(1, capacity)
    }

    func record(_ entry: DeliveryRecord) {
        lock.lock()
        if entries.count < capacity {
            entries.append(entry)
        } else {
            entries[next] = entry
        }
        next = (next + 1) % capacity
        lock.unlock()
    }

    /// At most `limit` entries, newest first.
    func newest(_ limit: Int) -> [DeliveryRecord] {
        lock.lock()
        let count = min(max(0, limit), entries.count)
        var out: [DeliveryRecord] = []
        out.reserveCapacity(count)
        if count > 0 {
            var index = (next + entries.count - 1) % entries.count
            for _ in 0..<count {
                out.append(entries[index])
                index = (index + entries.count - 1) % entries.count
            }
        }
        lock.unlock()
        // Recorded from several threads: their order may differ from their times by a hair.
        return out.sorted { $0.receivedAt > $1.receivedAt }
    }

    /// Two newest-first lists as one, newest first, at most `limit` long; on equal times the
    /// stored delivery comes first.
    static func merge(stored: [DeliveryRecord], rejected: [DeliveryRecord], limit: Int) -> [DeliveryRecord] {
        var out: [DeliveryRecord] = []
        out.reserveCapacity(min(limit, stored.count + rejected.count))
        var storedIndex = 0
        var rejectedIndex = 0
        while out.count < limit, storedIndex < stored.count || rejectedIndex < rejected.count {
            let takeStored =
                rejectedIndex == rejected.count
                || (storedIndex < stored.count
                    && stored[storedIndex].receivedAt >= rejected[rejectedIndex].receivedAt)
            if takeStored {
                out.append(stored[storedIndex])
                storedIndex += 1
            } else {
                out.append(rejected[rejectedIndex])
                rejectedIndex += 1
            }
        }
        return out
    }
}
