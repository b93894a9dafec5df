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
        case .healthChecked(let observation): outcome = healthChecked(observation, &step)
        case .candidateSearchFinished(let selection): outcome = candidateSearchFinished(selection, &step)
        case .pullRequestCreated(let pr): outcome = pullRequestCreated(pr, &step)
        case .pullRequestCreationFailed(let failure): outcome = pullRequestCreationFailed(failure, &step)
        case .ciReported(let report): outcome = ciReported(report, &step)
        case .mergeFactsGathered(let facts): outcome = mergeFactsGathered(facts, &step)
        case .reviewSubmitted(let review): outcome = reviewSubmitted(review, &step)
        case .command(let input): outcome = command(input, &step)
        case .pullRequestClosed(let closure): outcome = pullRequestClosed(closure, &step)
        case .pullRequestHeadChanged(let number, let sha, let pushedBy):
            outcome = pullRequestHeadChanged(number, sha, pushedBy: pushedBy, &step)
        case .mergeSucceeded: outcome = mergeSucceeded(&step)
        case .mergeFailed(let failure): outcome = mergeFailed(failure, &step)
        case .escalationIssueOpened(let url): outcome = escalationIssueOpened(url, &step)
        case .timerFired(let token): outcome = timerFired(token, &step)
        case .criticalInvariantViolated(let detail): outcome = criticalInvariantViolated(detail, &step)
        case .policyDenied(let refusal): outcome = policyDenied(refusal, &step)
        case .callFailed(let failure): outcome = callFailed(failure, &step)
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
    mutating func move(to: RollbackState, because: String, _ step: inout Step) {
        let from = state
        if attempt != nil {
            attempt!.history.append(.init(at: step.now, from: from, to: to, event: step.label, reason: because))
        }
        step.out.append(
            .audit(
                AuditRecord(
                    actionType: .fsmTransition, level: to == .abort ? .warning : .info,
                    correlationId: attempt?.correlationId,
                    reasoning: ReasoningRenderer.transition(
                        app: app.name, from: from, to: to, event: step.label, because: because),
                    fsmBefore: from, fsmAfter: to, event: step.label, invariants: nil, escalation: nil)))
        state = to
        step.out.append(.publish(domainEvent(.stateTransition, step.now, from: from, to: to)))
        step.out.append(.recordMetric(.fsmState(to)))
        for timer in timers { step.out.append(.cancelTimer(timer.token)) }
        timers.removeAll(keepingCapacity: true)
        let config = step.config
        switch to {
        case .idle, .abort: break
        case .degradationDetected: schedule(.candidateSearch, after: config.candidateSearchTimeout, &step)
        case .candidateResolved: schedule(.prCreation, after: config.prCreationTimeout, &step)
        case .prCreated:
            schedule(.ciWait, after: config.ciWaitTimeout, &step)
            schedule(.ciPoll, after: config.ciPollInterval, &step)
        case .awaitingMergeApproval:
            schedule(.mergeApproval, after: config.mergeApprovalTimeout, &step)
            if app.environment == .production { schedule(.reviewPoll, after: config.reviewPollInterval, &step) }
        case .awaitingHumanReview:
            schedule(.humanReviewTimeout, after: config.humanReviewTimeout, &step)
            schedule(.humanReviewPage, after: config.humanReviewPage, &step)
            schedule(.reviewPoll, after: config.reviewPollInterval, &step)
        case .rollbackMerged: schedule(.healthRecovery, after: config.healthRecoveryTimeout, &step)
        case .rollbackComplete: schedule(.completeHold, after: config.completeHold, &step)
        }
    }

    mutating func schedule(_ kind: TimerKind, after seconds: Double, _ step: inout Step) {
        if let index = timers.firstIndex(where: { $0.token.kind == kind }) {
            step.out.append(.cancelTimer(timers[index].token))
            timers.remove(at: index)
        }
        generation &+= 1
        let timer = PendingTimer(
            token: TimerToken(kind: kind, generation: generation), fireAt: step.now.addingTimeInterval(seconds))
        timers.append(timer)
        step.out.append(.scheduleTimer(timer.token, fireAt: timer.fireAt))
    }

    func domainEvent(_ kind: DomainEvent.Kind, _ now: Date, from: RollbackState? = nil, to: RollbackState? = nil)
        -> DomainEvent
    {
        DomainEvent(
            kind: kind, app: app.name, environment: app.environment, correlationId: attempt?.correlationId,
            timestamp: now, from: from, to: to)
    }

    /// Escalates (SPEC 11): the attempt's issue, or a comment on it; Slack; audit.
    mutating func escalate(_ code: ReasonCode, _ detail: String, _ step: inout Step) {
        let escalationEffect = escalation(
            code, detail, state: state, asComment: !(attempt?.escalations.isEmpty ?? true))
        attempt?.escalations.append(code)
        if attempt?.escalationIssueURL == nil { attempt?.unlinkedEscalation = escalationEffect }
        step.out.append(
            .audit(
                AuditRecord(
                    actionType: .escalation, level: .warning, correlationId: attempt?.correlationId,
                    reasoning: ReasoningRenderer.escalation(app: app.name, code: code, detail: detail),
                    fsmBefore: step.from, fsmAfter: state, event: step.label, invariants: attempt?.lastInvariants,
                    escalation: code)))
        step.out.append(.escalate(escalationEffect))
    }

    /// Adds `text` to the attempt's escalation issue as a comment, without a new Slack alert
    /// (the issue is updated, e.g. with the PR link); nothing when the attempt has no escalation.
    mutating func updateEscalation(_ text: String, _ step: inout Step) {
        guard let code = attempt?.escalations.last else { return }
        var update = escalation(code, text, state: state, asComment: true)
        update.issueBody = "Update: \(text)"
        update.slack = SlackMessage(text: "")
        step.out.append(.escalate(update))
    }

    /// The escalation effect of `code` (issue, or a comment on the attempt's issue; Slack).
    func escalation(_ code: ReasonCode, _ detail: String, state: RollbackState, asComment: Bool) -> Escalation {
        let context = EscalationRenderer.Context(
            app: app, code: code, detail: detail, state: state, attempt: attempt,
            lastCheck: attempt?.lastCheck ?? window.recent.last)
        return Escalation(
            code: code, correlationId: attempt?.correlationId, asCommentOnExistingIssue: asComment,
            issueTitle: EscalationRenderer.title(app: app.name, code: code),
            issueBody: EscalationRenderer.body(context),
            labels: EscalationRenderer.labels(environment: app.environment),
            slack: SlackRenderer.escalation(
                app: app, code: code, correlationId: attempt?.correlationId,
                issueURL: attempt?.escalationIssueURL, prURL: attempt?.pullRequest?.url, detail: detail),
            securityAlert: code == .permissionDenied)
    }

    /// Closes the operator's PR when it is open.
    mutating func closePRIfOpen(_ comment: String, _ step: inout Step) {
        if let pr = attempt?.pullRequest, attempt?.merge == nil {
            step.out.append(.closePullRequest(number: pr.number, comment: comment))
        }
    }

    /// Ends the open attempt into `Abort` with `reason`, escalating with `escalation` if given.
    mutating func abort(
        _ reason: ReasonCode, escalation: ReasonCode?, detail: String, closePR: String?, _ step: inout Step
    ) {
        if let comment = closePR { closePRIfOpen(comment, &step) }
        if let code = escalation { escalate(code, detail, &step) }
        attempt?.abortReason = reason
        attempt?.endedAt = step.now
        move(to: .abort, because: detail, &step)
        step.out.append(.publish(domainEvent(.abort, step.now)))
        step.out.append(.recordMetric(.rollbackAborted(reason: reason)))
        if let id = attempt?.correlationId { step.out.append(.recordQuota(.attemptEnded(correlationId: id))) }
        lastAttemptEndedAt = step.now
    }

    /// Ends the attempt and returns to `Idle`.
    mutating func finish(because: String, _ step: inout Step) {
        attempt?.endedAt = step.now
        move(to: .idle, because: because, &step)
        if let ended = attempt {
            step.out.append(.recordQuota(.attemptEnded(correlationId: ended.correlationId)))
            step.out.append(.archiveAttempt(correlationId: ended.correlationId))
        }
        lastAttempt = attempt
        attempt = nil
        lastAttemptEndedAt = step.now
    }

    mutating func startAttempt(_ step: inout Step) {
        let opened = Attempt(
            correlationId: ids.uuid(), createdAt: step.now, updatedAt: step.now,
            currentRevision: window.recent.last?.observation.syncRevision,
            confirmingChecks: window.lastChecks(step.config.persistenceChecks), lastCheck: window.recent.last)
        attempt = opened
    }
}
