import Foundation
import HTTPServer

/// A Slack incoming-webhook sink: `POST /services/<anything>` with a JSON body answers 200
/// `ok` (plain text) and records the message. Errors as Slack sends them: 400
/// `invalid_payload` (not JSON), 400 `no_text` (neither `text` nor `blocks`), and on demand
/// 429 with `Retry-After` or 500 `rollup_error` (see `faults` or `failNext`).
public final class SlackSimulator: SimulatedService, @unchecked Sendable {
    // Safe: `messagesStore` is guarded by `lock`.
    private let lock = NSLock()
    private var messagesStore: [SlackMessage] = []

    public struct SlackMessage: Sendable {
        /// The path after `/services/`.
        public let hook: String
        public let text: String?
        public let body: [UInt8]
        public let at: Date
        public var json: [String: Any]? { SimJSON.object(body) }
    }

    /// Messages accepted (200), oldest first.
    public var messages: [SlackMessage] {
        lock.lock()
        defer { lock.unlock() }
        return messagesStore
    }
    public func clearMessages() {
        lock.lock()
        messagesStore = []
        lock.unlock()
    }

    /// The next `count` posts answer 429 with `Retry-After: retryAfter`.
    public func rateLimitNext(_ count: Int = 1, retryAfter: Int = 1) {
        faults.inject(.rateLimit(status: 429, retryAfter: retryAfter), method: "POST", path: "/services", count: count)
    }

    /// The next `count` posts answer `status` (500 `rollup_error` by default).
    public func failNext(_ count: Int = 1, status: Int = 500) {
        faults.inject(.status(status), method: "POST", path: "/services", count: count)
    }

    public override func handle(_ request: HTTPRequest) -> HTTPResponse {
        guard request.path.hasPrefix("/services/"), request.path.count > "/services/".count else {
            return .text(404, "no_service", contentType: "text/html")
        }
        guard request.method == "POST" else { return .text(405, "invalid_method", contentType: "text/html") }
        guard let obj = SimJSON.object(request.body) else {
            return .text(400, "invalid_payload", contentType: "text/html")
        }
        let text = obj["text"] as? String
        if (text ?? "").isEmpty && obj["blocks"] == nil && obj["attachments"] == nil {
            return .text(400, "no_text", contentType: "text/html")
        }
        let hook = String(request.path.dropFirst("/services/".count))
        lock.lock()
        messagesStore.append(SlackMessage(hook: hook, text: text, body: request.body, at: Date()))
        lock.unlock()
        return .text(200, "ok", contentType: "text/html")
    }

    public override func faultResponse(_ action: FaultAction, _ request: HTTPRequest) -> HTTPResponse {
        switch action {
        case .status(let code):
            return .text(code, code >= 500 ? "rollup_error" : "invalid_token", contentType: "text/html")
        case .rateLimit(let status, let retryAfter, _):
            var response = HTTPResponse.text(status, "rate_limited", contentType: "text/html")
            if let retryAfter { response.headers.append(("Retry-After", String(retryAfter))) }
            return response
        case .unauthorized: return .text(403, "invalid_token", contentType: "text/html")
        case .delay, .drop, .stall: return .dropConnection
        }
    }
}
