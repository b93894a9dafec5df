import Foundation

/// The escalation issue of SPEC 11: title, body, labels.
public enum EscalationRenderer {
    /// What an escalation talks about.
    public struct Context: Sendable, Equatable {
        public var app: ApplicationInfo
        public var code: ReasonCode
        /// One sentence with the specifics of this escalation.
        public var detail: String
        public var state: RollbackState
        public var attempt: Attempt?
        public var lastCheck: HealthCheckRecord?
        public init(
            app: ApplicationInfo, code: ReasonCode, detail: String, state: RollbackState, attempt: Attempt?,
            lastCheck: HealthCheckRecord?
        ) {
            self.app = app
            self.code = code
            self.detail = detail
            self.state = state
            self.attempt = attempt
            self.lastCheck = lastCheck
        }
    }

    /// `[URGENT] AI Operator Escalation: <app> - <reason in words>`
    public static func title(app: String, code: ReasonCode) -> String {
        "[URGENT] AI Operator Escalation: \(app) - \(code.words)"
    }

    /// `ai-operator`, `escalation`, `urgent`, `<env>`
    public static func labels(environment: DeploymentEnvironment) -> [String] {
        ["ai-operator", "escalation", "urgent", environment.rawValue]
    }

    /// What a human should do, per reason.
    public static func recommendedAction(_ code: ReasonCode, environment: DeploymentEnvironment) -> String {
        switch code {
        case .approvalRequired:
            "Review the rollback PR and approve its current head (review or `APPROVE`), or `ABORT` / `MANUAL`."
        case .ciFailure: "The rollback target also fails CI: choose another revision by hand and `RESET` when done."
        case .ciTimeout: "Check why CI did not finish in time; re-run it or take over with `MANUAL`."
        case .noCandidate: "No earlier revision passed the ancestry, CI and stability checks: roll back by hand."
        case .revisionMismatch:
            "Argo CD's synced revision differs from the manifest: someone is mid-change. Finish or revert it, then `RESET`."
        case .invariantFailed, .notMergeable: "Inspect the invariant table; fix the cause and `APPROVE`, or `ABORT`."
        case .approvalTimeout: "Nobody approved in time: decide now, and `RESET` the attempt."
        case .recoveryTimeout, .newDegradation:
            "The rollback did not heal the application: investigate by hand; the operator will not roll back further."
        case .healthMissing, .healthUnknown:
            "Check the Argo CD application's configuration; the operator cannot see its health."
        case .argocdUnreachable: "Check Argo CD availability and the operator's token."
        case .permissionDenied: "Check the GitHub App's permissions (see the security alert)."
        case .quotaExceeded, .rateLimited: "Too many rollbacks or API calls: look for a loop, then `RESET`."
        case .prCreationFailed: "The rollback PR could not be opened: check the GitOps repository and `RESET`."
        case .staleState: "The attempt was too old to resume: check the application and `RESET`."
        case .policyDenied:
            "The write policy refused this rollback (rule and value above): fix the app's annotations, labels or "
                + "branch, or `ALLOWED_MANIFEST_REPOS`, then `RESET`; roll back by hand if it is urgent."
        case .prClosed, .abortedByHuman, .manualTakeover, .reset: "No action needed."
        }
    }

    /// `detail` is the operator's own sentence; text that came from outside (Argo CD
    /// messages, API errors) is redacted where it enters it.
    /// The issue body: correlation id, app, env, FSM state, reason (with the `Reason code:`
    /// line), revisions, health, replicas, invariant table, recommended action, audit trail,
    /// commands.
    public static func body(_ context: Context) -> String {
        let attempt = context.attempt
        let observation = context.lastCheck?.observation
        var text = """
            ## AI Operator Escalation

            Reason code: \(context.code.rawValue)

            - **Application:** \(context.app.name)
            - **Environment:** \(context.app.environment.rawValue)
            - **Correlation ID:** \(attempt?.correlationId ?? "none (outside an attempt)")
            - **FSM state:** \(context.state.rawValue)
            - **Reason:** \(context.code.words): \(context.detail)
            - **Current revision:** \(attempt?.currentRevision ?? observation?.syncRevision ?? "unknown")
            - **Target revision:** \(attempt?.target?.sha ?? "none")
            - **Rollback PR:** \(attempt?.pullRequest.map { "#\($0.number) \($0.url)" } ?? "none")
            - **Argo CD health:** \(observation.map { $0.argoReadFailed ? "read failed" : $0.health.rawValue } ?? "unknown")\(observation?.message.map { " (\(TextFormatting.redact($0)))" } ?? "")
            - **Replicas:** \(observation?.replicas.map { "\($0.available)/\($0.desired) available" } ?? "unknown")

            ### Invariants


            """
        if let invariants = attempt?.lastInvariants {
            text += "| invariant | result | evidence |\n|---|---|---|\n"
            for result in invariants.results {
                text += "| \(result.id.rawValue) | \(result.outcome.rawValue) | \(result.evidence) |\n"
            }
        } else {
            text += "Not evaluated yet.\n"
        }
        text += """

            ### Recommended action

            \(recommendedAction(context.code, environment: context.app.environment))

            ### Audit trail

            \(attempt.map { "`GET /api/v1/rollbacks/\($0.correlationId)/audit`" } ?? "`GET /api/v1/applications/\(context.app.name)`")

            ### Commands

            Comment with one of these as the first word (authorized approvers only):
            - `APPROVE`: merge the rollback PR (I6 and I8 are still checked)
            - `ABORT`: close the rollback PR and stop
            - `MANUAL`: close the rollback PR; a human takes over
            - `RESET`: end the attempt and return to Idle

            """
        return text
    }
}
