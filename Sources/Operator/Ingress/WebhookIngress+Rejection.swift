// How the webhook doors refuse: on the head alone (authentication header missing or wrong),
// by the server (body too large, in-flight budget spent), or after reading (signature, headers,
// JSON). Every rejection is counted with labels from closed sets and kept in the in-memory ring;
// none is written to disk.
import Foundation
import HTTPServer
import Storage
import Webhooks

/// Why a webhook request was rejected: the `rejected:<why>` of the listing, `rejected_<why>` of
/// the metric's outcome label.
enum RejectionReason: String, CaseIterable, Sendable {
    case signatureMissing = "signature_missing"
    case signatureMalformed = "signature_malformed"
    case signatureMismatch = "signature_mismatch"
    case unauthorized
    case bodyTooLarge = "body_too_large"
    case missingEventHeader = "missing_event_header"
    case missingDeliveryHeader = "missing_delivery_header"
    case invalidJSON = "invalid_json"
    case invalidBody = "invalid_body"

    static func signature(_ check: SignatureCheck) -> RejectionReason {
        switch check {
        case .missing: return .signatureMissing
        case .malformed: return .signatureMalformed
        case .mismatch, .valid: return .signatureMismatch
        }
    }

    /// Those a sender without credentials can cause (labelled with event `unverified`).
    static let beforeAuthentication: [DeliverySource: [RejectionReason]] = [
        .github: [.signatureMissing, .signatureMalformed, .signatureMismatch, .bodyTooLarge],
        .argocd: [.unauthorized, .bodyTooLarge],
    ]

    var answer: (status: Int, code: String, message: String) {
        switch self {
        case .signatureMissing: return (401, "missing_signature", "X-Hub-Signature-256 is required")
        case .signatureMalformed:
            return (401, "invalid_signature", "X-Hub-Signature-256 must be sha256= and 64 hex digits")
        case .signatureMismatch: return (401, "invalid_signature", "the signature does not match the body")
        case .unauthorized: return (401, "unauthorized", "Authorization: Bearer <ARGOCD_WEBHOOK_TOKEN> is required")
        case .bodyTooLarge: return (413, "payload_too_large", "the body is too large")
        case .missingEventHeader: return (400, "missing_header", "X-GitHub-Event is required")
        case .missingDeliveryHeader: return (400, "missing_header", "X-GitHub-Delivery is required")
        case .invalidJSON: return (400, "invalid_json", "the body is not a JSON object")
        case .invalidBody: return (400, "invalid_body", "the body is not a valid notification")
        }
    }
}

extension WebhookIngress {
    /// Before the body: a GitHub request without a plausible `X-Hub-Signature-256` is refused.
    /// Whether the signature matches needs the body; its shape does not.
    func screenGitHub(_ head: HTTPRequest) -> HTTPResponse? {
        guard let reason = Self.signatureShapeProblem(head.header("x-hub-signature-256")) else { return nil }
        return reject(
            .github, reason: reason, event: head.header("x-github-event").map { DeliveryText.clipped($0) },
            id: head.header("x-github-delivery").map { DeliveryText.clipped($0) }, metricEvent: "unverified")
    }

    /// Before the body: an Argo CD request without the right bearer token is refused.
    func screenArgoCD(_ head: HTTPRequest) -> HTTPResponse? {
        if argocd.verify(authorizationHeader: head.header("authorization")) { return nil }
        return reject(.argocd, reason: .unauthorized, event: nil, id: nil, metricEvent: "unverified")
    }

    /// The server refused a request on a webhook route before its handler ran.
    func refusedByServer(_ source: DeliverySource, _ head: HTTPRequest, status: Int) {
        switch status {
        case 413:
            let eventHeader = source == .github ? head.header("x-github-event") : nil
            let deliveryHeader = source == .github ? head.header("x-github-delivery") : nil
            _ = reject(
                source, reason: .bodyTooLarge, event: eventHeader.map { DeliveryText.clipped($0) },
                id: deliveryHeader.map { DeliveryText.clipped($0) }, metricEvent: "unverified")
        case 503:
            metrics.webhooksReceived.inc([source.rawValue, "unverified", "overloaded"])
        default:
            break
        }
    }

    /// Counts and records a rejection and returns its answer. `event` and `id` are clipped
    /// header values (nil when absent); `metricEvent` is a label from a closed set.
    func reject(
        _ source: DeliverySource, reason: RejectionReason, event: String?, id: String?, metricEvent: String,
        message: String? = nil
    ) -> HTTPResponse {
        metrics.webhooksReceived.inc([source.rawValue, metricEvent, "rejected_" + reason.rawValue])
        let millis = (clock().timeIntervalSince1970 * 1000).rounded(.down)
        metrics.rejectedRequests.record(
            DeliveryRecord(
                id: id ?? "", source: source, event: event ?? "", action: nil,
                receivedAt: Date(timeIntervalSince1970: millis / 1000), outcome: "rejected:" + reason.rawValue,
                processedAt: nil))
        // Debug only: strangers must not be able to fill the log either; the count and the ring say it.
        logger.debug("webhook rejected", metadata: ["source": "\(source.rawValue)", "reason": "\(reason.rawValue)"])
        let answer = reason.answer
        return .error(answer.status, answer.code, message ?? answer.message)
    }

    /// What is wrong with the shape of an `X-Hub-Signature-256` value (`sha256=` and 64 more
    /// characters, spaces or tabs around), or nil when it may be right.
    static func signatureShapeProblem(_ value: String?) -> RejectionReason? {
        guard let value else { return .signatureMissing }
        var bytes = Substring(value).utf8
        while let first = bytes.first, first == 0x20 || first == 0x09 { bytes = bytes.dropFirst() }
        while let last = bytes.last, last == 0x20 || last == 0x09 { bytes = bytes.dropLast() }
        if bytes.isEmpty { return .signatureMissing }
        return bytes.count == 71 && bytes.starts(with: "sha256=".utf8) ? nil : .signatureMalformed
    }

    /// Every series a sender without credentials can move, created at zero: such requests then
    /// change values only, never add series.
    static func prepareSeries(_ metrics: OperatorMetrics) {
        for (source, reasons) in RejectionReason.beforeAuthentication {
            for reason in reasons {
                metrics.webhooksReceived.inc([source.rawValue, "unverified", "rejected_" + reason.rawValue], by: 0)
            }
            metrics.webhooksReceived.inc([source.rawValue, "unverified", "overloaded"], by: 0)
        }
        // Status 0: a body cut off at the request deadline.
        for route in [githubRoute, argocdRoute] {
            metrics.prepareRequestSeries(method: "POST", route: route, statuses: [0, 200, 202, 400, 401, 413, 503])
        }
    }
}
