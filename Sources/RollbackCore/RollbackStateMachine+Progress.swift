import Foundation

/// The forward path of an attempt: health checks, candidate search, PR creation, CI, timers.
extension RollbackStateMachine {
    mutating func healthChecked(_ observation: HealthObservation, _ step: inout Step) -> Transition.Outcome {
        let verdict = window.record(observation, at: step.now, configuration: step.config)
        if verdict.skipped { return .ignored(reason: "the app is skipped after repeated Argo CD read failures") }
        if !observation.argoReadFailed, attempt != nil { attempt!.lastCheck = window.recent.last }
        if verdict.kubernetesReadFailed {
            step.out.append(
                .audit(
                    AuditRecord(
                        actionType: .error, level: .warning, correlationId: attempt?.correlationId,
                        reasoning:
                            "The Kubernetes read for \(app.name) failed, so the check used Argo CD health (\(observation.health.rawValue)) alone.",
                        fsmBefore: state, fsmAfter: state, event: step.label, invariants: nil, escalation: nil)))
        }
        if let code = verdict.episodeOpened {
            escalate(
                code,
                code == .argocdUnreachable
                    ? "the Argo CD read failed \(step.config.argoFailuresBeforeSkip) times in a row; the app is skipped for \(Int(step.config.argoSkip)) s"
                    : "Argo CD reports health \(observation.health.rawValue); no rollback is possible", &step)
        }
        if let code = verdict.episodeClosed {
            step.out.append(
                .closeEpisodeIssue(
                    code,
                    comment:
                        "The condition (\(code.rawValue)) has been gone for \(Int(step.config.healthRestorationDuration)) s; closing."
                ))
        }
        if !verdict.degraded { blockedEscalation = nil }

        switch state {
        case .idle:
            if verdict.firstDegraded { step.out.append(.publish(domainEvent(.degradationDetected, step.now))) }
            guard verdict.persistent else { return .applied }
            return degradationPersistent(observation, &step)
        case .degradationDetected, .prCreated, .awaitingMergeApproval:
            if let healthySeconds = verdict.healthyFor, healthySeconds >= step.config.healthRestorationDuration {
                step.label = "HealthRestored"
                closePRIfOpen("Health restored before merge, rollback no longer needed.", &step)
                step.out.append(.publish(domainEvent(.healthRestored, step.now)))
                finish(because: "the application has been healthy for \(Int(healthySeconds)) s", &step)
            }
            return .applied
        case .rollbackMerged:
            if verdict.healthyFor != nil { attempt!.sawHealthyAfterMerge = true }
            if let healthySeconds = verdict.healthyFor, healthySeconds >= step.config.healthRestorationDuration,
                attempt!.merge?.confirmed == true
            {
                step.label = "HealthRestored"
                attempt!.recoveredAt = step.now
                step.out.append(.publish(domainEvent(.healthRestored, step.now)))
                step.out.append(.recordMetric(.timeToRecovery(seconds: step.now.timeIntervalSince(attempt!.createdAt))))
                move(
                    to: .rollbackComplete,
                    because: "the application is Healthy with all replicas available for \(Int(healthySeconds)) s",
                    &step)
            } else if verdict.degraded && attempt!.sawHealthyAfterMerge {
                step.label = "NewDegradation"
                abort(
                    .newDegradation, escalation: .newDegradation,
                    detail: "the application degraded again after the rollback had made it healthy", closePR: nil, &step
                )
            }
            return .applied
        case .candidateResolved, .awaitingHumanReview, .rollbackComplete, .abort:
            return .applied
        }
    }

    /// `Idle -> DegradationDetected` guards: cooldown, never roll back a rollback, quotas.
    mutating func degradationPersistent(_ observation: HealthObservation, _ step: inout Step) -> Transition.Outcome {
        if let ended = lastAttemptEndedAt, step.now.timeIntervalSince(ended) < step.config.rollbackCooldown {
            return .applied  // cooldown: the window is updated, no attempt
        }
        if let revision = observation.syncRevision, rolledBackTo.contains(revision) {
            if blockedEscalation != .newDegradation {
                blockedEscalation = .newDegradation
                escalate(
                    .newDegradation,
                    "the app degraded while running \(ShortSHA.of(revision)), a revision the operator rolled it back to; it will not roll back a rollback",
                    &step)
            }
            return .applied
        }
        if case .exceeded(let why) = step.context.quotas.check(
            .startAttempt(app: app.name), now: step.now, configuration: step.config)
        {
            if blockedEscalation != .quotaExceeded {
                blockedEscalation = .quotaExceeded
                escalate(.quotaExceeded, why, &step)
            }
            return .applied
        }
        startAttempt(&step)
        let started = attempt!
        step.out.append(.recordQuota(.attemptStarted(app: app.name, correlationId: started.correlationId)))
        move(
            to: .degradationDetected,
            because: "the last \(step.config.persistenceChecks) consecutive checks were degraded", &step)
        step.out.append(.publish(domainEvent(.degradationConfirmed, step.now)))
        step.out.append(.recordMetric(.degradationDetected))
        guard checkWritePolicyAtStart(&step) else { return .applied }
        if app.environment == .production {
            // Humans are alerted at once (SPEC 5, 11): the approval request is opened now, before
            // the PR exists; the PR link is added to it later, and later escalations are comments.
            let replicas = observation.replicas.map { "\($0.available)/\($0.desired)" } ?? "unknown"
            let labelNote =
                app.labelEnvironment.map { label in
                    "configuration error: \(app.name) is labelled \(label.rawValue) but its PR base "
                        + "\(app.baseBranch) deploys production, so the rollback is treated as production. "
                } ?? ""
            escalate(
                .approvalRequired,
                labelNote + "\(app.name) (production) is degraded (\(observation.health.rawValue), replicas "
                    + "\(replicas)); a rollback PR is being prepared and will need approval by an authorized approver",
                &step)
        }
        step.out.append(.searchCandidates(currentRevision: started.currentRevision))
        return .applied
    }

    mutating func candidateSearchFinished(_ selection: CandidateSelection, _ step: inout Step) -> Transition.Outcome {
        guard state == .degradationDetected else { return .ignored(reason: "no candidate search is in progress") }
        switch selection.outcome {
        case .revisionMismatch:
            attempt!.candidates = selection.considered
            abort(
                .revisionMismatch, escalation: .revisionMismatch,
                detail:
                    "Argo CD's synced revision \(ShortSHA.of(selection.currentRevision)) differs from the manifest's targetRevision",
                closePR: nil, &step)
            return .applied
        case .noCandidate:
            attempt!.candidates = selection.considered
            abort(
                .noCandidate, escalation: .noCandidate,
                detail:
                    "none of the \(selection.considered.count) candidates looked at is a stable ancestor with passing CI",
                closePR: nil, &step)
            return .applied
        case .found:
            let current = attempt!.currentRevision ?? selection.currentRevision
            guard let winner = selection.winner, winner.isStrictAncestor, winner.ciPassed, winner.sha != current,
                winner.sha != selection.currentRevision,
                winner.uptime.map({ $0 >= step.config.minimumUptime }) ?? true
            else {
                return .ignored(
                    reason:
                        "the proposed candidate does not pass the guard (strict ancestor, CI passed, stable, not current)"
                )
            }
            attempt!.candidates = selection.considered
            attempt!.target = winner
            if attempt!.currentRevision == nil { attempt!.currentRevision = selection.currentRevision }
            if case .exceeded(let why) = step.context.quotas.check(
                .openPullRequest(repository: app.manifestRepository), now: step.now, configuration: step.config)
            {
                abort(.quotaExceeded, escalation: .quotaExceeded, detail: why, closePR: nil, &step)
                return .applied
            }
            let resolved = attempt!
            let branch = PullRequestRenderer.branch(app: app.name, targetSHA: winner.sha)
            attempt!.headBranch = branch
            let plan = PullRequestPlan(
                repository: app.manifestRepository, baseBranch: app.baseBranch, headBranch: branch,
                title: PullRequestRenderer.title(app: app.name, targetSHA: winner.sha, environment: app.environment),
                body: PullRequestRenderer.body(
                    app: app, correlationId: resolved.correlationId, now: step.now,
                    currentRevision: current, checks: resolved.confirmingChecks, target: winner),
                labels: PullRequestRenderer.labels(environment: app.environment), manifestPath: app.manifestPath,
                currentRevision: current, targetRevision: winner.sha, correlationId: resolved.correlationId)
            move(
                to: .candidateResolved,
                because:
                    "\(ShortSHA.of(winner.sha)) is a strict ancestor of \(ShortSHA.of(current)) with passing CI and \(winner.uptime.map { "uptime \(Percent.format($0))" } ?? "no metrics")",
                &step)
            step.out.append(.publish(domainEvent(.candidateResolved, step.now)))
            step.out.append(
                .recordMetric(.candidateResolutionDuration(seconds: step.now.timeIntervalSince(resolved.createdAt))))
            step.out.append(.recordQuota(.pullRequestOpened(repository: app.manifestRepository)))
            step.out.append(.openPullRequest(plan))
            return .applied
        }
    }

    mutating func pullRequestCreated(_ pr: PullRequestRef, _ step: inout Step) -> Transition.Outcome {
        if state == .abort, let ended = attempt, ended.pullRequest == nil, ended.merge == nil,
            pr.headBranch == ended.headBranch
        {
            // The attempt ended (e.g. the PR-creation timeout) while its PR was being opened:
            // never leave that PR open without an attempt behind it.
            attempt!.pullRequest = pr
            step.out.append(
                .closePullRequest(
                    number: pr.number,
                    comment: "This rollback attempt (\(ended.correlationId)) was aborted "
                        + "(\(ended.abortReason?.rawValue ?? "ABORT")) before this PR was confirmed; closing it. See the escalation issue."
                ))
            return .applied
        }
        guard state == .candidateResolved else { return .ignored(reason: "no PR is being opened") }
        guard pr.headBranch == attempt!.headBranch else {
            return .ignored(
                reason: "the PR's head branch \(pr.headBranch) is not the expected \(attempt!.headBranch ?? "")")
        }
        attempt!.pullRequest = pr
        move(to: .prCreated, because: "PR #\(pr.number) exists with head branch \(pr.headBranch)", &step)
        if app.environment == .production { updateEscalation("The rollback PR is open: \(pr.url)", &step) }
        step.out.append(.publish(domainEvent(.prCreated, step.now)))
        step.out.append(.recordMetric(.rollbackProposed(success: true)))
        step.out.append(.fetchCI(prNumber: pr.number, headSHA: pr.headSHA))
        return .applied
    }

    mutating func pullRequestCreationFailed(_ failure: ExternalCallFailure, _ step: inout Step) -> Transition.Outcome {
        guard state == .candidateResolved else { return .ignored(reason: "no PR is being opened") }
        guard !failure.code.isRetryable || failure.retriesExhausted else {
            return .ignored(
                reason: "\(failure.code.rawValue) is retryable and retries remain; the effect runner retries")
        }
        step.out.append(.recordMetric(.rollbackProposed(success: false)))
        let code: ReasonCode =
            failure.code == .permissionDenied
            ? .permissionDenied : (failure.code == .rateLimitExceeded ? .rateLimited : .prCreationFailed)
        abort(
            code, escalation: code,
            detail:
                "opening the rollback PR failed with \(failure.code.rawValue): \(TextFormatting.redact(failure.message))",
            closePR: nil, &step)
        return .applied
    }

    mutating func ciReported(_ report: CIReport, _ step: inout Step) -> Transition.Outcome {
        guard state == .prCreated, let pr = attempt!.pullRequest else { return .ignored(reason: "not waiting for CI") }
        guard report.sha == pr.headSHA else {
            return .ignored(reason: "CI for \(ShortSHA.of(report.sha)), not the PR head \(ShortSHA.of(pr.headSHA))")
        }
        switch report.verdict {
        case .pending:
            return .ignored(reason: "CI of the PR head is still pending")
        case .failed:
            step.label = "CIFailed"
            abort(
                .ciFailure, escalation: .ciFailure,
                detail: "CI of rollback PR #\(pr.number) failed at \(ShortSHA.of(report.sha))", closePR: nil, &step)
        case .passed:
            step.label = "CISucceeded"
            move(
                to: .awaitingMergeApproval, because: "CI of PR #\(pr.number) passed at \(ShortSHA.of(report.sha))",
                &step)
            if app.environment == .staging || attempt!.approval(for: pr.headSHA) != nil {
                // Production with an approval of this head recorded while CI ran: it holds,
                // decide now (I6 and I8 on fresh facts) instead of asking again.
                requestMergeFacts(&step)
            } else {
                escalate(
                    .approvalRequired,
                    "production rollback PR #\(pr.number) passed CI and needs an authorized approval of head \(ShortSHA.of(pr.headSHA))",
                    &step)
                step.out.append(.fetchReviews(prNumber: pr.number))
            }
        }
        return .applied
    }

    mutating func timerFired(_ token: TimerToken, _ step: inout Step) -> Transition.Outcome {
        guard let index = timers.firstIndex(where: { $0.token == token }) else {
            return .ignored(reason: "stale timer \(token.kind.rawValue)#\(token.generation)")
        }
        timers.remove(at: index)
        let config = step.config
        switch token.kind {
        case .candidateSearch:
            step.label = "NoCandidateFound"
            abort(
                .noCandidate, escalation: .noCandidate,
                detail: "no candidate was found within \(Int(config.candidateSearchTimeout)) s", closePR: nil, &step)
        case .prCreation:
            step.label = "PRCreationFailed"
            step.out.append(.recordMetric(.rollbackProposed(success: false)))
            abort(
                .prCreationFailed, escalation: .prCreationFailed,
                detail: "the rollback PR was not opened within \(Int(config.prCreationTimeout)) s", closePR: nil, &step)
        case .ciWait:
            step.label = "CITimeout"
            abort(
                .ciTimeout, escalation: .ciTimeout,
                detail: "CI of the rollback PR did not finish within \(Int(config.ciWaitTimeout)) s", closePR: nil,
                &step)
        case .ciPoll:
            schedule(.ciPoll, after: config.ciPollInterval, &step)
            if let pr = attempt?.pullRequest { step.out.append(.fetchCI(prNumber: pr.number, headSHA: pr.headSHA)) }
        case .mergeApproval:
            step.label = "ApprovalTimeout"
            abort(
                .approvalTimeout, escalation: .approvalTimeout,
                detail: "no merge decision within \(Int(config.mergeApprovalTimeout)) s", closePR: nil, &step)
        case .reviewPoll:
            schedule(.reviewPoll, after: config.reviewPollInterval, &step)
            if let pr = attempt?.pullRequest { step.out.append(.fetchReviews(prNumber: pr.number)) }
        case .mergeFactsReread:
            if let pr = attempt?.pullRequest {
                step.out.append(.gatherMergeFacts(prNumber: pr.number, read: attempt!.mergeFactsReads + 1))
            }
        case .humanReviewPage:
            schedule(.humanReviewPage, after: config.humanReviewPage, &step)
            escalate(attempt!.escalations.last ?? .invariantFailed, "still waiting for a human decision", &step)
        case .humanReviewTimeout:
            abort(
                .approvalTimeout, escalation: .approvalTimeout,
                detail: "no human command within \(Int(config.humanReviewTimeout)) s",
                closePR: "No human decision in time; closing the rollback PR.", &step)
        case .healthRecovery:
            step.label = "RecoveryTimeout"
            abort(
                .recoveryTimeout, escalation: .recoveryTimeout,
                detail: "the application was not healthy \(Int(config.healthRecoveryTimeout)) s after the merge",
                closePR: nil, &step)
        case .completeHold:
            finish(because: "the recovery was held for \(Int(config.completeHold)) s", &step)
        }
        return .applied
    }

    mutating func resumed(_ step: inout Step) -> Transition.Outcome {
        if let stored = attempt, stored.escalationIssueURL == nil, var unlinked = stored.unlinkedEscalation {
            // An escalation was committed but may not have reached GitHub before a crash (no
            // issue linked): send it again. The effect finds an issue already opened for this
            // attempt (its correlation id is in the body) and then only links it.
            unlinked.asCommentOnExistingIssue = false
            step.out.append(.escalate(unlinked))
            if state == .abort { return .applied }
        }
        guard state.hasOpenAttempt, let resuming = attempt else { return .ignored(reason: "no open attempt to resume") }
        if step.now.timeIntervalSince(resuming.createdAt) > step.config.staleAttempt {
            abort(
                .staleState, escalation: .staleState,
                detail: "the attempt is older than \(Int(step.config.staleAttempt)) s", closePR: nil, &step)
            return .applied
        }
        for timer in timers { step.out.append(.scheduleTimer(timer.token, fireAt: timer.fireAt)) }
        switch state {
        case .degradationDetected: step.out.append(.searchCandidates(currentRevision: resuming.currentRevision))
        case .candidateResolved:
            // Idempotent on the shell side: an existing branch and PR are found and reused.
            // Not when the PR-creation bound elapsed while the service was down: the re-armed
            // timer aborts the attempt right away, so no PR is opened for it.
            if let timer = pendingTimer(.prCreation), timer.fireAt <= step.now { break }
            guard let target = resuming.target, let branch = resuming.headBranch, let current = resuming.currentRevision
            else { break }
            step.out.append(
                .openPullRequest(
                    PullRequestPlan(
                        repository: app.manifestRepository, baseBranch: app.baseBranch, headBranch: branch,
                        title: PullRequestRenderer.title(
                            app: app.name, targetSHA: target.sha, environment: app.environment),
                        body: PullRequestRenderer.body(
                            app: app, correlationId: resuming.correlationId, now: resuming.createdAt,
                            currentRevision: current, checks: resuming.confirmingChecks, target: target),
                        labels: PullRequestRenderer.labels(environment: app.environment),
                        manifestPath: app.manifestPath,
                        currentRevision: current, targetRevision: target.sha, correlationId: resuming.correlationId)))
        case .prCreated:
            if let pr = resuming.pullRequest { step.out.append(.fetchCI(prNumber: pr.number, headSHA: pr.headSHA)) }
        case .awaitingMergeApproval:
            if app.environment == .staging {
                requestMergeFacts(&step)
            } else if let pr = resuming.pullRequest {
                step.out.append(.fetchReviews(prNumber: pr.number))
            }
        case .awaitingHumanReview:
            if let pr = resuming.pullRequest { step.out.append(.fetchReviews(prNumber: pr.number)) }
        case .rollbackMerged:
            if let merge = resuming.merge, !merge.confirmed, !merge.external, let pr = resuming.pullRequest {
                step.out.append(
                    .merge(
                        MergeOrder(
                            repository: app.manifestRepository, prNumber: pr.number,
                            expectedHeadSHA: merge.headSHA, method: "squash", basis: merge.basis)))
            }
        case .rollbackComplete, .idle, .abort: break
        }
        return .applied
    }

    mutating func escalationIssueOpened(_ url: String, _ step: inout Step) -> Transition.Outcome {
        guard attempt != nil else { return .ignored(reason: "no attempt to attach the issue to") }
        attempt!.escalationIssueURL = url
        attempt!.unlinkedEscalation = nil
        return .applied
    }
}
