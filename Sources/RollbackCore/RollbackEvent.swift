import Foundation

/// Everything the shell feeds into the machine: observations, results of the actions it
/// performed, webhooks (as facts), commands and timer firings (SPEC 5).
public enum RollbackEvent: Sendable, Equatable, Codable {
    /// A health check (poller, or an Argo CD notification that triggered a read): `HealthChecked`.
    case healthChecked(HealthObservation)
    /// Result of `searchCandidates`: `CandidateFound`, `NoCandidateFound` or a revision mismatch.
    case candidateSearchFinished(CandidateSelection)
    /// Result of `openPullRequest`: the PR exists (found or created): `PRCreated`.
    case pullRequestCreated(PullRequestRef)
    /// `openPullRequest` failed after the effect runner's retries: `PRCreationFailed`.
    case pullRequestCreationFailed(ExternalCallFailure)
    /// CI results of a commit (webhook or `fetchCI`): `CISucceeded` / `CIFailed`.
    case ciReported(CIReport)
    /// Fresh facts for a merge decision (result of `gatherMergeFacts`):
    /// `AutoMergeAllowed` / `HumanApproved` / `InvariantFailed` / `HealthRestored`.
    case mergeFactsGathered(MergeFacts)
    /// A review was submitted or dismissed on the rollback PR.
    case reviewSubmitted(ReviewInput)
    /// `APPROVE`, `ABORT`, `MANUAL`, `RESET`.
    case command(CommandInput)
    /// The rollback PR was closed (merged or not).
    case pullRequestClosed(PullRequestClosure)
    /// The rollback PR's head moved (`synchronize`): earlier approvals no longer hold, and a
    /// head that is not the operator's own commit is never merged (SPEC 19).
    case pullRequestHeadChanged(number: Int, headSHA: String, pushedBy: String? = nil)
    /// Result of `merge`.
    case mergeSucceeded(mergeCommitSHA: String?)
    case mergeFailed(ExternalCallFailure)
    /// The escalation issue of the attempt exists at `url`.
    case escalationIssueOpened(url: String)
    /// A timer scheduled by `scheduleTimer` fired.
    case timerFired(TimerToken)
    /// The shell caught something that must never happen (e.g. a merge about to happen in
    /// production without approval): emergency stop.
    case criticalInvariantViolated(String)
    /// The effect runner refused a write the write policy does not allow (SPEC 19): nothing
    /// was written.
    case policyDenied(PolicyRefusal)
    /// A call the attempt depends on failed for good and no retry or wait can help
    /// (`PERMISSION_DENIED`, `VALIDATION_ERROR`): escalate at once, never wait for a timeout
    /// (SPEC 12).
    case callFailed(ExternalCallFailure)
    /// The service restarted: re-read the truth, re-arm timers, or abort a stale attempt.
    case resumed

    /// The SPEC name (or a short name) of the event, for history and audit.
    public var name: String {
        switch self {
        case .healthChecked: "HealthChecked"
        case .candidateSearchFinished(let selection):
            switch selection.outcome {
            case .found: "CandidateFound"
            case .noCandidate: "NoCandidateFound"
            case .revisionMismatch: "RevisionMismatch"
            }
        case .pullRequestCreated: "PRCreated"
        case .pullRequestCreationFailed: "PRCreationFailed"
        case .ciReported: "CIReported"
        case .mergeFactsGathered: "MergeFactsGathered"
        case .reviewSubmitted: "ReviewSubmitted"
        case .command(let command): "Command(\(command.kind.rawValue))"
        case .pullRequestClosed(let closure): closure.merged ? "MergedExternally" : "PRClosed"
        case .pullRequestHeadChanged: "PRHeadChanged"
        case .mergeSucceeded: "MergeSucceeded"
        case .mergeFailed: "MergeFailed"
        case .escalationIssueOpened: "EscalationIssueOpened"
        case .timerFired(let token): "Timeout(\(token.kind.rawValue))"
        case .criticalInvariantViolated: "CriticalInvariantViolated"
        case .policyDenied: "PolicyDenied"
        case .callFailed: "CallFailed"
        case .resumed: "Resumed"
        }
    }
}

/// The rollback PR as GitHub reports it.
public struct PullRequestRef: Sendable, Equatable, Codable {
    public var number: Int
    public var url: String
    public var headBranch: String
    public var headSHA: String
    /// The commit the operator wrote on the head branch, as the effect runner verified it when it
    /// opened or found the PR (the branch's only change). The only head it ever merges.
    public var operatorCommitSHA: String?
    public init(number: Int, url: String, headBranch: String, headSHA: String, operatorCommitSHA: String? = nil) {
        self.number = number
        self.url = url
        self.headBranch = headBranch
        self.headSHA = headSHA
        self.operatorCommitSHA = operatorCommitSHA
    }
}

/// The facts the shell reads fresh for a merge decision (SPEC 9): everything the invariants
/// need that the machine does not already hold.
public struct MergeFacts: Sendable, Equatable, Codable {
    public var prNumber: Int
    public var health: ArgoHealthStatus
    public var replicas: ReplicaCounts?
    public var headSHA: String
    public var headCI: CIReport
    public var openOperatorPRs: [Int]
    public var mergeable: Bool?
    public var mergeableState: String?
    /// What the head changes against the base (nil when the compare could not be read).
    public var headChanges: [HeadChange]?
    /// Who made the head commit, when it is not the operator's (for the escalation).
    public var headAuthor: String?
    public init(
        prNumber: Int, health: ArgoHealthStatus, replicas: ReplicaCounts?, headSHA: String, headCI: CIReport,
        openOperatorPRs: [Int], mergeable: Bool?, mergeableState: String?, headChanges: [HeadChange]? = nil,
        headAuthor: String? = nil
    ) {
        self.headChanges = headChanges
        self.headAuthor = headAuthor
        self.prNumber = prNumber
        self.health = health
        self.replicas = replicas
        self.headSHA = headSHA
        self.headCI = headCI
        self.openOperatorPRs = openOperatorPRs
        self.mergeable = mergeable
        self.mergeableState = mergeableState
    }
}

/// A review on the rollback PR, with the authorization fact the shell established.
public struct ReviewInput: Sendable, Equatable, Codable {
    public var reviewer: String
    public var state: GitHubSignal.Review.State
    /// The head SHA the review was made on.
    public var commitSHA: String?
    /// In `APPROVERS` or a member of `APPROVER_TEAM`.
    public var isAuthorizedApprover: Bool
    /// The operator's own identity (it never approves its own PR).
    public var isOperator: Bool
    public init(
        reviewer: String, state: GitHubSignal.Review.State, commitSHA: String?, isAuthorizedApprover: Bool,
        isOperator: Bool = false
    ) {
        self.reviewer = reviewer
        self.state = state
        self.commitSHA = commitSHA
        self.isAuthorizedApprover = isAuthorizedApprover
        self.isOperator = isOperator
    }
}

/// The rollback PR was closed.
public struct PullRequestClosure: Sendable, Equatable, Codable {
    public var number: Int
    public var merged: Bool
    public var closedBy: String
    /// The operator closed it itself (already accounted for).
    public var byOperator: Bool
    public init(number: Int, merged: Bool, closedBy: String, byOperator: Bool = false) {
        self.number = number
        self.merged = merged
        self.closedBy = closedBy
        self.byOperator = byOperator
    }
}
