import Foundation
import HTTPServer
import Logging
import RollbackCore
import Storage
import Webhooks

/// The two webhook doors (SPEC section 16). Each answers fast and strictly: authenticate
/// first, then headers, then JSON; a 2xx is sent only after the delivery's row is committed
/// (the handler returns at once and the answer follows the group commit). Rejections are
/// listed with their reason; their bodies are never stored.
final class WebhookIngress: Sendable {
    let github: GitHubSignatureVerifier
    let argocd: BearerTokenVerifier
    let state: ServiceState
    let metrics: OperatorMetrics
    let logger: Logger
    let clock: @Sendable () -> Date
    /// Called after a delivery is stored (the engine's wake-up).
    let onStored: @Sendable () -> Void
    /// Whether the engine holds no attempt (made once: asked for most GitHub deliveries).
    let noAttemptHeld: @Sendable () -> Bool

    init(
        config: OperatorConfig, state: ServiceState, metrics: OperatorMetrics, logger: Logger,
        clock: @escaping @Sendable () -> Date, onStored: @escaping @Sendable () -> Void
    ) {
        github = GitHubSignatureVerifier(secret: config.githubWebhookSecret)
        argocd = BearerTokenVerifier(token: config.argocdWebhookToken)
        self.state = state
        self.metrics = metrics
        self.logger = logger
        self.clock = clock
        self.onStored = onStored
        noAttemptHeld = { [state] in state.engine?.holdsNoAttempt ?? false }
    }

    func register(on router: inout Router) {
        router.post("/webhooks/github") { [self] req, res in handleGitHub(req, res) }
        router.post("/webhooks/argocd") { [self] req, res in handleArgoCD(req, res) }
    }

    // MARK: - GitHub

    func handleGitHub(_ req: HTTPRequest, _ res: HTTPResponder) {
        let now = clock()
        let deliveryHeader = req.header("x-github-delivery").map(Self.clip)
        let eventHeader = req.header("x-github-event").map(Self.clip)
        let check = github.verify(body: req.body, signatureHeader: req.header("x-hub-signature-256"))
        guard check == .valid else {
            // An unauthenticated sender chooses nothing in our metrics' labels.
            reject(
                res, .github, event: eventHeader, id: deliveryHeader, at: now, status: 401,
                code: check == .missing ? "missing_signature" : "invalid_signature",
                message: check == .missing
                    ? "X-Hub-Signature-256 is required" : "the signature does not match the body",
                reason: "signature_\(check)", metricEvent: "unverified")
            return
        }
        guard let event = eventHeader, !event.isEmpty else {
            reject(
                res, .github, event: nil, id: deliveryHeader, at: now, status: 400, code: "missing_header",
                message: "X-GitHub-Event is required", reason: "missing_event_header", metricEvent: "unknown")
            return
        }
        guard let delivery = deliveryHeader, !delivery.isEmpty else {
            reject(
                res, .github, event: event, id: nil, at: now, status: 400, code: "missing_header",
                message: "X-GitHub-Delivery is required", reason: "missing_delivery_header",
                metricEvent: Self.eventLabel(event))
            return
        }
        let scan = JSONScan.validate(req.body, member: "action")
        guard scan.isValid, scan.topLevelIsObject else {
            let why = scan.failure.map { "\($0)" } ?? "the top level is not an object"
            reject(
                res, .github, event: event, id: delivery, at: now, status: 400, code: "invalid_json",
                message: "the body is not a JSON object: \(why)", reason: "invalid_json",
                metricEvent: Self.eventLabel(event))
            return
        }
        let incoming = IncomingDelivery(
            id: delivery, source: .github, event: event, action: scan.member.map(Self.clip),
            receivedAt: now, body: req.body)
        store(incoming, res, metricEvent: Self.eventLabel(event), isPing: event == "ping")
    }

    // MARK: - Argo CD

    func handleArgoCD(_ req: HTTPRequest, _ res: HTTPResponder) {
        let now = clock()
        guard argocd.verify(authorizationHeader: req.header("authorization")) else {
            reject(
                res, .argocd, event: nil, id: nil, at: now, status: 401, code: "unauthorized",
                message: "Authorization: Bearer <ARGOCD_WEBHOOK_TOKEN> is required", reason: "unauthorized",
                metricEvent: "unverified")
            return
        }
        let notification: ArgoCDNotification
        switch ArgoCDNotificationDecoder.decode(body: req.body) {
        case .success(let decoded): notification = decoded
        case .failure(let error):
            reject(
                res, .argocd, event: nil, id: nil, at: now, status: 400, code: "invalid_body",
                message: "\(error)", reason: "invalid_body", metricEvent: "notification")
            return
        }
        let trigger = notification.trigger.map(Self.clip) ?? "notification"
        let incoming = IncomingDelivery(
            id: UUID().uuidString.lowercased(), source: .argocd, event: trigger,
            action: nil, receivedAt: now, body: req.body)
        store(incoming, res, metricEvent: Self.argoEventLabel(trigger), isPing: false)
    }

    // MARK: - Shared

    private func store(_ incoming: IncomingDelivery, _ res: HTTPResponder, metricEvent: String, isPing: Bool) {
        guard let inbox = state.inbox else {
            metrics.webhooksReceived.inc([incoming.source.rawValue, metricEvent, "unavailable"])
            res.respond(.error(503, "store_unavailable", "the store is not open yet; retry shortly"))
            return
        }
        let metrics = self.metrics
        let logger = self.logger
        let onStored = self.onStored
        // A delivery that only ever concerns an attempt, arriving while no application holds one,
        // is stored already processed: the engine is not woken for it, nor has to mark it. Asked
        // in the transaction that stores it, so an attempt the engine holds by then is seen.
        let processedIf =
            InboxRouter.concernsOnlyAttempts(source: incoming.source, event: incoming.event)
            ? noAttemptHeld : nil
        inbox.accept(incoming, processedIf: processedIf) { result in
            switch result {
            case .success(.duplicate):
                metrics.webhooksReceived.inc([incoming.source.rawValue, metricEvent, "duplicate"])
                res.respond(.json(200, fields: ["status": isPing ? "pong" : "duplicate", "delivery": incoming.id]))
            case .success(let outcome):
                metrics.webhooksReceived.inc([incoming.source.rawValue, metricEvent, isPing ? "ping" : "accepted"])
                res.respond(
                    isPing
                        ? .json(200, fields: ["status": "pong", "delivery": incoming.id])
                        : .json(202, fields: ["status": "accepted", "delivery": incoming.id]))
                if outcome == .stored { onStored() }
            case .failure(let error):
                metrics.webhooksReceived.inc([incoming.source.rawValue, metricEvent, "unavailable"])
                logger.error(
                    "a webhook delivery could not be stored; answered 503 so the sender can redeliver",
                    metadata: [
                        "delivery": "\(incoming.id)", "source": "\(incoming.source.rawValue)", "error": "\(error)",
                    ])
                res.respond(.error(503, "store_unavailable", "the delivery could not be stored; redeliver it later"))
            }
        }
    }

    private func reject(
        _ res: HTTPResponder, _ source: DeliverySource, event: String?, id: String?, at: Date,
        status: Int, code: String, message: String, reason: String, metricEvent: String
    ) {
        metrics.webhooksReceived.inc([source.rawValue, metricEvent, "rejected_\(reason)"])
        state.inbox?.recordRejected(id: id, source: source, event: event, action: nil, receivedAt: at, reason: reason)
        logger.notice(
            "webhook rejected",
            metadata: ["source": "\(source.rawValue)", "status": "\(status)", "reason": "\(reason)"])
        res.respond(.error(status, code, message))
    }

    /// Headers are bounded by libmicrohttpd's memory limit; what we keep of them is bounded more.
    static func clip(_ value: String) -> String { value.count <= 128 ? value : String(value.prefix(128)) }

    /// Metric labels take only known event names, so label cardinality stays bounded.
    static func eventLabel(_ event: String) -> String {
        GitHubEventDecoder.handledEvents.contains(event) || event == "ping" ? event : "other"
    }

    static func argoEventLabel(_ trigger: String) -> String {
        ["on-health-degraded", "on-sync-succeeded", "notification"].contains(trigger) ? trigger : "other"
    }
}
