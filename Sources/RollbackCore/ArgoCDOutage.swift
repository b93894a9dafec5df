import Foundation

/// "Argo CD unreachable" as one episode for the whole Argo CD (SPEC 11): opened when the list of
/// applications failed `argoFailuresBeforeSkip` times in a row, closed once lists have
/// succeeded for `healthRestorationDuration`. One issue and one Slack message, however many apps
/// are monitored. Pure: the poller feeds it each list's outcome and performs what it returns.
public struct ArgoCDOutage: Sendable, Equatable {
    public enum Change: Sendable, Equatable {
        case opened
        case closed
    }

    public private(set) var isOpen = false
    private var consecutiveFailures = 0
    private var reachableSince: Date?

    public init() {}

    public mutating func listFailed(at now: Date, configuration: RollbackConfiguration) -> Change? {
        consecutiveFailures += 1
        reachableSince = nil
        guard !isOpen, consecutiveFailures >= configuration.argoFailuresBeforeSkip else { return nil }
        isOpen = true
        return .opened
    }

    public mutating func listSucceeded(at now: Date, configuration: RollbackConfiguration) -> Change? {
        consecutiveFailures = 0
        guard isOpen else { return nil }
        let since = reachableSince ?? now
        reachableSince = since
        guard now.timeIntervalSince(since) >= configuration.healthRestorationDuration else { return nil }
        isOpen = false
        reachableSince = nil
        return .closed
    }

    /// The application the episode is reported for.
    public static let subject = ApplicationInfo(
        name: "Argo CD", environment: .production, manifestRepository: "none", baseBranch: "none")

    /// The episode's escalation: an issue in `ALERTS_REPO` and a Slack message.
    public static func escalation(detail: String) -> Escalation {
        let context = EscalationRenderer.Context(
            app: subject, code: .argocdUnreachable, detail: detail, state: .idle, attempt: nil, lastCheck: nil)
        return Escalation(
            code: .argocdUnreachable, correlationId: nil, asCommentOnExistingIssue: false,
            issueTitle: EscalationRenderer.title(app: subject.name, code: .argocdUnreachable),
            issueBody: EscalationRenderer.body(context),
            labels: EscalationRenderer.labels(environment: subject.environment),
            slack: SlackRenderer.escalation(
                app: subject, code: .argocdUnreachable, correlationId: nil, issueURL: nil, prURL: nil, detail: detail),
            securityAlert: false)
    }
}
