import Foundation
import RollbackCore

/// The JSON shapes of the REST status API (SPEC 16; described in openapi/openapi.yaml).
enum APIViews {
    struct ApplicationSummary: Encodable {
        let name: String
        let environment: String
        let state: String
        let correlationId: String?
        let health: String?
        let updatedAt: Date?
    }

    struct ApplicationList: Encodable { let applications: [ApplicationSummary] }

    struct HealthCheck: Encodable {
        let at: Date
        let health: String
        let degraded: Bool
        let syncRevision: String?
        let desiredReplicas: Int?
        let availableReplicas: Int?
        let argoReadFailed: Bool
        let unhealthyPods: [Pod]
        struct Pod: Encodable {
            let name: String
            let reason: String
        }
    }

    struct CandidateView: Encodable {
        let sha: String
        let taken: Bool
        let reason: String
    }
    struct HistoryView: Encodable {
        let at: Date
        let from: String
        let to: String
        let event: String
        let reason: String
    }

    struct AttemptView: Encodable {
        let correlationId: String
        let app: String
        let environment: String
        let state: String
        let currentRevision: String?
        let targetRevision: String?
        let prNumber: Int?
        let prUrl: String?
        let escalationIssueUrl: String?
        let invariants: OrderedStringMap?
        let invariantEvidence: OrderedStringMap?
        let candidates: [CandidateView]
        let history: [HistoryView]
        let createdAt: Date
        let updatedAt: Date
        let endedAt: Date?
        let abortReason: String?
    }

    struct LastAttempt: Encodable {
        let correlationId: String
        let state: String
        let endedAt: Date?
        let outcome: String
    }

    struct ApplicationDetail: Encodable {
        let name: String
        let environment: String
        let state: String
        let manifestRepository: String
        let manifestPath: String
        let baseBranch: String
        let healthChecks: [HealthCheck]
        let attempt: AttemptView?
        let lastAttempt: LastAttempt?
    }

    struct CommandResult: Encodable {
        let correlationId: String
        let command: String
        let state: String
        let message: String
    }

    static func summary(_ app: MonitoredApp, _ m: RollbackStateMachine) -> ApplicationSummary {
        ApplicationSummary(
            name: app.name, environment: app.info.environment.rawValue, state: m.state.rawValue,
            correlationId: m.attempt?.correlationId, health: m.window.recent.last?.observation.health.rawValue,
            updatedAt: m.attempt?.updatedAt ?? m.window.recent.last?.at)
    }

    static func detail(_ app: MonitoredApp, _ m: RollbackStateMachine) -> ApplicationDetail {
        ApplicationDetail(
            name: app.name, environment: app.info.environment.rawValue, state: m.state.rawValue,
            manifestRepository: app.info.manifestRepository, manifestPath: app.info.manifestPath,
            baseBranch: app.info.baseBranch,
            healthChecks: m.window.recent.map(healthCheck),
            attempt: m.attempt.map { attempt($0, app: app.name, environment: app.info.environment, state: m.state) },
            lastAttempt: m.lastAttempt.map {
                LastAttempt(
                    correlationId: $0.correlationId, state: ($0.history.last?.to ?? .idle).rawValue,
                    endedAt: $0.endedAt,
                    outcome: outcome($0))
            })
    }

    static func healthCheck(_ r: HealthCheckRecord) -> HealthCheck {
        HealthCheck(
            at: r.at, health: r.observation.health.rawValue, degraded: r.degraded,
            syncRevision: r.observation.syncRevision,
            desiredReplicas: r.observation.replicas?.desired, availableReplicas: r.observation.replicas?.available,
            argoReadFailed: r.observation.argoReadFailed,
            unhealthyPods: r.observation.unhealthyPods.map { .init(name: $0.name, reason: $0.reason) })
    }

    static func attempt(_ a: Attempt, app: String, environment: DeploymentEnvironment, state: RollbackState)
        -> AttemptView
    {
        AttemptView(
            correlationId: a.correlationId, app: app, environment: environment.rawValue, state: state.rawValue,
            currentRevision: a.currentRevision, targetRevision: a.target?.sha, prNumber: a.pullRequest?.number,
            prUrl: a.pullRequest?.url, escalationIssueUrl: a.escalationIssueURL,
            invariants: a.lastInvariants.map { r in
                OrderedStringMap(r.results.map { ($0.id.rawValue, $0.outcome.rawValue) })
            },
            invariantEvidence: a.lastInvariants.map { r in
                OrderedStringMap(r.results.map { ($0.id.rawValue, $0.evidence) })
            },
            candidates: a.candidates.map { CandidateView(sha: $0.sha, taken: $0.taken, reason: $0.reason) },
            history: a.history.map {
                HistoryView(at: $0.at, from: $0.from.rawValue, to: $0.to.rawValue, event: $0.event, reason: $0.reason)
            },
            createdAt: a.createdAt, updatedAt: a.updatedAt, endedAt: a.endedAt, abortReason: a.abortReason?.rawValue)
    }

    /// How an ended attempt ended, in one word.
    static func outcome(_ a: Attempt) -> String {
        if let r = a.abortReason { return r == .reset ? "reset" : "aborted" }
        if a.recoveredAt != nil { return "recovered" }
        if a.history.contains(where: { $0.to == .idle && $0.event.contains("HealthRestored") }) {
            return "health_restored"
        }
        return (a.history.last?.to ?? .idle) == .abort ? "aborted" : "ended"
    }
}

/// A JSON object whose keys keep their order (I1 .. I8).
struct OrderedStringMap: Encodable {
    let pairs: [(String, String)]
    init(_ pairs: [(String, String)]) { self.pairs = pairs }

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        for (k, v) in pairs { try c.encode(v, forKey: Key(stringValue: k)) }
    }
}
