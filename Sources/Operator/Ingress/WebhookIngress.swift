import Foundation
import HTTPServer
import Logging
import RollbackCore
import Storage
import Webhooks

/// The two webhook doors (SPEC section 16). Each answers fast and strictly: what the headers
/// alone decide (body limit, authentication header) is decided before the body is read, then
/// the signature, headers and JSON; a 2xx is sent only after the delivery's row is committed
/// (the handler returns at once and the answer follows the group commit). Rejections are
/// counted and kept in memory only (`RejectedRequests`); nothing of them reaches the disk.
final class WebhookIngress: Sendable {
    static let githubRoute = "/webhooks/github"
    static let argocdRoute = "/webhooks/argocd"
    /// GitHub's own payload cap.
    static let githubBodyLimit = 25 * 1024 * 1024
    /// Argo CD notifications are small JSON documents.
    static let argocdBodyLimit = 1024 * 1024

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
        Self.prepareSeries(metrics)
    }

    func register(on router: inout Router) {
        router.post(
            Self.githubRoute,
            options: RouteOptions(
                maxBodyBytes: Self.githubBodyLimit, screen: { [self] head in screenGitHub(head) },
                refused: { [self] head, status in refusedByServer(.github, head, status: status) })
        ) { [self] req, res in handleGitHub(req, res) }
        router.post(
            Self.argocdRoute,
            options: RouteOptions(
                maxBodyBytes: Self.argocdBodyLimit, screen: { [self] head in screenArgoCD(head) },
                refused: { [self] head, status in refusedByServer(.argocd, head, status: status) })
        ) { [self] req, res in handleArgoCD(req, res) }
    }

    // MARK: - GitHub

    func handleGitHub(_ req: HTTPRequest, _ res: HTTPResponder) {
        let deliveryHeader = req.header("x-github-delivery").map { DeliveryText.clipped($0) }
        let eventHeader = req.header("x-github-event").map { DeliveryText.clipped($0) }
        let check = github.verify(body: req.body, signatureHeader: req.header("x-hub-signature-256"))
        guard check == .valid else {
            // An unauthenticated sender chooses nothing in our metrics' labels.
            res.respond(
                reject(
                    .github, reason: RejectionReason.signature(check), event: eventHeader, id: deliveryHeader,
                    metricEvent: "unverified"))
            return
        }
        guard let event = eventHeader, !event.isEmpty else {
            res.respond(
                reject(.github, reason: .missingEventHeader, event: nil, id: deliveryHeader, metricEvent: "unknown"))
            return
        }
        guard let delivery = deliveryHeader, !delivery.isEmpty else {
            res.respond(
                reject(
                    .github, reason: .missingDeliveryHeader, event: event, id: nil,
                    metricEvent: Self.eventLabel(event)))
            return
        }
        let scan = JSONScan.validate(req.body, member: "action")
        guard scan.isValid, scan.topLevelIsObject else {
            let why = scan.failure.map { "\($0)" } ?? "the top level is not an object"
            res.respond(
                reject(
                    .github, reason: .invalidJSON, event: event, id: delivery, metricEvent: Self.eventLabel(event),
                    message: "the body is not a JSON object: \(why)"))
            return
        }
        let incoming = IncomingDelivery(
            id: delivery, source: .github, event: event, action: scan.member,
            receivedAt: clock(), body: req.body)
        store(incoming, res, metricEvent: Self.eventLabel(event), isPing: event == "ping")
    }

    // MARK: - Argo CD

    func handleArgoCD(_ req: HTTPRequest, _ res: HTTPResponder) {
        // The screen let only the right token through; checked again in case the route is ever
        // registered without it.
        if let refusal = screenArgoCD(req) {
            res.respond(refusal)
            return
        }
        let notification: ArgoCDNotification
        switch ArgoCDNotificationDecoder.decode(body: req.body) {
        case .success(let decoded): notification = decoded
        case .failure(let error):
            res.respond(
                reject(
                    .argocd, reason: .invalidBody, event: nil, id: nil, metricEvent: "notification",
                    message: "\(error)"))
            return
        }
        let trigger = notification.trigger ?? "notification"
        let incoming = IncomingDelivery(
            id: UUID().uuidString.lowercased(), source: .argocd, event: trigger,
            action: nil, receivedAt: clock(), body: req.body)
        store(incoming, res, metricEvent: Self.argoEventLabel(incoming.event), isPing: false)
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

    /// Metric labels take only known event names, so label cardinality stays bounded.
    static func eventLabel(_ event: String) -> String {
        GitHubEventDecoder.handledEvents.contains(event) || event == "ping" ? event : "other"
    }

    static let argoEventLabels: Set<String> = ["on-health-degraded", "on-sync-succeeded", "notification"]

    static func argoEventLabel(_ trigger: String) -> String {
        argoEventLabels.contains(trigger) ? trigger : "other"
    }
}
