// Where the API's blocking reads run (the stored deliveries, audit entries, an attempt read from
// the store): never on libmicrohttpd's worker threads, which must keep answering the webhook
// doors, nor on Swift's cooperative pool, which must never block.
import Foundation

/// One serial queue of blocking reads. The request's connection waits suspended meanwhile (the
/// handler answers through its responder once the read is done).
enum SlowReads {
    private static let queue = DispatchQueue(label: "ai-operator.api-reads", qos: .userInitiated)

    static func run(_ work: @escaping @Sendable () -> Void) { queue.async(execute: work) }
}
