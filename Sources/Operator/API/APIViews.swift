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
        /// The commit the operator wrote: the only PR head it merges (SPEC 19).
        let operatorCommitSha: String?
        /// PR heads that were not the operator's change, each escalated once.
        let foreignHeads: [String]?
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

    static func summary(_ app: MonitoredApp, _ machine: RollbackStateMachine) -> ApplicationSummary {
        ApplicationSummary(
            name: app.name, environment: app.info.environment.rawValue, state: machine.state.rawValue,
            correlationId: machine.attempt?.correlationId,
            health: machine.window.recent.last?.observation.health.rawValue,
            updatedAt: machine.attempt?.updatedAt ?? machine.window.recent.last?.at)
    }

    static func detail(_ app: MonitoredApp, _ machine: RollbackStateMachine) -> ApplicationDetail {
        ApplicationDetail(
            name: app.name, environment: app.info.environment.rawValue, state: machine.state.rawValue,
            manifestRepository: app.info.manifestRepository, manifestPath: app.info.manifestPath,
            baseBranch: app.info.baseBranch,
            healthChecks: machine.window.recent.map(healthCheck),
            attempt: machine.attempt.map {
                attempt($0, app: app.name, environment: app.info.environment, state: machine.state)
            },
            lastAttempt: machine.lastAttempt.map {
                LastAttempt(
                    correlationId: $0.correlationId, state: ($0.history.last?.to ?? .idle).rawValue,
                    endedAt: $0.endedAt,
                    outcome: outcome($0))
            })
    }

    static func healthCheck(_ record: HealthCheckRecord) -> HealthCheck {
        HealthCheck(
            at: record.at, health: record.observation.health.rawValue, degraded: record.degraded,
            syncRevision: record.observation.syncRevision,
            desiredReplicas: record.observation.replicas?.desired,
            availableReplicas: record.observation.replicas?.available,
            argoReadFailed: record.observation.argoReadFailed,
            unhealthyPods: record.observation.unhealthyPods.map { .init(name: $0.name, reason: $0.reason) })
    }

    static func attempt(_ attempt: Attempt, app: String, environment: DeploymentEnvironment, state: RollbackState)
        -> AttemptView
    {
        AttemptView(
            correlationId: attempt.correlationId, app: app, environment: environment.rawValue, state: state.rawValue,
            currentRevision: attempt.currentRevision, targetRevision: attempt.target?.sha,
            prNumber: attempt.pullRequest?.number,
            prUrl: attempt.pullRequest?.url, operatorCommitSha: attempt.pullRequest?.operatorCommitSHA,
            foreignHeads: attempt.foreignHeads, escalationIssueUrl: attempt.escalationIssueURL,
            invariants: attempt.lastInvariants.map { report in
                OrderedStringMap(report.results.map { ($0.id.rawValue, $0.outcome.rawValue) })
            },
            invariantEvidence: attempt.lastInvariants.map { report in
                OrderedStringMap(report.results.map { ($0.id.rawValue, $0.evidence) })
            },
            candidates: attempt.candidates.map { CandidateView(sha: $0.sha, taken: $0.taken, reason: $0.reason) },
            history: attempt.history.map {
                HistoryView(at: $0.at, from: $0.from.rawValue, to: $0.to.rawValue, event: $0.event, reason: $0.reason)
            },
            createdAt: attempt.createdAt, updatedAt: attempt.updatedAt, endedAt: attempt.endedAt,
            abortReason: attempt.abortReason?.rawValue)
    }

    /// How an ended attempt ended, in one word.
    static func outcome(_ attempt: Attempt) -> String {
        if let reason = attempt.abortReason { return reason == .reset ? "reset" : "aborted" }
        if attempt.recoveredAt != nil { return "recovered" }
        if attempt.history.contains(where: { $0.to == .idle && $0.event.contains("HealthRestored") }) {
            return "health_restored"
        }
        return (attempt.history.last?.to ?? .idle) == .abort ? "aborted" : "ended"
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
        var container = encoder.container(keyedBy: Key.self)
        for (key, value) in pairs { try container.encode(value, forKey: Key(stringValue: key)) }
    }
}
