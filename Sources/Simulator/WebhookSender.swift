import Foundation

/// Sends GitHub webhook deliveries the way GitHub does: `POST` of the JSON body to the
/// configured URL with `X-GitHub-Event`, `X-GitHub-Delivery` (a UUID), `X-Hub-Signature-256:
/// sha256=<hex HMAC-SHA256 of the raw body>`, `User-Agent: GitHub-Hookshot/<hex>`. Sending
/// happens on a serial background queue over a plain socket (HTTP/1.1, `http://` only), never on
/// a request handler thread. Every delivery and its answer status is recorded; GitHub does not
/// retry, `redeliver(_:)` re-sends with the same delivery id.
public final class WebhookSender: @unchecked Sendable {
    public struct Delivery: Sendable {
        /// The `X-GitHub-Delivery` GUID.
        public let id: String
        public let event: String
        public let action: String?
        public let body: [UInt8]
        /// Headers sent (the signature included: it is not a secret, it is derived from it).
        public let headers: [(String, String)]
        /// HTTP status of the receiver's answer, nil while pending or when not sent.
        public var statusCode: Int?
        /// Why the delivery failed at the transport level (connection refused, timeout).
        public var error: String?
        public var redelivery: Bool
        public var attempts: Int
        public var sent: Bool { statusCode != nil || error != nil }
        public var json: [String: Any]? { SimJSON.object(body) }
    }

    // Safe: all mutable state is guarded by `cond`.
    private let cond = NSCondition()
    private var url: String?
    private var secret: String?
    private var pausedFlag = false
    private var deliveriesStore: [Delivery] = []
    private var inFlight = 0
    private var completedCount = 0
    private let queue = DispatchQueue(label: "simulator.github.webhooks")
    /// Events sent; others are recorded as not subscribed and dropped.
    public var events: Set<String> {
        get {
            cond.lock()
            defer { cond.unlock() }
            return eventSet
        }
        set {
            cond.lock()
            eventSet = newValue
            cond.unlock()
        }
    }
    private var eventSet: Set<String> = [
        "check_suite", "check_run", "status", "pull_request", "pull_request_review", "issue_comment", "installation",
        "ping",
    ]
    /// Seconds to wait for the receiver (GitHub: 10).
    public var timeoutSeconds: Double {
        get {
            cond.lock()
            defer { cond.unlock() }
            return timeout
        }
        set {
            cond.lock()
            timeout = newValue
            cond.unlock()
        }
    }
    private var timeout: Double = 10
    public let hookID = 41_000_001
    let userAgent = "GitHub-Hookshot/" + SimulatorCrypto.hex(SimulatorCrypto.randomBytes(4)).prefix(7)

    public init() {}

    /// Where to send, and the secret to sign with (nil: no `X-Hub-Signature-256`, like a hook without a secret).
    public func configure(url: String?, secret: String?) {
        cond.lock()
        self.url = url
        self.secret = secret
        cond.unlock()
    }

    /// While paused, deliveries are recorded but not sent; `resume()` sends the backlog.
    public var paused: Bool {
        get {
            cond.lock()
            defer { cond.unlock() }
            return pausedFlag
        }
        set {
            cond.lock()
            let wasPaused = pausedFlag
            pausedFlag = newValue
            let backlog =
                wasPaused && !newValue
                ? deliveriesStore.indices.filter { !deliveriesStore[$0].sent && deliveriesStore[$0].attempts == 0 } : []
            cond.unlock()
            for index in backlog { send(index: index) }
        }
    }

    public var deliveries: [Delivery] {
        cond.lock()
        defer { cond.unlock() }
        return deliveriesStore
    }

    public func delivery(_ id: String) -> Delivery? { deliveries.last { $0.id == id } }

    public func clear() {
        cond.lock()
        deliveriesStore = []
        cond.unlock()
    }

    /// Waits (bounded) until at least `count` deliveries have been attempted and none is in flight.
    @discardableResult
    public func waitUntilSent(count: Int, timeout: Double = 10) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        cond.lock()
        defer { cond.unlock() }
        while completedCount < count || inFlight > 0 {
            if !cond.wait(until: deadline) { return completedCount >= count && inFlight == 0 }
        }
        return true
    }

    /// Records and (unless paused or not configured) sends one event.
    @discardableResult
    func emit(event: String, action: String?, payload: [String: Any]) -> String? {
        let body = SimJSON.encode(payload)
        cond.lock()
        guard eventSet.contains(event) else {
            cond.unlock()
            return nil
        }
        let id = UUID().uuidString.lowercased()
        var headers: [(String, String)] = [
            ("Content-Type", "application/json"),
            ("User-Agent", userAgent),
            ("X-GitHub-Event", event),
            ("X-GitHub-Delivery", id),
            ("X-GitHub-Hook-ID", String(hookID)),
            ("X-GitHub-Hook-Installation-Target-Type", "integration"),
            ("X-GitHub-Hook-Installation-Target-ID", "123456"),
        ]
        if let secret {
            headers.append(
                ("X-Hub-Signature-256", "sha256=" + SimulatorCrypto.hmacSHA256Hex(key: Array(secret.utf8), data: body)))
        }
        deliveriesStore.append(
            Delivery(
                id: id, event: event, action: action, body: body, headers: headers,
                statusCode: nil, error: nil, redelivery: false, attempts: 0))
        let index = deliveriesStore.count - 1
        let shouldSend = !pausedFlag && url != nil
        cond.unlock()
        if shouldSend { send(index: index) }
        return id
    }

    /// Re-sends a recorded delivery with the same `X-GitHub-Delivery` id (recorded as a new delivery
    /// with `redelivery: true`). Returns false when the id is unknown.
    @discardableResult
    public func redeliver(_ id: String) -> Bool {
        cond.lock()
        guard let old = deliveriesStore.last(where: { $0.id == id }) else {
            cond.unlock()
            return false
        }
        var headers = old.headers
        if let secret {
            headers.removeAll { $0.0 == "X-Hub-Signature-256" }
            headers.append(
                (
                    "X-Hub-Signature-256",
                    "sha256=" + SimulatorCrypto.hmacSHA256Hex(key: Array(secret.utf8), data: old.body)
                ))
        }
        deliveriesStore.append(
            Delivery(
                id: id, event: old.event, action: old.action, body: old.body, headers: headers,
                statusCode: nil, error: nil, redelivery: true, attempts: 0))
        let index = deliveriesStore.count - 1
        cond.unlock()
        send(index: index)
        return true
    }

    /// Sends a recorded delivery's payload again under a new `X-GitHub-Delivery` id, as a second
    /// delivery of the same event would arrive (a comment delivered twice). Returns the new id,
    /// or nil when `id` is unknown.
    @discardableResult
    public func resendAsNewDelivery(_ id: String) -> String? {
        cond.lock()
        guard let old = deliveriesStore.last(where: { $0.id == id }) else {
            cond.unlock()
            return nil
        }
        let newID = UUID().uuidString.lowercased()
        let headers = old.headers.map { header in header.0 == "X-GitHub-Delivery" ? (header.0, newID) : header }
        deliveriesStore.append(
            Delivery(
                id: newID, event: old.event, action: old.action, body: old.body, headers: headers,
                statusCode: nil, error: nil, redelivery: false, attempts: 0))
        let index = deliveriesStore.count - 1
        cond.unlock()
        send(index: index)
        return newID
    }

    private func send(index: Int) {
        cond.lock()
        guard let target = url, index < deliveriesStore.count else {
            cond.unlock()
            return
        }
        deliveriesStore[index].attempts += 1
        let delivery = deliveriesStore[index]
        let timeout = self.timeout
        inFlight += 1
        cond.unlock()
        queue.async { [self] in
            let result = Self.post(url: target, headers: delivery.headers, body: delivery.body, timeout: timeout)
            cond.lock()
            if index < deliveriesStore.count {
                switch result {
                case .success(let code): deliveriesStore[index].statusCode = code
                case .failure(let failure): deliveriesStore[index].error = failure.description
                }
            }
            inFlight -= 1
            completedCount += 1
            cond.broadcast()
            cond.unlock()
        }
    }
}
