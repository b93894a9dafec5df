import Foundation
import Testing

@testable import RollbackCore

/// One test per row of the SPEC section 5 transition table, named after it, plus the guards' negative cases.
@Suite struct TransitionTableTests {
    @Test func idle_HealthChecked_thirdConsecutiveDegraded_goesToDegradationDetected() {
        var h = Harness(.production)
        h.send(.healthChecked(degraded()), after: 10)
        #expect(h.m.state == .idle)
        h.send(.healthChecked(degraded()), after: 10)
        #expect(h.m.state == .idle)
        let t = h.send(.healthChecked(degraded()), after: 10)
        #expect(t.to == .degradationDetected)
        #expect(t.actions.first == .persist)
        #expect(h.m.attempt?.correlationId.count == 36)
        #expect(
            t.has {
                if case .publish(let e) = $0 {
                    e.kind == .degradationConfirmed && e.subject == "ai-operator.production.degradation.confirmed"
                } else {
                    false
                }
            })
        #expect(t.has { if case .notify = $0 { true } else { false } }, "production alerts humans")
        #expect(t.has { if case .searchCandidates(currentRevision: currentSHA) = $0 { true } else { false } })
        #expect(h.m.pendingTimer(.candidateSearch) != nil)
        #expect(h.context.quotas.inFlight.count == 1)
    }

    @Test func idle_HealthChecked_otherwise_updatesWindowAndStaysIdle() {
        var h = Harness()
        h.send(.healthChecked(degraded()), after: 10)
        h.send(.healthChecked(degraded()), after: 10)
        h.send(.healthChecked(healthy()), after: 10)
        h.send(.healthChecked(degraded()), after: 10)
        let t = h.send(.healthChecked(degraded()), after: 10)
        #expect(t.to == .idle && h.m.attempt == nil)
        #expect(h.m.window.consecutiveDegraded == 2)
    }

    @Test func idle_guard_cooldownBlocksNewAttempt() {
        var h = Harness()
        h.toDegradationDetected()
        h.send(cmd(.abort))
        h.send(cmd(.reset))
        #expect(h.m.state == .idle)
        h.toDegradationDetected()
        #expect(h.m.state == .idle, "within ROLLBACK_COOLDOWN_SEC")
        h.send(.healthChecked(degraded()), after: 600)
        #expect(h.m.state == .degradationDetected, "after the cooldown")
    }

    @Test func idle_guard_quotaExceededEscalatesOnceAndStaysIdle() {
        var h = Harness()
        for i in 0..<10 { h.context.quotas.record(.attemptStarted(app: "other\(i)", correlationId: "c\(i)"), now: t0) }
        h.toDegradationDetected()
        #expect(h.m.state == .idle)
        #expect(h.log.last!.escalations.first?.code == .quotaExceeded)
        let again = h.send(.healthChecked(degraded()), after: 10)
        #expect(again.escalations.isEmpty, "once per degraded episode")
    }

    @Test func idle_guard_neverRollsBackARollback() {
        var h = Harness()
        h.toRollbackMerged()
        for _ in 0..<7 { h.send(.healthChecked(healthy(rev: targetSHA)), after: 10) }
        #expect(h.m.state == .rollbackComplete)
        h.fire(.completeHold)
        #expect(h.m.state == .idle)
        h.now = h.now.addingTimeInterval(3600)
        for _ in 0..<3 { h.send(.healthChecked(degraded(rev: targetSHA)), after: 10) }
        #expect(h.m.state == .idle)
        #expect(h.log.last!.escalations.first?.code == .newDegradation)
    }

    @Test func degradationDetected_CandidateFound_goesToCandidateResolved() {
        var h = Harness()
        h.toDegradationDetected()
        let t = h.send(.candidateSearchFinished(found()))
        #expect(t.to == .candidateResolved)
        #expect(h.m.attempt?.target?.sha == targetSHA)
        let plan = t.openPRs.first
        #expect(plan?.headBranch == "rollback/payment-service-abc123d")
        #expect(plan?.title == "Rollback: payment-service to abc123d (degraded in staging)")
        #expect(h.m.pendingTimer(.prCreation) != nil && h.m.pendingTimer(.candidateSearch) == nil)
    }

    @Test func degradationDetected_CandidateFound_guardRejectsCurrentOrUnstableRevision() {
        var h = Harness()
        h.toDegradationDetected()
        let before = h.m
        var cur = winner
        cur.sha = currentSHA
        #expect(h.send(.candidateSearchFinished(found(cur))).isIgnored)
        var notAncestor = winner
        notAncestor.isStrictAncestor = false
        #expect(h.send(.candidateSearchFinished(found(notAncestor))).isIgnored)
        var unstable = winner
        unstable.uptime = 0.95
        #expect(h.send(.candidateSearchFinished(found(unstable))).isIgnored)
        #expect(h.m == before)
    }

    @Test func degradationDetected_NoCandidateFound_escalatesAndAborts() {
        var h = Harness()
        h.toDegradationDetected()
        let t = h.send(
            .candidateSearchFinished(
                CandidateSelection(outcome: .noCandidate, currentRevision: currentSHA, winner: nil, considered: [])))
        #expect(t.to == .abort && t.escalations.first?.code == .noCandidate)
    }

    @Test func degradationDetected_timeout_escalatesNoCandidateAndAborts() {
        var h = Harness()
        h.toDegradationDetected()
        let t = h.fire(.candidateSearch)
        #expect(t.to == .abort && t.event == "NoCandidateFound" && t.escalations.first?.code == .noCandidate)
    }

    @Test func degradationDetected_revisionMismatch_escalatesAndAborts() {
        var h = Harness()
        h.toDegradationDetected()
        let t = h.send(
            .candidateSearchFinished(
                CandidateSelection(outcome: .revisionMismatch, currentRevision: currentSHA, winner: nil, considered: [])
            ))
        #expect(t.to == .abort && t.escalations.first?.code == .revisionMismatch)
    }

    @Test func degradationDetected_HealthRestored_after60sHealthy_goesToIdle() {
        var h = Harness()
        h.toDegradationDetected()
        h.send(.healthChecked(healthy()), after: 10)
        h.send(.healthChecked(healthy()), after: 50)
        #expect(h.m.state == .degradationDetected, "healthy for 50 s only")
        let t = h.send(.healthChecked(healthy()), after: 10)
        #expect(t.to == .idle && t.event == "HealthRestored")
        #expect(h.m.attempt == nil && h.m.lastAttempt?.endedAt != nil)
    }

    @Test func candidateResolved_PRCreated_savesPRAndGoesToPRCreated() {
        var h = Harness()
        h.toCandidateResolved()
        let t = h.send(.pullRequestCreated(prRef))
        #expect(t.to == .prCreated && h.m.attempt?.pullRequest == prRef)
        #expect(h.m.pendingTimer(.ciWait) != nil && h.m.pendingTimer(.ciPoll) != nil)
    }

    @Test func candidateResolved_PRCreated_guardRejectsUnexpectedHeadBranch() {
        var h = Harness()
        h.toCandidateResolved()
        var other = prRef
        other.headBranch = "feature/x"
        let before = h.m
        #expect(h.send(.pullRequestCreated(other)).isIgnored && h.m == before)
    }

    @Test func candidateResolved_PRCreationFailed_nonRetryable_escalatesAndAborts() {
        var h = Harness()
        h.toCandidateResolved()
        let t = h.send(
            .pullRequestCreationFailed(
                ExternalCallFailure(code: .permissionDenied, message: "403", retriesExhausted: false)))
        #expect(t.to == .abort)
        #expect(t.escalations.first?.code == .permissionDenied && t.escalations.first?.securityAlert == true)
    }

    @Test func candidateResolved_PRCreationFailed_guardIgnoresRetryableWithRetriesLeft() {
        var h = Harness()
        h.toCandidateResolved()
        #expect(
            h.send(
                .pullRequestCreationFailed(
                    ExternalCallFailure(code: .networkError, message: "reset", retriesExhausted: false))
            ).isIgnored)
        let t = h.send(
            .pullRequestCreationFailed(
                ExternalCallFailure(code: .networkError, message: "reset", retriesExhausted: true)))
        #expect(t.to == .abort && t.escalations.first?.code == .prCreationFailed)
    }

    @Test func prCreated_CISucceeded_goesToAwaitingMergeApproval() {
        var h = Harness()
        h.toPRCreated()
        let t = h.send(.ciReported(passedCI(prHead)))
        #expect(t.to == .awaitingMergeApproval && t.event == "CISucceeded")
        #expect(
            t.has { if case .gatherMergeFacts(42, 1) = $0 { true } else { false } }, "staging evaluates the invariants")
    }

    @Test func prCreated_CISucceeded_inProductionRequestsApproval() {
        var h = Harness(.production)
        h.toPRCreated()
        let t = h.send(.ciReported(passedCI(prHead)))
        #expect(t.to == .awaitingMergeApproval)
        #expect(t.escalations.first?.code == .approvalRequired)
        #expect(h.m.pendingTimer(.mergeApproval) != nil)
    }

    @Test func prCreated_CIReport_guardIgnoresPendingAndOtherSHA() {
        var h = Harness()
        h.toPRCreated()
        #expect(h.send(.ciReported(pendingCI(prHead))).isIgnored)
        #expect(h.send(.ciReported(failedCI("0000000"))).isIgnored)
        #expect(h.m.state == .prCreated)
    }

    @Test func prCreated_CIFailed_escalatesAndAborts() {
        var h = Harness()
        h.toPRCreated()
        let t = h.send(.ciReported(failedCI(prHead)))
        #expect(t.to == .abort && t.event == "CIFailed" && t.escalations.first?.code == .ciFailure)
        #expect(
            t.escalations.first?.issueTitle
                == "[URGENT] AI Operator Escalation: payment-service - CI Failure on Rollback PR")
    }

    @Test func prCreated_CITimeout_escalatesAndAborts() {
        var h = Harness()
        h.toPRCreated()
        let start = h.now
        let t = h.fire(.ciWait)
        #expect(h.now.timeIntervalSince(start) == 300)
        #expect(t.to == .abort && t.event == "CITimeout" && t.escalations.first?.code == .ciTimeout)
    }

    @Test func prCreated_HealthRestored_closesPRAndGoesToIdle() {
        var h = Harness()
        h.toPRCreated()
        h.send(.healthChecked(healthy()), after: 10)
        let t = h.send(.healthChecked(healthy()), after: 60)
        #expect(t.to == .idle && t.closes == [42])
    }

    @Test func awaitingMergeApproval_AutoMergeAllowed_stagingAllPass_merges() {
        var h = Harness()
        h.toAwaitingMergeApproval()
        let t = h.send(.mergeFactsGathered(facts()))
        #expect(t.to == .rollbackMerged && t.event == "AutoMergeAllowed")
        let order = t.merges.first
        #expect(order?.expectedHeadSHA == prHead && order?.method == "squash")
        if case .automatic(let r)? = order?.basis {
            #expect(r.allPass)
        } else {
            Issue.record("expected automatic basis")
        }
        #expect(
            t.has {
                if case .audit(let a) = $0 {
                    a.actionType == .invariantCheck && a.invariants?.allPass == true
                } else {
                    false
                }
            })
    }

    @Test func awaitingMergeApproval_AutoMergeAllowed_guard_productionNeverAutoMerges() {
        var h = Harness(.production)
        h.toAwaitingMergeApproval()
        let t = h.send(.mergeFactsGathered(facts()))
        #expect(t.merges.isEmpty && h.m.state == .awaitingMergeApproval)
    }

    @Test func awaitingMergeApproval_AutoMergeAllowed_guard_failingI4WaitsAndRechecks() {
        var h = Harness()
        h.toAwaitingMergeApproval()
        let t = h.send(.mergeFactsGathered(facts(ci: pendingCI(prHead))))
        #expect(t.merges.isEmpty && h.m.state == .awaitingMergeApproval)
        #expect(h.m.pendingTimer(.mergeFactsReread) != nil)
    }

    @Test func awaitingMergeApproval_HumanApproved_productionApprovalOfHead_merges() {
        var h = Harness(.production)
        h.toAwaitingMergeApproval()
        let r = h.send(
            .reviewSubmitted(
                ReviewInput(reviewer: "alice", state: .approved, commitSHA: prHead, isAuthorizedApprover: true)))
        #expect(r.has { if case .gatherMergeFacts = $0 { true } else { false } })
        let t = h.send(.mergeFactsGathered(facts()))
        #expect(t.to == .rollbackMerged && t.event == "HumanApproved")
        #expect(t.merges.first?.basis == .humanApproval(approver: "alice", headSHA: prHead))
    }

    @Test func awaitingMergeApproval_HumanApproved_guard_unauthorizedOrStaleHeadDoesNotMerge() {
        var h = Harness(.production)
        h.toAwaitingMergeApproval()
        #expect(
            h.send(
                .reviewSubmitted(
                    ReviewInput(reviewer: "mallory", state: .approved, commitSHA: prHead, isAuthorizedApprover: false))
            ).isIgnored)
        #expect(
            h.send(
                .reviewSubmitted(
                    ReviewInput(
                        reviewer: "bot", state: .approved, commitSHA: prHead, isAuthorizedApprover: true,
                        isOperator: true))
            ).isIgnored)
        h.send(
            .reviewSubmitted(
                ReviewInput(reviewer: "alice", state: .approved, commitSHA: prHead, isAuthorizedApprover: true)))
        h.send(.pullRequestHeadChanged(number: 42, headSHA: newHeadSHA))
        let t = h.send(.mergeFactsGathered(facts(head: newHeadSHA)))
        #expect(t.merges.isEmpty && h.m.state == .awaitingMergeApproval, "the approval was for the old head")
        #expect(
            h.send(
                .reviewSubmitted(
                    ReviewInput(reviewer: "alice", state: .approved, commitSHA: prHead, isAuthorizedApprover: true))
            ).isIgnored)
    }

    @Test func awaitingMergeApproval_InvariantFailed_escalatesToAwaitingHumanReview() {
        var h = Harness()
        h.toAwaitingMergeApproval()
        let t = h.send(.mergeFactsGathered(facts(open: [41, 42])))
        #expect(t.to == .awaitingHumanReview && t.event == "InvariantFailed")
        #expect(t.escalations.first?.code == .invariantFailed && t.merges.isEmpty)
        #expect(t.has { if case .recordMetric(.invariantViolation(.noConflicts)) = $0 { true } else { false } })
    }

    @Test func awaitingMergeApproval_InvariantFailed_I8NotMergeable_escalatesNotMergeable() {
        var h = Harness()
        h.toAwaitingMergeApproval()
        let t = h.send(.mergeFactsGathered(facts(mergeable: false, state: "blocked")))
        #expect(t.to == .awaitingHumanReview && t.escalations.first?.code == .notMergeable)
    }

    @Test func awaitingMergeApproval_I8MergeableNull_rereadsThreeTimesThenFails() {
        var h = Harness()
        h.toAwaitingMergeApproval()
        var t = h.send(.mergeFactsGathered(facts(mergeable: nil, state: nil)))
        #expect(t.to == .awaitingMergeApproval && h.m.pendingTimer(.mergeFactsReread) != nil)
        t = h.fire(.mergeFactsReread)
        #expect(t.has { if case .gatherMergeFacts(42, 2) = $0 { true } else { false } })
        t = h.send(.mergeFactsGathered(facts(mergeable: nil, state: nil)))
        #expect(t.to == .awaitingMergeApproval)
        h.fire(.mergeFactsReread)
        t = h.send(.mergeFactsGathered(facts(mergeable: nil, state: nil)))
        #expect(t.to == .awaitingHumanReview && t.escalations.first?.code == .notMergeable)
    }

    @Test func awaitingMergeApproval_HealthRestored_atMergeTime_closesPRAndGoesToIdle() {
        var h = Harness()
        h.toAwaitingMergeApproval()
        let t = h.send(.mergeFactsGathered(facts(health: .healthy, replicas: ReplicaCounts(desired: 3, available: 3))))
        #expect(t.to == .idle && t.merges.isEmpty)
        #expect(
            t.actions.contains(
                .closePullRequest(number: 42, comment: "Health restored before merge, rollback no longer needed.")))
    }

    @Test func awaitingMergeApproval_ApprovalTimeout_escalatesAndAborts() {
        var h = Harness(.production)
        h.toAwaitingMergeApproval()
        let start = h.now
        let t = h.fire(.mergeApproval)
        #expect(h.now.timeIntervalSince(start) == 3600)
        #expect(t.to == .abort && t.escalations.first?.code == .approvalTimeout)
    }

    @Test func awaitingMergeApproval_MergedExternally_goesToRollbackMerged() {
        var h = Harness(.production)
        h.toAwaitingMergeApproval()
        let t = h.send(.pullRequestClosed(PullRequestClosure(number: 42, merged: true, closedBy: "alice")))
        #expect(t.to == .rollbackMerged && t.event == "MergedExternally" && t.merges.isEmpty)
        #expect(h.m.pendingTimer(.healthRecovery) != nil)
    }

    @Test func awaitingHumanReview_CommandApprove_authorizedAndI6I8Pass_merges() {
        var h = Harness()
        h.toAwaitingHumanReview()
        let c = h.send(approve())
        #expect(c.replies.first?.applied == true)
        let still = h.send(.mergeFactsGathered(facts(open: [41, 42])))
        #expect(
            still.merges.isEmpty && h.m.state == .awaitingHumanReview,
            "staging: all but I1 and I4 must pass; I7 still fails")
        var fewChecks = facts()
        fewChecks.replicas = ReplicaCounts(desired: 3, available: 1)
        let t = h.send(.mergeFactsGathered(fewChecks))
        #expect(t.to == .rollbackMerged && t.event == "Command(APPROVE)")
        #expect(t.merges.first?.basis == .humanApproval(approver: "alice", headSHA: prHead))
    }

    @Test func awaitingHumanReview_CommandApprove_guard_unauthorizedIsIgnoredAndFailingI8DoesNotMerge() {
        var h = Harness(.production)
        h.toAwaitingMergeApproval()
        h.send(.mergeFactsGathered(facts()))
        #expect(h.m.state == .awaitingMergeApproval)
        var hr = Harness(.production)
        hr.toAwaitingMergeApproval()
        hr.send(
            .reviewSubmitted(
                ReviewInput(reviewer: "alice", state: .approved, commitSHA: prHead, isAuthorizedApprover: true)))
        hr.send(.mergeFactsGathered(facts(mergeable: false, state: "blocked")))
        #expect(hr.m.state == .awaitingHumanReview)
        let before = hr.m
        let u = hr.send(approve("mallory", authorized: false))
        #expect(u.isIgnored && u.replies.isEmpty && hr.m == before)
        hr.send(approve())
        let t = hr.send(.mergeFactsGathered(facts(mergeable: false, state: "blocked")))
        #expect(t.merges.isEmpty && hr.m.state == .awaitingHumanReview)
        let ok = hr.send(.mergeFactsGathered(facts()))
        #expect(ok.to == .rollbackMerged)
    }

    @Test func anyOpenAttempt_CommandAbort_closesPRAndAborts() {
        var h = Harness()
        h.toPRCreated()
        let t = h.send(cmd(.abort))
        #expect(t.to == .abort && t.closes == [42] && h.m.attempt?.abortReason == .abortedByHuman)
        let again = h.send(cmd(.abort))
        #expect(again.isIgnored && again.replies.first?.applied == false, "not applied in Abort: answered with why")
    }

    @Test func anyOpenPR_CommandManual_closesPRAndAborts() {
        var h = Harness()
        h.toAwaitingMergeApproval()
        let t = h.send(cmd(.manual))
        #expect(t.to == .abort && t.closes == [42] && h.m.attempt?.abortReason == .manualTakeover)
        var n = Harness()
        n.toDegradationDetected()
        #expect(n.send(cmd(.manual)).isIgnored, "no open PR")
    }

    @Test func awaitingHumanReview_CommandReset_closesPRAndGoesToIdle() {
        var h = Harness()
        h.toAwaitingHumanReview()
        let t = h.send(cmd(.reset))
        #expect(t.to == .idle && t.closes == [42] && h.m.lastAttempt?.abortReason == .reset)
        var p = Harness()
        p.toPRCreated()
        #expect(p.send(cmd(.reset)).isIgnored, "RESET is not accepted in PRCreated")
    }

    @Test func awaitingHumanReview_timeouts_pageAgainThenCloseAndAbort() {
        var h = Harness()
        h.toAwaitingHumanReview()
        let page = h.fire(.humanReviewPage)
        #expect(page.to == .awaitingHumanReview && page.escalations.first?.asCommentOnExistingIssue == true)
        #expect(h.m.pendingTimer(.humanReviewPage) != nil)
        let t = h.fire(.humanReviewTimeout)
        #expect(t.to == .abort && t.closes == [42])
    }

    @Test func rollbackMerged_HealthRestored_goesToRollbackCompleteWithMTTR() {
        var h = Harness()
        h.toRollbackMerged()
        h.send(.healthChecked(healthy(rev: targetSHA)), after: 30)
        let t = h.send(.healthChecked(healthy(rev: targetSHA)), after: 60)
        #expect(t.to == .rollbackComplete)
        #expect(t.has { if case .recordMetric(.timeToRecovery(let s)) = $0 { s > 0 } else { false } })
    }

    @Test func rollbackMerged_RecoveryTimeout_escalatesAndAborts() {
        var h = Harness()
        h.toRollbackMerged()
        let t = h.fire(.healthRecovery)
        #expect(t.to == .abort && t.escalations.first?.code == .recoveryTimeout)
    }

    @Test func rollbackMerged_NewDegradation_escalatesAndAborts() {
        var h = Harness()
        h.toRollbackMerged()
        h.send(.healthChecked(healthy(rev: targetSHA)), after: 10)
        let t = h.send(.healthChecked(degraded(rev: targetSHA)), after: 10)
        #expect(t.to == .abort && t.event == "NewDegradation" && t.escalations.first?.code == .newDegradation)
    }

    @Test func rollbackComplete_holdTimer_archivesAndGoesToIdle() {
        var h = Harness()
        h.toRollbackMerged()
        h.send(.healthChecked(healthy(rev: targetSHA)), after: 10)
        h.send(.healthChecked(healthy(rev: targetSHA)), after: 60)
        let t = h.fire(.completeHold)
        #expect(t.to == .idle && t.has { if case .archiveAttempt = $0 { true } else { false } })
        #expect(h.context.quotas.inFlight.isEmpty)
    }

    @Test func abort_Reset_authorizedHumanGoesToIdle() {
        var h = Harness()
        h.toDegradationDetected()
        h.fire(.candidateSearch)
        #expect(h.send(cmd(.reset, "mallory", authorized: false)).isIgnored)
        let t = h.send(cmd(.reset))
        #expect(t.to == .idle && t.replies.first?.applied == true)
    }

    @Test func abort_blocksNewAttemptsUntilReset() {
        var h = Harness()
        h.toDegradationDetected()
        h.fire(.candidateSearch)
        for _ in 0..<100 { h.send(.healthChecked(degraded()), after: 10) }
        #expect(h.m.state == .abort)
    }

    @Test func anyWithOpenPR_PRClosedByHuman_abortsWithPRClosed() {
        var h = Harness()
        h.toAwaitingMergeApproval()
        #expect(
            h.send(.pullRequestClosed(PullRequestClosure(number: 42, merged: false, closedBy: "ops", byOperator: true)))
                .isIgnored)
        let t = h.send(.pullRequestClosed(PullRequestClosure(number: 42, merged: false, closedBy: "bob")))
        #expect(t.to == .abort && h.m.attempt?.abortReason == .prClosed && t.escalations.isEmpty)
    }

    @Test func any_CriticalInvariantViolated_emergencyStopToAbort() {
        var h = Harness(.production)
        h.toAwaitingMergeApproval()
        let t = h.send(.criticalInvariantViolated("a merge was about to happen in production without approval"))
        #expect(t.to == .abort && t.escalations.first?.code == .invariantFailed && t.merges.isEmpty)
        var idle = Harness()
        let i = idle.send(.criticalInvariantViolated("x"))
        #expect(i.to == .abort)
    }

    @Test func staleTimerFiringIsIgnoredAndChangesNothing() {
        var h = Harness()
        h.toDegradationDetected()
        let old = h.token(.candidateSearch)
        h.send(.candidateSearchFinished(found()))
        let before = h.m
        let t = h.send(.timerFired(old))
        #expect(t.isIgnored && h.m == before && t.actions.isEmpty)
    }

    @Test func resumed_staleAttemptAbortsWithStaleState() {
        var h = Harness()
        h.toPRCreated()
        let t = h.send(.resumed, after: 86401)
        #expect(t.to == .abort && t.escalations.first?.code == .staleState)
        var r = Harness()
        r.toPRCreated()
        let ok = r.send(.resumed, after: 1)
        #expect(ok.to == .prCreated && ok.has { if case .fetchCI = $0 { true } else { false } })
        #expect(ok.has { if case .scheduleTimer(let tok, _) = $0 { tok == r.token(.ciWait) } else { false } })
    }

    @Test func mergeFailed_notMergeableAbortsAndAlreadyMergedCountsAsSuccess() {
        var h = Harness()
        h.toAwaitingMergeApproval()
        h.send(.mergeFactsGathered(facts()))
        let ok = h.send(.mergeFailed(ExternalCallFailure(code: .alreadyMerged, message: "", retriesExhausted: true)))
        #expect(ok.to == .rollbackMerged && h.m.attempt?.merge?.confirmed == true)
        var f = Harness()
        f.toAwaitingMergeApproval()
        f.send(.mergeFactsGathered(facts()))
        let t = f.send(.mergeFailed(ExternalCallFailure(code: .notMergeable, message: "405", retriesExhausted: true)))
        #expect(t.to == .abort && t.escalations.first?.code == .notMergeable)
    }

    @Test func machineStateRoundTripsThroughJSON() throws {
        var h = Harness()
        h.toAwaitingHumanReview()
        let data = try JSONEncoder().encode(h.m)
        let back = try JSONDecoder().decode(RollbackStateMachine.self, from: data)
        #expect(back == h.m)
        // The stored shape keeps its names (the attempt is held out of line in memory only).
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect((object["attempt"] as? [String: Any])?["correlationId"] as? String == h.m.attempt?.correlationId)
        #expect(object["attemptStorage"] == nil && object["lastAttempt"] == nil)
        #expect(
            Set(object.keys).isSuperset(of: [
                "app", "state", "attempt", "window", "timers", "rolledBackTo", "generation", "ids",
            ]))
        // A machine written before (attempt present, lastAttempt absent) still decodes.
        var older = object
        older["lastAttempt"] = nil
        let reread = try JSONDecoder().decode(
            RollbackStateMachine.self, from: JSONSerialization.data(withJSONObject: older))
        #expect(reread.attempt == h.m.attempt && reread.lastAttempt == nil)
    }
}
