// The events waiting for an application's worker: each `Envelope` and the `Mailbox` queue
// that hands them to one drain at a time.
import Foundation
import RollbackCore

/// An event for one application, with where it came from.
struct Envelope: Sendable {
    var event: RollbackEvent
    /// The stored delivery that caused it: marked processed in the same transaction as the
    /// state change (or right away when the event is ignored).
    var deliveryID: String?
    /// Called with the step's report (REST commands wait for it).
    var completion: (@Sendable (StepReport) -> Void)?
}

extension AppWorker {
    /// The queue of one worker's events. `post` says whether the caller must start a drain;
    /// `next` hands out events in order and, when none is left, ends the drain atomically.
    final class Mailbox: @unchecked Sendable {
        // Safe: every field is only touched under `lock`.
        private let lock = NSLock()
        private var queue: [Envelope] = []
        private var head = 0
        private var draining = false
        private var closed = false

        func post(_ envelope: Envelope) -> Bool {
            lock.lock()
            defer { lock.unlock() }
            guard !closed else { return false }
            queue.append(envelope)
            if draining { return false }
            draining = true
            return true
        }

        func next() -> Envelope? {
            lock.lock()
            defer { lock.unlock() }
            guard head < queue.count else {
                queue.removeAll(keepingCapacity: false)
                head = 0
                draining = false
                return nil
            }
            let envelope = queue[head]
            head += 1
            return envelope
        }

        /// Returns true when no drain is running (the caller cleans up itself).
        func close() -> Bool {
            lock.lock()
            defer { lock.unlock() }
            closed = true
            return !draining
        }

        var isClosed: Bool {
            lock.lock()
            defer { lock.unlock() }
            return closed
        }
    }
}
