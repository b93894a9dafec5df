import Foundation

/// The forward path of an attempt: health checks, candidate search, PR creation, CI, timers.
extension RollbackStateMachine {
    mutating func healthChecked(_ o: HealthObservation, _ s: inout Step) -> Transition.Outcome {
        let v = window.record(o, at: s.now, configuration: s.config)
        if v.skipped { return .ignored(reason: "the app is skipped after repeated Argo CD read failures") }
        if !o.argoReadFailed, attempt != nil { attempt!.lastCheck = window.recent.last }
        if v.kubernetesReadFailed {
            s.out.append(
                .audit(
                    AuditRecord(
                        actionType: .error, level: .warning, correlationId: attempt?.correlationId,
                        reasoning:
                            "The Kubernetes read for \(app.name) failed, so the check used Argo CD health (\(o.health.rawValue)) alone.",
                        fsmBefore: state, fsmAfter: state, event: s.label, invariants: nil, escalation: nil)))
        }
        if let code = v.episodeOpened {
            escalate(
                code,
                code == .argocdUnreachable
                    ? "the Argo CD read failed \(s.config.argoFailuresBeforeSkip) times in a row; the app is skipped for \(Int(s.config.argoSkip)) s"
                    : "Argo CD reports health \(o.health.rawValue); no rollback is possible", &s)
        }
        if let code = v.episodeClosed {
            s.out.append(
                .closeEpisodeIssue(
                    code,
                    comment:
                        "The condition (\(code.rawValue)) has been gone for \(Int(s.config.healthRestorationDuration)) s; closing."
                ))
        }
        if !v.degraded { blockedEscalation = nil }

        switch state {
        case .idle:
            if v.firstDegraded { s.out.append(.publish(domainEvent(.degradationDetected, s.now))) }
            guard v.persistent else { return .applied }
            return degradationPersistent(o, &s)
        case .degradationDetected, .prCreated, .awaitingMergeApproval:
            if let h = v.healthyFor, h >= s.config.healthRestorationDuration {
                s.label = "HealthRestored"
                closePRIfOpen("Health restored before merge, rollback no longer needed.", &s)
                s.out.append(.publish(domainEvent(.healthRestored, s.now)))
                finish(because: "the application has been healthy for \(Int(h)) s", &s)
            }
            return .applied
        case .rollbackMerged:
            if v.healthyFor != nil { attempt!.sawHealthyAfterMerge = true }
            if let h = v.healthyFor, h >= s.config.healthRestorationDuration, attempt!.merge?.confirmed == true {
                s.label = "HealthRestored"
                attempt!.recoveredAt = s.now
                s.out.append(.publish(domainEvent(.healthRestored, s.now)))
                s.out.append(.recordMetric(.timeToRecovery(seconds: s.now.timeIntervalSince(attempt!.createdAt))))
                move(
                    to: .rollbackComplete,
                    because: "the application is Healthy with all replicas available for \(Int(h)) s", &s)
            } else if v.degraded && attempt!.sawHealthyAfterMerge {
                s.label = "NewDegradation"
                abort(
                    .newDegradation, escalation: .newDegradation,
                    detail: "the application degraded again after the rollback had made it healthy", closePR: nil, &s)
            }
            return .applied
        case .candidateResolved, .awaitingHumanReview, .rollbackComplete, .abort:
            return .applied
        }
    }

    /// `Idle -> DegradationDetected` guards: cooldown, never roll back a rollback, quotas.
    mutating func degradationPersistent(_ o: HealthObservation, _ s: inout Step) -> Transition.Outcome {
        if let ended = lastAttemptEndedAt, s.now.timeIntervalSince(ended) < s.config.rollbackCooldown {
            return .applied  // cooldown: the window is updated, no attempt
        }
        if let rev = o.syncRevision, rolledBackTo.contains(rev) {
            if blockedEscalation != .newDegradation {
                blockedEscalation = .newDegradation
                escalate(
                    .newDegradation,
                    "the app degraded while running \(ShortSHA.of(rev)), a revision the operator rolled it back to; it will not roll back a rollback",
                    &s)
            }
            return .applied
        }
        if case .exceeded(let why) = s.context.quotas.check(
            .startAttempt(app: app.name), now: s.now, configuration: s.config)
        {
            if blockedEscalation != .quotaExceeded {
                blockedEscalation = .quotaExceeded
                escalate(.quotaExceeded, why, &s)
            }
            return .applied
        }
        startAttempt(&s)
        let a = attempt!
        s.out.append(.recordQuota(.attemptStarted(app: app.name, correlationId: a.correlationId)))
        move(
            to: .degradationDetected,
            because: "the last \(s.config.persistenceChecks) consecutive checks were degraded", &s)
        s.out.append(.publish(domainEvent(.degradationConfirmed, s.now)))
        s.out.append(.recordMetric(.degradationDetected))
        if app.environment == .production {
            let r = o.replicas.map { "\($0.available)/\($0.desired)" } ?? "unknown"
            s.out.append(
                .notify(
                    SlackRenderer.alert(
                        "AI Operator: \(app.name) (production) is degraded (\(o.health.rawValue), replicas \(r)); preparing a rollback PR that will need approval. Correlation ID: \(a.correlationId)"
                    )))
        }
        s.out.append(.searchCandidates(currentRevision: a.currentRevision))
        return .applied
    }

    mutating func candidateSearchFinished(_ sel: CandidateSelection, _ s: inout Step) -> Transition.Outcome {
        guard state == .degradationDetected else { return .ignored(reason: "no candidate search is in progress") }
        switch sel.outcome {
        case .revisionMismatch:
            attempt!.candidates = sel.considered
            abort(
                .revisionMismatch, escalation: .revisionMismatch,
                detail:
                    "Argo CD's synced revision \(ShortSHA.of(sel.currentRevision)) differs from the manifest's targetRevision",
                closePR: nil, &s)
            return .applied
        case .noCandidate:
            attempt!.candidates = sel.considered
            abort(
                .noCandidate, escalation: .noCandidate,
                detail: "none of the \(sel.considered.count) candidates looked at is a stable ancestor with passing CI",
                closePR: nil, &s)
            return .applied
        case .found:
            let current = attempt!.currentRevision ?? sel.currentRevision
            guard let w = sel.winner, w.isStrictAncestor, w.ciPassed, w.sha != current, w.sha != sel.currentRevision,
                w.uptime.map({ $0 >= s.config.minimumUptime }) ?? true
            else {
                return .ignored(
                    reason:
                        "the proposed candidate does not pass the guard (strict ancestor, CI passed, stable, not current)"
                )
            }
            attempt!.candidates = sel.considered
            attempt!.target = w
            if attempt!.currentRevision == nil { attempt!.currentRevision = sel.currentRevision }
            if case .exceeded(let why) = s.context.quotas.check(
                .openPullRequest(repository: app.manifestRepository), now: s.now, configuration: s.config)
            {
                abort(.quotaExceeded, escalation: .quotaExceeded, detail: why, closePR: nil, &s)
                return .applied
            }
            let a = attempt!
            let branch = PullRequestRenderer.branch(app: app.name, targetSHA: w.sha)
            attempt!.headBranch = branch
            let plan = PullRequestPlan(
                repository: app.manifestRepository, baseBranch: app.baseBranch, headBranch: branch,
                title: PullRequestRenderer.title(app: app.name, targetSHA: w.sha, environment: app.environment),
                body: PullRequestRenderer.body(
                    app: app, correlationId: a.correlationId, now: s.now,
                    currentRevision: current, checks: a.confirmingChecks, target: w),
                labels: PullRequestRenderer.labels(environment: app.environment), manifestPath: app.manifestPath,
                currentRevision: current, targetRevision: w.sha, correlationId: a.correlationId)
            move(
                to: .candidateResolved,
                because:
                    "\(ShortSHA.of(w.sha)) is a strict ancestor of \(ShortSHA.of(current)) with passing CI and \(w.uptime.map { "uptime \(Percent.format($0))" } ?? "no metrics")",
                &s)
            s.out.append(.publish(domainEvent(.candidateResolved, s.now)))
            s.out.append(.recordMetric(.candidateResolutionDuration(seconds: s.now.timeIntervalSince(a.createdAt))))
            s.out.append(.recordQuota(.pullRequestOpened(repository: app.manifestRepository)))
            s.out.append(.openPullRequest(plan))
            return .applied
        }
    }

    mutating func pullRequestCreated(_ pr: PullRequestRef, _ s: inout Step) -> Transition.Outcome {
        if state == .abort, let a = attempt, a.pullRequest == nil, a.merge == nil, pr.headBranch == a.headBranch {
            // The attempt ended (e.g. the PR-creation timeout) while its PR was being opened:
            // never leave that PR open without an attempt behind it.
            attempt!.pullRequest = pr
            s.out.append(
                .closePullRequest(
                    number: pr.number,
                    comment: "This rollback attempt (\(a.correlationId)) was aborted "
                        + "(\(a.abortReason?.rawValue ?? "ABORT")) before this PR was confirmed; closing it. See the escalation issue."
                ))
            return .applied
        }
        guard state == .candidateResolved else { return .ignored(reason: "no PR is being opened") }
        guard pr.headBranch == attempt!.headBranch else {
            return .ignored(
                reason: "the PR's head branch \(pr.headBranch) is not the expected \(attempt!.headBranch ?? "")")
        }
        attempt!.pullRequest = pr
        move(to: .prCreated, because: "PR #\(pr.number) exists with head branch \(pr.headBranch)", &s)
        s.out.append(.publish(domainEvent(.prCreated, s.now)))
        s.out.append(.recordMetric(.rollbackProposed(success: true)))
        s.out.append(.fetchCI(prNumber: pr.number, headSHA: pr.headSHA))
        return .applied
    }

    mutating func pullRequestCreationFailed(_ f: ExternalCallFailure, _ s: inout Step) -> Transition.Outcome {
        guard state == .candidateResolved else { return .ignored(reason: "no PR is being opened") }
        guard !f.code.isRetryable || f.retriesExhausted else {
            return .ignored(reason: "\(f.code.rawValue) is retryable and retries remain; the effect runner retries")
        }
        s.out.append(.recordMetric(.rollbackProposed(success: false)))
        let code: ReasonCode =
            f.code == .permissionDenied
            ? .permissionDenied : (f.code == .rateLimitExceeded ? .rateLimited : .prCreationFailed)
        abort(
            code, escalation: code,
            detail: "opening the rollback PR failed with \(f.code.rawValue): \(TextFormatting.redact(f.message))",
            closePR: nil, &s)
        return .applied
    }

    mutating func ciReported(_ r: CIReport, _ s: inout Step) -> Transition.Outcome {
        guard state == .prCreated, let pr = attempt!.pullRequest else { return .ignored(reason: "not waiting for CI") }
        guard r.sha == pr.headSHA else {
            return .ignored(reason: "CI for \(ShortSHA.of(r.sha)), not the PR head \(ShortSHA.of(pr.headSHA))")
        }
        switch r.verdict {
        case .pending:
            return .ignored(reason: "CI of the PR head is still pending")
        case .failed:
            s.label = "CIFailed"
            abort(
                .ciFailure, escalation: .ciFailure,
                detail: "CI of rollback PR #\(pr.number) failed at \(ShortSHA.of(r.sha))", closePR: nil, &s)
        case .passed:
            s.label = "CISucceeded"
            move(to: .awaitingMergeApproval, because: "CI of PR #\(pr.number) passed at \(ShortSHA.of(r.sha))", &s)
            if app.environment == .staging || attempt!.approval(for: pr.headSHA) != nil {
                // Production with an approval of this head recorded while CI ran: it holds,
                // decide now (I6 and I8 on fresh facts) instead of asking again.
                requestMergeFacts(&s)
            } else {
                escalate(
                    .approvalRequired,
                    "production rollback PR #\(pr.number) passed CI and needs an authorized approval of head \(ShortSHA.of(pr.headSHA))",
                    &s)
                s.out.append(.fetchReviews(prNumber: pr.number))
            }
        }
        return .applied
    }

    mutating func timerFired(_ t: TimerToken, _ s: inout Step) -> Transition.Outcome {
        guard let i = timers.firstIndex(where: { $0.token == t }) else {
            return .ignored(reason: "stale timer \(t.kind.rawValue)#\(t.generation)")
        }
        timers.remove(at: i)
        let c = s.config
        switch t.kind {
        case .candidateSearch:
            s.label = "NoCandidateFound"
            abort(
                .noCandidate, escalation: .noCandidate,
                detail: "no candidate was found within \(Int(c.candidateSearchTimeout)) s", closePR: nil, &s)
        case .prCreation:
            s.label = "PRCreationFailed"
            s.out.append(.recordMetric(.rollbackProposed(success: false)))
            abort(
                .prCreationFailed, escalation: .prCreationFailed,
                detail: "the rollback PR was not opened within \(Int(c.prCreationTimeout)) s", closePR: nil, &s)
        case .ciWait:
            s.label = "CITimeout"
            abort(
                .ciTimeout, escalation: .ciTimeout,
                detail: "CI of the rollback PR did not finish within \(Int(c.ciWaitTimeout)) s", closePR: nil, &s)
        case .ciPoll:
            schedule(.ciPoll, after: c.ciPollInterval, &s)
            if let pr = attempt?.pullRequest { s.out.append(.fetchCI(prNumber: pr.number, headSHA: pr.headSHA)) }
        case .mergeApproval:
            s.label = "ApprovalTimeout"
            abort(
                .approvalTimeout, escalation: .approvalTimeout,
                detail: "no merge decision within \(Int(c.mergeApprovalTimeout)) s", closePR: nil, &s)
        case .reviewPoll:
            schedule(.reviewPoll, after: c.reviewPollInterval, &s)
            if let pr = attempt?.pullRequest { s.out.append(.fetchReviews(prNumber: pr.number)) }
        case .mergeFactsReread:
            if let pr = attempt?.pullRequest {
                s.out.append(.gatherMergeFacts(prNumber: pr.number, read: attempt!.mergeFactsReads + 1))
            }
        case .humanReviewPage:
            schedule(.humanReviewPage, after: c.humanReviewPage, &s)
            escalate(attempt!.escalations.last ?? .invariantFailed, "still waiting for a human decision", &s)
        case .humanReviewTimeout:
            abort(
                .approvalTimeout, escalation: .approvalTimeout,
                detail: "no human command within \(Int(c.humanReviewTimeout)) s",
                closePR: "No human decision in time; closing the rollback PR.", &s)
        case .healthRecovery:
            s.label = "RecoveryTimeout"
            abort(
                .recoveryTimeout, escalation: .recoveryTimeout,
                detail: "the application was not healthy \(Int(c.healthRecoveryTimeout)) s after the merge",
                closePR: nil, &s)
        case .completeHold:
            s.out.append(
                .recordMetric(
                    .rollbackMerged(
                        autoMerged: attempt!.merge.map { if case .automatic = $0.basis { true } else { false } }
                            ?? false)))
            finish(because: "the recovery was held for \(Int(c.completeHold)) s", &s)
        }
        return .applied
    }

    mutating func resumed(_ s: inout Step) -> Transition.Outcome {
        if let a = attempt, a.escalationIssueURL == nil, var e = a.unlinkedEscalation {
            // An escalation was committed but may not have reached GitHub before a crash (no
            // issue linked): send it again. The effect finds an issue already opened for this
            // attempt (its correlation id is in the body) and then only links it.
            e.asCommentOnExistingIssue = false
            s.out.append(.escalate(e))
            if state == .abort { return .applied }
        }
        guard state.hasOpenAttempt, let a = attempt else { return .ignored(reason: "no open attempt to resume") }
        if s.now.timeIntervalSince(a.createdAt) > s.config.staleAttempt {
            abort(
                .staleState, escalation: .staleState,
                detail: "the attempt is older than \(Int(s.config.staleAttempt)) s", closePR: nil, &s)
            return .applied
        }
        for t in timers { s.out.append(.scheduleTimer(t.token, fireAt: t.fireAt)) }
        switch state {
        case .degradationDetected: s.out.append(.searchCandidates(currentRevision: a.currentRevision))
        case .candidateResolved:
            // Idempotent on the shell side: an existing branch and PR are found and reused.
            // Not when the PR-creation bound elapsed while the service was down: the re-armed
            // timer aborts the attempt right away, so no PR is opened for it.
            if let t = pendingTimer(.prCreation), t.fireAt <= s.now { break }
            guard let w = a.target, let branch = a.headBranch, let current = a.currentRevision else { break }
            s.out.append(
                .openPullRequest(
                    PullRequestPlan(
                        repository: app.manifestRepository, baseBranch: app.baseBranch, headBranch: branch,
                        title: PullRequestRenderer.title(app: app.name, targetSHA: w.sha, environment: app.environment),
                        body: PullRequestRenderer.body(
                            app: app, correlationId: a.correlationId, now: a.createdAt,
                            currentRevision: current, checks: a.confirmingChecks, target: w),
                        labels: PullRequestRenderer.labels(environment: app.environment),
                        manifestPath: app.manifestPath,
                        currentRevision: current, targetRevision: w.sha, correlationId: a.correlationId)))
        case .prCreated: if let pr = a.pullRequest { s.out.append(.fetchCI(prNumber: pr.number, headSHA: pr.headSHA)) }
        case .awaitingMergeApproval:
            if app.environment == .staging {
                requestMergeFacts(&s)
            } else if let pr = a.pullRequest {
                s.out.append(.fetchReviews(prNumber: pr.number))
            }
        case .awaitingHumanReview: if let pr = a.pullRequest { s.out.append(.fetchReviews(prNumber: pr.number)) }
        case .rollbackMerged:
            if let m = a.merge, !m.confirmed, !m.external, let pr = a.pullRequest {
                s.out.append(
                    .merge(
                        MergeOrder(
                            repository: app.manifestRepository, prNumber: pr.number,
                            expectedHeadSHA: m.headSHA, method: "squash", basis: m.basis)))
            }
        case .rollbackComplete, .idle, .abort: break
        }
        return .applied
    }

    mutating func escalationIssueOpened(_ url: String, _ s: inout Step) -> Transition.Outcome {
        guard attempt != nil else { return .ignored(reason: "no attempt to attach the issue to") }
        attempt!.escalationIssueURL = url
        attempt!.unlinkedEscalation = nil
        return .applied
    }
}
