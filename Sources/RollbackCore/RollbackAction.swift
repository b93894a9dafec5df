import Foundation

/// What the shell must do after a step, in order. The first action of every step that
/// changed the machine is `persist` (write-ahead): commit the new machine state, then
/// perform the rest. Every action is idempotent on the shell side (look before create).
public enum RollbackAction: Sendable, Equatable, Codable {
    /// Commit the machine state (and the audit entries of this step) before anything else.
    case persist
    /// Append one audit entry (SPEC 14).
    case audit(AuditRecord)
    /// Publish a domain event (SPEC 13).
    case publish(DomainEvent)
    /// Arm a timer; feed `.timerFired(token)` at `fireAt`.
    case scheduleTimer(TimerToken, fireAt: Date)
    /// Disarm a timer (a late firing would be ignored anyway).
    case cancelTimer(TimerToken)
    /// Gather `CandidateFacts` (Argo CD history, commits, compare, CI, Prometheus), run
    /// `CandidateSelector.select`, feed `.candidateSearchFinished`.
    case searchCandidates(currentRevision: String?)
    /// Create (or find and reuse) the rollback branch, commit and PR; feed `.pullRequestCreated`
    /// or `.pullRequestCreationFailed`.
    case openPullRequest(PullRequestPlan)
    /// Read CI of the PR head; feed `.ciReported`.
    case fetchCI(prNumber: Int, headSHA: String)
    /// Read health, replicas, PR head, head CI, open operator PRs and mergeability; feed
    /// `.mergeFactsGathered`. `read` counts the reads made for this decision (I8).
    case gatherMergeFacts(prNumber: Int, read: Int)
    /// Read reviews of the PR; feed `.reviewSubmitted` for each new one.
    case fetchReviews(prNumber: Int)
    /// Squash-merge with the head-SHA guard; feed `.mergeSucceeded` / `.mergeFailed`.
    case merge(MergeOrder)
    /// Close the operator's PR with a comment.
    case closePullRequest(number: Int, comment: String)
    /// Open the escalation issue (or comment on the attempt's existing one) and post to Slack.
    case escalate(Escalation)
    /// A Slack message that is not an escalation (production degradation confirmed).
    case notify(SlackMessage)
    /// Close an alert episode's issue with a comment (outside an attempt, SPEC 11).
    case closeEpisodeIssue(ReasonCode, comment: String)
    /// Answer a command (ChatOps comment, or the REST response text).
    case reply(CommandReply)
    /// Count or observe a metric (SPEC 15); labels `app_name`/`environment` come from the app.
    case recordMetric(MetricEvent)
    /// Record a quota usage in the shared `QuotaLedger` (committed with the state).
    case recordQuota(QuotaLedger.Usage)
    /// The attempt ended: move it to the finished attempts (kept for the API and 7 days).
    case archiveAttempt(correlationId: String)
}

/// One audit entry; the shell adds `version`, `timestamp`, `actor`.
public struct AuditRecord: Sendable, Equatable, Codable {
    public enum ActionType: String, Sendable, Codable {
        case mcpCall = "MCP_CALL"
        case fsmTransition = "FSM_TRANSITION"
        case invariantCheck = "INVARIANT_CHECK"
        case escalation = "ESCALATION"
        case error = "ERROR"
    }
    public enum Level: String, Sendable, Codable {
        case info = "INFO"
        case warning = "WARN"
        case error = "ERROR"
    }
    public var actionType: ActionType
    public var level: Level
    public var correlationId: String?
    /// A human sentence saying why.
    public var reasoning: String
    public var fsmBefore: RollbackState
    public var fsmAfter: RollbackState
    public var event: String
    public var invariants: InvariantReport?
    public var escalation: ReasonCode?

    public init(
        actionType: ActionType, level: Level, correlationId: String?, reasoning: String, fsmBefore: RollbackState,
        fsmAfter: RollbackState, event: String, invariants: InvariantReport? = nil, escalation: ReasonCode? = nil
    ) {
        self.actionType = actionType
        self.level = level
        self.correlationId = correlationId
        self.reasoning = reasoning
        self.fsmBefore = fsmBefore
        self.fsmAfter = fsmAfter
        self.event = event
        self.invariants = invariants
        self.escalation = escalation
    }
}

/// A domain event (SPEC 13): subject `ai-operator.<env>.<suffix>`.
public struct DomainEvent: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        case degradationDetected = "DegradationDetected"
        case degradationConfirmed = "DegradationConfirmed"
        case candidateResolved = "CandidateResolved"
        case prCreated = "PRCreated"
        case mergeCompleted = "MergeCompleted"
        case healthRestored = "HealthRestored"
        case abort = "Abort"
        case stateTransition = "StateTransition"

        public var subjectSuffix: String {
            switch self {
            case .degradationDetected: "degradation.detected"
            case .degradationConfirmed: "degradation.confirmed"
            case .candidateResolved: "candidate.resolved"
            case .prCreated: "pr.created"
            case .mergeCompleted: "merge.completed"
            case .healthRestored: "health.restored"
            case .abort: "abort"
            case .stateTransition: "fsm.state_transition"
            }
        }
    }
    public var kind: Kind
    public var app: String
    public var environment: DeploymentEnvironment
    public var correlationId: String?
    public var timestamp: Date
    public var from: RollbackState?
    public var to: RollbackState?
    public var version: String { "1.0" }
    public var subject: String { "ai-operator.\(environment.rawValue).\(kind.subjectSuffix)" }
}

/// Everything needed to open the rollback PR (SPEC 7).
public struct PullRequestPlan: Sendable, Equatable, Codable {
    public var repository: String
    public var baseBranch: String
    public var headBranch: String
    public var title: String
    public var body: String
    public var labels: [String]
    public var manifestPath: String
    public var currentRevision: String
    public var targetRevision: String
    public var correlationId: String
}

/// Why a merge is allowed; carried on the merge order so the audit and tests can check it.
public enum MergeBasis: Sendable, Equatable, Codable {
    /// Staging auto-merge: all 8 invariants PASS in the same step.
    case automatic(InvariantReport)
    /// An authorized human approved this head SHA (review or `APPROVE`).
    case humanApproval(approver: String, headSHA: String)

    /// The `auto_merged` label of the merged counter.
    public var isAutomatic: Bool { if case .automatic = self { true } else { false } }
}

/// A squash-merge with the head-SHA guard.
public struct MergeOrder: Sendable, Equatable, Codable {
    public var repository: String
    public var prNumber: Int
    public var expectedHeadSHA: String
    public var method: String
    public var basis: MergeBasis
}

/// An escalation (SPEC 11): the attempt's issue (or a comment on it) and a Slack message.
public struct Escalation: Sendable, Equatable, Codable {
    public var code: ReasonCode
    public var correlationId: String?
    /// The attempt already has an issue: post `issueBody` as a comment on it instead.
    public var asCommentOnExistingIssue: Bool
    public var issueTitle: String
    public var issueBody: String
    public var labels: [String]
    public var slack: SlackMessage
    /// `PERMISSION_DENIED` also raises a separate security alert.
    public var securityAlert: Bool
}

/// A Slack incoming-webhook message.
public struct SlackMessage: Sendable, Equatable, Codable {
    public var text: String
    public init(text: String) { self.text = text }
    /// The JSON body to POST: `{"text": "..."}`.
    public var json: String { "{\"text\": \(TextFormatting.jsonString(text))}" }
}

/// The answer to a command.
public struct CommandReply: Sendable, Equatable, Codable {
    public var channel: CommandChannel
    public var applied: Bool
    public var text: String
}

/// Metric observations (SPEC 15).
public enum MetricEvent: Sendable, Equatable, Codable {
    case degradationDetected
    case rollbackProposed(success: Bool)
    case rollbackMerged(autoMerged: Bool)
    case rollbackAborted(reason: ReasonCode)
    case invariantViolation(InvariantID)
    case timeToRecovery(seconds: Double)
    case candidateResolutionDuration(seconds: Double)
    case fsmState(RollbackState)
}
