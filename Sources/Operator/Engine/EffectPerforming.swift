import RollbackCore

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
