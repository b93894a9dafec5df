/// Timings and quotas of the core (SPEC sections 8, 12 and 18). Every duration is in seconds
/// and may be fractional (tests run with `POLL_INTERVAL_SEC=0.2`). The shell fills it from the
/// environment variables named on each property; the defaults are the SPEC's.
public struct RollbackConfiguration: Sendable, Equatable, Codable {
    /// `POLL_INTERVAL_SEC`
    public var pollInterval: Double = 10
    /// `DEGRADATION_PERSISTENCE_CHECKS`
    public var persistenceChecks: Int = 3
    /// `HEALTH_RESTORATION_DURATION`
    public var healthRestorationDuration: Double = 60
    /// `CANDIDATE_SEARCH_TIMEOUT`
    public var candidateSearchTimeout: Double = 120
    /// Time allowed in `CandidateResolved` to open the PR (the effect runner retries inside it).
    /// The SPEC bounds it "by retries" and targets "PR within 2 min"; no env var of its own.
    public var prCreationTimeout: Double = 120
    /// `CI_WAIT_TIMEOUT`
    public var ciWaitTimeout: Double = 300
    /// `CI_POLL_INTERVAL_SEC`
    public var ciPollInterval: Double = 15
    /// `MERGE_APPROVAL_TIMEOUT`
    public var mergeApprovalTimeout: Double = 3600
    /// `REVIEW_POLL_INTERVAL_SEC`
    public var reviewPollInterval: Double = 30
    /// Delay between reads of a PR whose `mergeable` is still `null` (SPEC 9, I8).
    public var mergeableRereadDelay: Double = 2
    /// How many reads of `mergeable: null` before I8 FAILs (SPEC 9, I8).
    public var mergeableMaxReads: Int = 3
    /// `HEALTH_RECOVERY_TIMEOUT`
    public var healthRecoveryTimeout: Double = 600
    /// `COMPLETE_HOLD_SEC`
    public var completeHold: Double = 60
    /// `HUMAN_REVIEW_PAGE_SEC`
    public var humanReviewPage: Double = 3600
    /// `HUMAN_REVIEW_TIMEOUT_SEC`
    public var humanReviewTimeout: Double = 14400
    /// `ARGOCD_SKIP_SEC`
    public var argoSkip: Double = 300
    /// Failed Argo CD reads in a row before an app is skipped (SPEC 4).
    public var argoFailuresBeforeSkip: Int = 3
    /// `STALE_ATTEMPT_SEC`
    public var staleAttempt: Double = 86400
    /// `ROLLBACK_PR_MAX_AGE_SEC`
    public var rollbackPRMaxAge: Double = 604800
    /// `ROLLBACK_COOLDOWN_SEC`
    public var rollbackCooldown: Double = 600
    /// Stability threshold of a candidate (SPEC 6): `avg_over_time(up[24h]) >= 0.99`.
    public var minimumUptime: Double = 0.99
    /// Candidate search limits (SPEC 6).
    public var maxCandidates: Int = 50
    public var candidateMaxAge: Double = 30 * 86400
    /// Quotas (SPEC 12).
    public var maxAttemptsInFlight: Int = 10
    public var maxAttemptsPerAppPerDay: Int = 5
    public var maxPRsPerRepoPerHour: Int = 10
    public var maxMergesPerRepoPerHour: Int = 5
    /// Where the operator may write, and which base branches are staging and production
    /// (SPEC 19; `ALLOWED_MANIFEST_REPOS`, `STAGING_BRANCH`, `PRODUCTION_BRANCH`).
    public var writePolicy = WritePolicy()

    public init() {}

    /// The SPEC defaults.
    public static let `default` = RollbackConfiguration()
}
