import Foundation

/// The per-application rollback state machine of SPEC 5, as a value type. Feed it events
/// with `handle(_:now:context:)`; it returns the actions the shell must perform, in order
/// (`persist` first). It does no I/O, reads no clock and draws no randomness but its own
/// seeded generator (for correlation ids). Persist it as JSON after every applied step.
public struct RollbackStateMachine: Sendable, Equatable, Codable {
    public internal(set) var app: ApplicationInfo
    public internal(set) var state: RollbackState = .idle
    /// The open attempt (also kept while in `Abort`, until a reset).
    public internal(set) var attempt: Attempt? {
        get { attemptStorage?.value }
        set { attemptStorage = newValue.map(OutOfLine.init) }
    }
    /// The last attempt that ended (for `lastAttempt` in the API).
    public internal(set) var lastAttempt: Attempt? {
        get { lastAttemptStorage?.value }
        set { lastAttemptStorage = newValue.map(OutOfLine.init) }
    }
    // An `Attempt` is large (about 600 bytes) and most apps have none: kept out of line, a
    // machine is a few hundred bytes, and the copies the shell keeps (its worker, the snapshot
    // the API reads) share one attempt instead of holding one each.
    private var attemptStorage: OutOfLine<Attempt>?
    private var lastAttemptStorage: OutOfLine<Attempt>?
    public internal(set) var window = StabilityWindow()
    public internal(set) var timers: [PendingTimer] = []
    public internal(set) var lastAttemptEndedAt: Date?
    /// Revisions earlier attempts rolled this app back to: never roll back a rollback.
    public internal(set) var rolledBackTo: [String] = []
    /// A blocked degradation (loop guard, quota) already escalated in this degraded streak.
    public internal(set) var blockedEscalation: ReasonCode?
    var generation: UInt64 = 0
    var ids: SplitMix64

    private enum CodingKeys: String, CodingKey {
        case app, state, window, timers, lastAttemptEndedAt, rolledBackTo, blockedEscalation, generation, ids
        case attemptStorage = "attempt"
        case lastAttemptStorage = "lastAttempt"
    }

    /// - Parameter seed: seeds the generator of correlation ids (the shell draws it once).
    public init(app: ApplicationInfo, seed: UInt64) {
        self.app = app
        self.ids = SplitMix64(seed: seed)
    }

    /// Handles one event at `now`.
    public mutating func handle(_ event: RollbackEvent, now: Date, context: StepContext) -> Transition {
        var step = Step(now: now, context: context, from: state, label: event.name)
        let outcome: Transition.Outcome
        switch event {
        case .healthChecked(let o): outcome = healthChecked(o, &step)
        case .candidateSearchFinished(let s): outcome = candidateSearchFinished(s, &step)
        case .pullRequestCreated(let pr): outcome = pullRequestCreated(pr, &step)
        case .pullRequestCreationFailed(let f): outcome = pullRequestCreationFailed(f, &step)
        case .ciReported(let r): outcome = ciReported(r, &step)
        case .mergeFactsGathered(let f): outcome = mergeFactsGathered(f, &step)
        case .reviewSubmitted(let r): outcome = reviewSubmitted(r, &step)
        case .command(let c): outcome = command(c, &step)
        case .pullRequestClosed(let c): outcome = pullRequestClosed(c, &step)
        case .pullRequestHeadChanged(let n, let sha): outcome = pullRequestHeadChanged(n, sha, &step)
        case .mergeSucceeded: outcome = mergeSucceeded(&step)
        case .mergeFailed(let f): outcome = mergeFailed(f, &step)
        case .escalationIssueOpened(let url): outcome = escalationIssueOpened(url, &step)
        case .timerFired(let t): outcome = timerFired(t, &step)
        case .criticalInvariantViolated(let d): outcome = criticalInvariantViolated(d, &step)
        case .resumed: outcome = resumed(&step)
        }
        if case .applied = outcome {
            step.out.insert(.persist, at: 0)
            if attempt != nil { attempt!.updatedAt = now }
        }
        return Transition(event: step.label, from: step.from, to: state, outcome: outcome, actions: step.out)
    }

    /// Adopts a changed description of the application (labels, annotations, where its
    /// manifest lives). Refused while an attempt is open: an attempt finishes with the
    /// environment and manifest it started with.
    public mutating func adopt(_ info: ApplicationInfo) -> Bool {
        guard !state.hasOpenAttempt else { return info == app }
        app = info
        return true
    }

    /// The pending timer of `kind`, if any.
    public func pendingTimer(_ kind: TimerKind) -> PendingTimer? { timers.first { $0.token.kind == kind } }

    // MARK: - Step plumbing

    struct Step {
        var now: Date
        var context: StepContext
        var from: RollbackState
        var label: String
        var out: [RollbackAction] = []
        var config: RollbackConfiguration { context.configuration }
    }

    /// Moves to `to`: history, audit, transition event, metrics, timers of the new state.
    mutating func move(to: RollbackState, because: String, _ s: inout Step) {
        let from = state
        if attempt != nil {
            attempt!.history.append(.init(at: s.now, from: from, to: to, event: s.label, reason: because))
        }
        s.out.append(
            .audit(
                AuditRecord(
                    actionType: .fsmTransition, level: to == .abort ? .warning : .info,
                    correlationId: attempt?.correlationId,
                    reasoning: ReasoningRenderer.transition(
                        app: app.name, from: from, to: to, event: s.label, because: because),
                    fsmBefore: from, fsmAfter: to, event: s.label, invariants: nil, escalation: nil)))
        state = to
        s.out.append(.publish(domainEvent(.stateTransition, s.now, from: from, to: to)))
        s.out.append(.recordMetric(.fsmState(to)))
        for t in timers { s.out.append(.cancelTimer(t.token)) }
        timers.removeAll(keepingCapacity: true)
        let c = s.config
        switch to {
        case .idle, .abort: break
        case .degradationDetected: schedule(.candidateSearch, after: c.candidateSearchTimeout, &s)
        case .candidateResolved: schedule(.prCreation, after: c.prCreationTimeout, &s)
        case .prCreated:
            schedule(.ciWait, after: c.ciWaitTimeout, &s)
            schedule(.ciPoll, after: c.ciPollInterval, &s)
        case .awaitingMergeApproval:
            schedule(.mergeApproval, after: c.mergeApprovalTimeout, &s)
            if app.environment == .production { schedule(.reviewPoll, after: c.reviewPollInterval, &s) }
        case .awaitingHumanReview:
            schedule(.humanReviewTimeout, after: c.humanReviewTimeout, &s)
            schedule(.humanReviewPage, after: c.humanReviewPage, &s)
            schedule(.reviewPoll, after: c.reviewPollInterval, &s)
        case .rollbackMerged: schedule(.healthRecovery, after: c.healthRecoveryTimeout, &s)
        case .rollbackComplete: schedule(.completeHold, after: c.completeHold, &s)
        }
    }

    mutating func schedule(_ kind: TimerKind, after seconds: Double, _ s: inout Step) {
        if let i = timers.firstIndex(where: { $0.token.kind == kind }) {
            s.out.append(.cancelTimer(timers[i].token))
            timers.remove(at: i)
        }
        generation &+= 1
        let t = PendingTimer(
            token: TimerToken(kind: kind, generation: generation), fireAt: s.now.addingTimeInterval(seconds))
        timers.append(t)
        s.out.append(.scheduleTimer(t.token, fireAt: t.fireAt))
    }

    func domainEvent(_ kind: DomainEvent.Kind, _ now: Date, from: RollbackState? = nil, to: RollbackState? = nil)
        -> DomainEvent
    {
        DomainEvent(
            kind: kind, app: app.name, environment: app.environment, correlationId: attempt?.correlationId,
            timestamp: now, from: from, to: to)
    }

    /// Escalates (SPEC 11): the attempt's issue, or a comment on it; Slack; audit.
    mutating func escalate(_ code: ReasonCode, _ detail: String, _ s: inout Step) {
        let e = escalation(code, detail, state: state, asComment: !(attempt?.escalations.isEmpty ?? true))
        attempt?.escalations.append(code)
        if attempt?.escalationIssueURL == nil { attempt?.unlinkedEscalation = e }
        s.out.append(
            .audit(
                AuditRecord(
                    actionType: .escalation, level: .warning, correlationId: attempt?.correlationId,
                    reasoning: ReasoningRenderer.escalation(app: app.name, code: code, detail: detail),
                    fsmBefore: s.from, fsmAfter: state, event: s.label, invariants: attempt?.lastInvariants,
                    escalation: code)))
        s.out.append(.escalate(e))
    }

    /// The escalation effect of `code` (issue, or a comment on the attempt's issue; Slack).
    func escalation(_ code: ReasonCode, _ detail: String, state: RollbackState, asComment: Bool) -> Escalation {
        let ctx = EscalationRenderer.Context(
            app: app, code: code, detail: detail, state: state, attempt: attempt,
            lastCheck: attempt?.lastCheck ?? window.recent.last)
        return Escalation(
            code: code, correlationId: attempt?.correlationId, asCommentOnExistingIssue: asComment,
            issueTitle: EscalationRenderer.title(app: app.name, code: code), issueBody: EscalationRenderer.body(ctx),
            labels: EscalationRenderer.labels(environment: app.environment),
            slack: SlackRenderer.escalation(
                app: app, code: code, correlationId: attempt?.correlationId,
                issueURL: attempt?.escalationIssueURL, prURL: attempt?.pullRequest?.url, detail: detail),
            securityAlert: code == .permissionDenied)
    }

    /// Closes the operator's PR when it is open.
    mutating func closePRIfOpen(_ comment: String, _ s: inout Step) {
        if let pr = attempt?.pullRequest, attempt?.merge == nil {
            s.out.append(.closePullRequest(number: pr.number, comment: comment))
        }
    }

    /// Ends the open attempt into `Abort` with `reason`, escalating with `escalation` if given.
    mutating func abort(
        _ reason: ReasonCode, escalation: ReasonCode?, detail: String, closePR: String?, _ s: inout Step
    ) {
        if let comment = closePR { closePRIfOpen(comment, &s) }
        if let code = escalation { escalate(code, detail, &s) }
        attempt?.abortReason = reason
        attempt?.endedAt = s.now
        move(to: .abort, because: detail, &s)
        s.out.append(.publish(domainEvent(.abort, s.now)))
        s.out.append(.recordMetric(.rollbackAborted(reason: reason)))
        if let id = attempt?.correlationId { s.out.append(.recordQuota(.attemptEnded(correlationId: id))) }
        lastAttemptEndedAt = s.now
    }

    /// Ends the attempt and returns to `Idle`.
    mutating func finish(because: String, _ s: inout Step) {
        attempt?.endedAt = s.now
        move(to: .idle, because: because, &s)
        if let a = attempt {
            s.out.append(.recordQuota(.attemptEnded(correlationId: a.correlationId)))
            s.out.append(.archiveAttempt(correlationId: a.correlationId))
        }
        lastAttempt = attempt
        attempt = nil
        lastAttemptEndedAt = s.now
    }

    mutating func startAttempt(_ s: inout Step) {
        let a = Attempt(
            correlationId: ids.uuid(), createdAt: s.now, updatedAt: s.now,
            currentRevision: window.recent.last?.observation.syncRevision,
            confirmingChecks: window.lastChecks(s.config.persistenceChecks), lastCheck: window.recent.last)
        attempt = a
    }
}
