import Foundation

/// The states of the per-application machine (SPEC 5). Raw values are the contract names.
public enum RollbackState: String, Sendable, Equatable, Codable, CaseIterable {
    case idle = "Idle"
    case degradationDetected = "DegradationDetected"
    case candidateResolved = "CandidateResolved"
    case prCreated = "PRCreated"
    case awaitingMergeApproval = "AwaitingMergeApproval"
    case awaitingHumanReview = "AwaitingHumanReview"
    case rollbackMerged = "RollbackMerged"
    case rollbackComplete = "RollbackComplete"
    case abort = "Abort"

    /// `Idle` and `Abort` wait for the world (a degradation, a human); every other state is
    /// bounded by a pending timeout.
    public var isTerminal: Bool { self == .idle || self == .abort }
    /// An attempt is open (ABORT is accepted).
    public var hasOpenAttempt: Bool { !isTerminal }
    /// The states in which the operator's PR is open.
    public var hasOpenPR: Bool {
        self == .prCreated || self == .awaitingMergeApproval || self == .awaitingHumanReview
    }
}

/// Every timeout of SPEC 5 and 8, and the polls that cover missed webhooks.
public enum TimerKind: String, Sendable, Equatable, Codable, CaseIterable {
    /// `CANDIDATE_SEARCH_TIMEOUT` in `DegradationDetected` -> `NoCandidateFound`.
    case candidateSearch
    /// PR creation bound in `CandidateResolved` -> `PRCreationFailed`.
    case prCreation
    /// `CI_WAIT_TIMEOUT` in `PRCreated` -> `CITimeout`.
    case ciWait
    /// `CI_POLL_INTERVAL_SEC`: read CI again.
    case ciPoll
    /// `MERGE_APPROVAL_TIMEOUT` in `AwaitingMergeApproval` -> `ApprovalTimeout`.
    case mergeApproval
    /// `REVIEW_POLL_INTERVAL_SEC`: read reviews again.
    case reviewPoll
    /// Re-read the merge facts (I8 `mergeable: null`, or an auto-merge that must wait).
    case mergeFactsReread
    /// `HUMAN_REVIEW_PAGE_SEC`: page again.
    case humanReviewPage
    /// `HUMAN_REVIEW_TIMEOUT_SEC` -> close the PR, `Abort`.
    case humanReviewTimeout
    /// `HEALTH_RECOVERY_TIMEOUT` in `RollbackMerged` -> `RecoveryTimeout`.
    case healthRecovery
    /// `COMPLETE_HOLD_SEC` in `RollbackComplete` -> `Idle`.
    case completeHold

    /// The state whose maximum time this timer bounds, if it is a state deadline.
    public var deadlineOf: RollbackState? {
        switch self {
        case .candidateSearch: .degradationDetected
        case .prCreation: .candidateResolved
        case .ciWait: .prCreated
        case .mergeApproval: .awaitingMergeApproval
        case .humanReviewTimeout: .awaitingHumanReview
        case .healthRecovery: .rollbackMerged
        case .completeHold: .rollbackComplete
        case .ciPoll, .reviewPoll, .mergeFactsReread, .humanReviewPage: nil
        }
    }
}

/// Identifies one scheduled timer. A firing whose token is no longer pending (the state
/// moved on, or the timer was rescheduled) is stale and ignored.
public struct TimerToken: Sendable, Hashable, Codable {
    public var kind: TimerKind
    public var generation: UInt64
    public init(kind: TimerKind, generation: UInt64) {
        self.kind = kind
        self.generation = generation
    }
}

/// A pending timer as the machine remembers it (so it can be re-armed after a restart).
public struct PendingTimer: Sendable, Equatable, Codable {
    public var token: TimerToken
    public var fireAt: Date
}
