import RollbackCore

/// A monitored Argo CD application as the engine knows it: the core's `ApplicationInfo`
/// (name, environment, where its `Application` manifest lives) plus where its code and
/// workload are. Derived from the Argo CD object on every poll (SPEC 3, 18).
public struct MonitoredApp: Sendable, Equatable, Codable {
    public var info: ApplicationInfo
    /// `owner/name` of the repository whose commits are the app's revisions
    /// (from `spec.source.repoURL`, or the matching entry of `spec.sources`).
    public var sourceRepository: String
    /// The `repoURL` exactly as the manifest writes it (to pick the entry of `spec.sources`).
    public var sourceRepoURL: String
    /// `spec.destination.namespace`.
    public var namespace: String
    /// The Deployment: annotation `ai-operator.io/deployment`, else the app's name.
    public var deployment: String

    public init(
        info: ApplicationInfo, sourceRepository: String, sourceRepoURL: String, namespace: String, deployment: String
    ) {
        self.info = info
        self.sourceRepository = sourceRepository
        self.sourceRepoURL = sourceRepoURL
        self.namespace = namespace
        self.deployment = deployment
    }

    public var name: String { info.name }
}

/// Performs the work actions of one step against the outside world and reports what
/// happened as events for the same application. Every effect is idempotent ("look before
/// create"), so running one again after a crash repeats nothing visible.
///
/// The engine handles the bookkeeping actions itself (`persist`, `audit`, `publish`,
/// `scheduleTimer`, `cancelTimer`, `recordMetric`, `recordQuota`, `archiveAttempt`, and
/// `reply` on the REST channel) and hands every other action here, after the state and the
/// audit entries that justify it are durable.
public protocol EffectPerforming: Sendable {
    /// - Parameters:
    ///   - action: one of `searchCandidates`, `openPullRequest`, `fetchCI`, `gatherMergeFacts`,
    ///     `fetchReviews`, `merge`, `closePullRequest`, `escalate`, `notify`,
    ///     `closeEpisodeIssue`, `reply` (ChatOps channel).
    ///   - app: the application.
    ///   - machine: the machine state right after the step that asked for the action.
    /// - Returns: the events to feed back (possibly none), in order.
    func perform(_ action: RollbackAction, app: MonitoredApp, machine: RollbackStateMachine) async -> [RollbackEvent]
}

/// Who may approve and command (SPEC 10): a login in `APPROVERS` or an active member of
/// `APPROVER_TEAM`.
public protocol ApproverChecking: Sendable {
    func isAuthorized(_ login: String) async -> Bool
}
