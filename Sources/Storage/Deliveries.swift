import Foundation

// The values the inbox takes and gives back: a delivery to store, the outcome of storing it,
// and what a read returns; and the clipping of the header values kept with a delivery.

public enum DeliverySource: String, Sendable, Codable { case github, argocd }

/// A webhook request that passed authentication and validation, about to be stored.
public struct IncomingDelivery: Sendable {
    public var id: String  // X-GitHub-Delivery; for Argo CD a generated UUID string
    public var source: DeliverySource
    public var event: String  // X-GitHub-Event, or the Argo CD trigger name / "notification"
    public var action: String?  // top-level "action" when present
    public var receivedAt: Date
    public var body: [UInt8]
    /// `id`, `event` and `action` are kept clipped (`DeliveryText.clipped`).
    public init(id: String, source: DeliverySource, event: String, action: String?, receivedAt: Date, body: [UInt8]) {
        self.id = DeliveryText.clipped(id)
        self.source = source
        self.event = DeliveryText.clipped(event)
        self.action = action.map { DeliveryText.clipped($0) }
        self.receivedAt = receivedAt
        self.body = body
    }
}

/// The header values kept with a delivery (id, event, action) come from the sender: what is kept
/// of them is bounded in bytes, not in characters (one character may take any number of bytes).
public enum DeliveryText {
    public static let maxBytes = 128

    /// `value` cut to at most `maxBytes` bytes of UTF-8, never inside a UTF-8 sequence.
    public static func clipped(_ value: String, maxBytes: Int = maxBytes) -> String {
        let utf8 = value.utf8
        guard utf8.count > maxBytes else { return value }
        var end = utf8.index(utf8.startIndex, offsetBy: maxBytes)
        // Back to the first byte of the sequence `end` falls in (continuation bytes are 10xxxxxx).
        while end > utf8.startIndex, utf8[end] & 0xC0 == 0x80 { end = utf8.index(before: end) }
        return String(decoding: utf8[..<end], as: UTF8.self)
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
    /// Why an accepted delivery was set aside (never routed; `processedAt` is when); nil otherwise.
    public var setAside: SetAsideReason?
    public init(
        id: String, source: DeliverySource, event: String, action: String?, receivedAt: Date,
        outcome: String, processedAt: Date?, setAside: SetAsideReason? = nil
    ) {
        self.id = id
        self.source = source
        self.event = event
        self.action = action
        self.receivedAt = receivedAt
        self.outcome = outcome
        self.processedAt = processedAt
        self.setAside = setAside
    }
}

/// An accepted delivery with its body, as the engine consumes it.
public struct StoredDelivery: Sendable {
    public var seq: Int64  // arrival order
    public var record: DeliveryRecord
    public var body: [UInt8]
    /// Why the body could not be read (`body` is then empty); nil when it was, or was not asked for.
    public var bodyFailure: BodyReadFailure?
    public init(seq: Int64, record: DeliveryRecord, body: [UInt8], bodyFailure: BodyReadFailure? = nil) {
        self.seq = seq
        self.record = record
        self.body = body
        self.bodyFailure = bodyFailure
    }

    /// With the body `read` returns, or an empty one and the failure it throws.
    init(seq: Int64, record: DeliveryRecord, reading read: () throws(BodyReadFailure) -> [UInt8]) {
        do {
            self.init(seq: seq, record: record, body: try read())
        } catch {
            self.init(seq: seq, record: record, body: [], bodyFailure: error)
        }
    }
}
