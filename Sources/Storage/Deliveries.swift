import Foundation

// The values the inbox takes and gives back: a delivery to store, the outcome of storing it,
// and what a read returns.

public enum DeliverySource: String, Sendable, Codable { case github, argocd }

/// A webhook request that passed authentication and validation, about to be stored.
public struct IncomingDelivery: Sendable {
    public var id: String  // X-GitHub-Delivery; for Argo CD a generated UUID string
    public var source: DeliverySource
    public var event: String  // X-GitHub-Event, or the Argo CD trigger name / "notification"
    public var action: String?  // top-level "action" when present
    public var receivedAt: Date
    public var body: [UInt8]
    public init(id: String, source: DeliverySource, event: String, action: String?, receivedAt: Date, body: [UInt8]) {
        self.id = id
        self.source = source
        self.event = event
        self.action = action
        self.receivedAt = receivedAt
        self.body = body
    }
}

public enum AcceptOutcome: Sendable, Equatable {
    /// Stored, pending.
    case stored
    /// Stored already processed (`accept`'s `processedIf` answered true).
    case storedProcessed
    /// Stored before (same id): not stored again.
    case duplicate
}

/// One row of `GET /api/v1/deliveries`. Times are stored with millisecond precision.
/// For a rejected request without a delivery id (or event), `id` (or `event`) is "".
public struct DeliveryRecord: Sendable, Equatable, Codable {
    public var id: String
    public var source: DeliverySource
    public var event: String
    public var action: String?
    public var receivedAt: Date
    public var outcome: String  // "accepted", "duplicate", "rejected:<why>"
    public var processedAt: Date?
    public init(
        id: String, source: DeliverySource, event: String, action: String?, receivedAt: Date,
        outcome: String, processedAt: Date?
    ) {
        self.id = id
        self.source = source
        self.event = event
        self.action = action
        self.receivedAt = receivedAt
        self.outcome = outcome
        self.processedAt = processedAt
    }
}

/// An accepted delivery with its body, as the engine consumes it.
public struct StoredDelivery: Sendable {
    public var seq: Int64  // arrival order
    public var record: DeliveryRecord
    public var body: [UInt8]
    public init(seq: Int64, record: DeliveryRecord, body: [UInt8]) {
        self.seq = seq
        self.record = record
        self.body = body
    }
}
