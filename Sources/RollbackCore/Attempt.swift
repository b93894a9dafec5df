import Foundation

/// One rollback attempt of one application, from leaving `Idle` to its end. Everything the
/// REST API shows about it is here (SPEC 16).
public struct Attempt: Sendable, Equatable, Codable {
    public var correlationId: String
    public var createdAt: Date
    public var updatedAt: Date
    /// The revision that degraded (`status.sync.revision` when persistence was confirmed).
    public var currentRevision: String?
    /// The checks that confirmed the degradation, oldest first.
    public var confirmingChecks: [HealthCheckRecord]
    /// The last check seen during the attempt.
    public var lastCheck: HealthCheckRecord?
    public var candidates: [CandidateVerdict] = []
    public var target: Candidate?
    public var pullRequest: PullRequestRef?
    public var headBranch: String?
    /// Approvals by authorized approvers, each for the head SHA it was given on.
    public var approvals: [Approval] = []
    public var lastInvariants: InvariantReport?
    public var mergeFactsReads = 0
    public var merge: MergeRecord?
    public var recoveredAt: Date?
    public var sawHealthyAfterMerge = false
    public var escalationIssueURL: String?
    public var escalations: [ReasonCode] = []
    /// The latest escalation sent while no issue was linked: re-sent on resume after a crash
    /// (the effect finds an issue already opened for the attempt and only links it).
    public var unlinkedEscalation: Escalation?
    public var abortReason: ReasonCode?
    public var endedAt: Date?
    public var history: [HistoryEntry] = []
    /// PR heads that were not the operator's commit, each escalated once (SPEC 19). Optional so
    /// that attempts stored before it existed still decode.
    public var foreignHeads: [String]?
    /// ChatOps comments already applied: a command counts once per comment id, whatever
    /// delivery or poll brought it (the newest 200 are kept).
    public var appliedCommentIDs: [Int]?

    public struct Approval: Sendable, Equatable, Codable {
        public var approver: String
        public var headSHA: String
        public var at: Date
    }
    public struct MergeRecord: Sendable, Equatable, Codable {
        public var basis: MergeBasis
        public var headSHA: String
        public var orderedAt: Date
        public var confirmed: Bool
        public var external: Bool
    }
    public struct HistoryEntry: Sendable, Equatable, Codable {
        public var at: Date
        public var from: RollbackState
        public var to: RollbackState
        public var event: String
        public var reason: String
    }

    /// The approval that holds for `headSHA`, if any.
    public func approval(for headSHA: String) -> Approval? { approvals.last { $0.headSHA == headSHA } }
}

/// What a step did.
public struct Transition: Sendable, Equatable {
    public enum Outcome: Sendable, Equatable {
        /// The event applied (the state may or may not have changed).
        case applied
        /// The event does not apply: nothing changed (apart from a possible reply).
        case ignored(reason: String)
    }
    public var event: String
    public var from: RollbackState
    public var to: RollbackState
    public var outcome: Outcome
    public var actions: [RollbackAction]

    public var isIgnored: Bool { if case .ignored = outcome { true } else { false } }
}

/// The per-step inputs that are not the event: configuration and the shared quota ledger.
public struct StepContext: Sendable, Equatable {
    public var configuration: RollbackConfiguration
    public var quotas: QuotaLedger
    public init(configuration: RollbackConfiguration = .default, quotas: QuotaLedger = QuotaLedger()) {
        self.configuration = configuration
        self.quotas = quotas
    }
}
