import Foundation
import Testing

@testable import RollbackCore

/// Rows of the merge decision (SPEC 5 and 9): auto-merge in staging, human approvals of the PR head,
/// failing invariants, and the result of the merge itself.
@Suite struct TransitionTableMergeTests {
    @Test func awaitingMergeApproval_AutoMergeAllowed_stagingAllPass_merges() {
        var harness = Harness()
        harness.toAwaitingMergeApproval()
        let transition = harness.send(.mergeFactsGathered(facts()))
        #expect(transition.to == .rollbackMerged && transition.event == "AutoMergeAllowed")
        let order = transition.merges.first
        #expect(order?.expectedHeadSHA == prHead && order?.method == "squash")
        if case .automatic(let report)? = order?.basis {
            #expect(report.allPass)
        } else {
            Issue.record("expected automatic basis")
        }
        #expect(
            transition.has {
                if case .audit(let record) = $0 {
                    record.actionType == .invariantCheck && record.invariants?.allPass == true
                } else {
                    false
                }
            })
    }

    @Test func awaitingMergeApproval_AutoMergeAllowed_guard_productionNeverAutoMerges() {
        var harness = Harness(.production)
        harness.toAwaitingMergeApproval()
        let transition = harness.send(.mergeFactsGathered(facts()))
        #expect(transition.merges.isEmpty && harness.machine.state == .awaitingMergeApproval)
    }

    @Test func awaitingMergeApproval_AutoMergeAllowed_guard_failingI4WaitsAndRechecks() {
        var harness = Harness()
        harness.toAwaitingMergeApproval()
        let transition = harness.send(.mergeFactsGathered(facts(ci: pendingCI(prHead))))
        #expect(transition.merges.isEmpty && harness.machine.state == .awaitingMergeApproval)
        #expect(harness.machine.pendingTimer(.mergeFactsReread) != nil)
    }

    @Test func awaitingMergeApproval_HumanApproved_productionApprovalOfHead_merges() {
        var harness = Harness(.production)
        harness.toAwaitingMergeApproval()
        let reviewTransition = harness.send(
            .reviewSubmitted(
                ReviewInput(reviewer: "alice", state: .approved, commitSHA: prHead, isAuthorizedApprover: true)))
        #expect(reviewTransition.has { if case .gatherMergeFacts = $0 { true } else { false } })
        let transition = harness.send(.mergeFactsGathered(facts()))
        #expect(transition.to == .rollbackMerged && transition.event == "HumanApproved")
        #expect(transition.merges.first?.basis == .humanApproval(approver: "alice", headSHA: prHead))
    }

    @Test func awaitingMergeApproval_HumanApproved_guard_unauthorizedOrStaleHeadDoesNotMerge() {
        var harness = Harness(.production)
        harness.toAwaitingMergeApproval()
        #expect(
            harness.send(
                .reviewSubmitted(
                    ReviewInput(reviewer: "mallory", state: .approved, commitSHA: prHead, isAuthorizedApprover: false))
            ).isIgnored)
        #expect(
            harness.send(
                .reviewSubmitted(
                    ReviewInput(
                        reviewer: "bot", state: .approved, commitSHA: prHead, isAuthorizedApprover: true,
                        isOperator: true))
            ).isIgnored)
        harness.send(
            .reviewSubmitted(
                ReviewInput(reviewer: "alice", state: .approved, commitSHA: prHead, isAuthorizedApprover: true)))
        harness.send(.pullRequestHeadChanged(number: 42, headSHA: newHeadSHA))
        let transition = harness.send(.mergeFactsGathered(facts(head: newHeadSHA)))
        #expect(
            transition.merges.isEmpty && harness.machine.state == .awaitingMergeApproval,
            "the approval was for the old head")
        #expect(
            harness.send(
                .reviewSubmitted(
                    ReviewInput(reviewer: "alice", state: .approved, commitSHA: prHead, isAuthorizedApprover: true))
            ).isIgnored)
    }

    @Test func awaitingMergeApproval_InvariantFailed_escalatesToAwaitingHumanReview() {
        var harness = Harness()
        harness.toAwaitingMergeApproval()
        let transition = harness.send(.mergeFactsGathered(facts(open: [41, 42])))
        #expect(transition.to == .awaitingHumanReview && transition.event == "InvariantFailed")
        #expect(transition.escalations.first?.code == .invariantFailed && transition.merges.isEmpty)
        #expect(
            transition.has { if case .recordMetric(.invariantViolation(.noConflicts)) = $0 { true } else { false } })
    }

    @Test func awaitingMergeApproval_InvariantFailed_I8NotMergeable_escalatesNotMergeable() {
        var harness = Harness()
        harness.toAwaitingMergeApproval()
        let transition = harness.send(.mergeFactsGathered(facts(mergeable: false, state: "blocked")))
        #expect(transition.to == .awaitingHumanReview && transition.escalations.first?.code == .notMergeable)
    }

    @Test func awaitingMergeApproval_I8MergeableNull_rereadsThreeTimesThenFails() {
        var harness = Harness()
        harness.toAwaitingMergeApproval()
        var transition = harness.send(.mergeFactsGathered(facts(mergeable: nil, state: nil)))
        #expect(transition.to == .awaitingMergeApproval && harness.machine.pendingTimer(.mergeFactsReread) != nil)
        transition = harness.fire(.mergeFactsReread)
        #expect(transition.has { if case .gatherMergeFacts(42, 2) = $0 { true } else { false } })
        transition = harness.send(.mergeFactsGathered(facts(mergeable: nil, state: nil)))
        #expect(transition.to == .awaitingMergeApproval)
        harness.fire(.mergeFactsReread)
        transition = harness.send(.mergeFactsGathered(facts(mergeable: nil, state: nil)))
        #expect(transition.to == .awaitingHumanReview && transition.escalations.first?.code == .notMergeable)
    }

    @Test func awaitingMergeApproval_HealthRestored_atMergeTime_closesPRAndGoesToIdle() {
        var harness = Harness()
        harness.toAwaitingMergeApproval()
        let transition = harness.send(
            .mergeFactsGathered(facts(health: .healthy, replicas: ReplicaCounts(desired: 3, available: 3))))
        #expect(transition.to == .idle && transition.merges.isEmpty)
        #expect(
            transition.actions.contains(
                .closePullRequest(number: 42, comment: "Health restored before merge, rollback no longer needed.")))
    }

    @Test func awaitingMergeApproval_ApprovalTimeout_escalatesAndAborts() {
        var harness = Harness(.production)
        harness.toAwaitingMergeApproval()
        let start = harness.now
        let transition = harness.fire(.mergeApproval)
        #expect(harness.now.timeIntervalSince(start) == 3600)
        #expect(transition.to == .abort && transition.escalations.first?.code == .approvalTimeout)
    }

    @Test func awaitingMergeApproval_MergedExternally_goesToRollbackMerged() {
        var harness = Harness(.production)
        harness.toAwaitingMergeApproval()
        let transition = harness.send(
            .pullRequestClosed(PullRequestClosure(number: 42, merged: true, closedBy: "alice")))
        #expect(transition.to == .rollbackMerged && transition.event == "MergedExternally" && transition.merges.isEmpty)
        #expect(harness.machine.pendingTimer(.healthRecovery) != nil)
    }

    @Test func awaitingHumanReview_CommandApprove_authorizedAndI6I8Pass_merges() {
        var harness = Harness()
        harness.toAwaitingHumanReview()
        let approveTransition = harness.send(approve())
        #expect(approveTransition.replies.first?.applied == true)
        let still = harness.send(.mergeFactsGathered(facts(open: [41, 42])))
        #expect(
            still.merges.isEmpty && harness.machine.state == .awaitingHumanReview,
            "staging: all but I1 and I4 must pass; I7 still fails")
        var fewChecks = facts()
        fewChecks.replicas = ReplicaCounts(desired: 3, available: 1)
        let transition = harness.send(.mergeFactsGathered(fewChecks))
        #expect(transition.to == .rollbackMerged && transition.event == "Command(APPROVE)")
        #expect(transition.merges.first?.basis == .humanApproval(approver: "alice", headSHA: prHead))
    }

    @Test func awaitingHumanReview_CommandApprove_guard_unauthorizedIsIgnoredAndFailingI8DoesNotMerge() {
        var harness = Harness(.production)
        harness.toAwaitingMergeApproval()
        harness.send(.mergeFactsGathered(facts()))
        #expect(harness.machine.state == .awaitingMergeApproval)
        var reviewHarness = Harness(.production)
        reviewHarness.toAwaitingMergeApproval()
        reviewHarness.send(
            .reviewSubmitted(
                ReviewInput(reviewer: "alice", state: .approved, commitSHA: prHead, isAuthorizedApprover: true)))
        reviewHarness.send(.mergeFactsGathered(facts(mergeable: false, state: "blocked")))
        #expect(reviewHarness.machine.state == .awaitingHumanReview)
        let before = reviewHarness.machine
        let unauthorized = reviewHarness.send(approve("mallory", authorized: false))
        #expect(unauthorized.isIgnored && unauthorized.replies.isEmpty && reviewHarness.machine == before)
        reviewHarness.send(approve())
        let transition = reviewHarness.send(.mergeFactsGathered(facts(mergeable: false, state: "blocked")))
        #expect(transition.merges.isEmpty && reviewHarness.machine.state == .awaitingHumanReview)
        let ok = reviewHarness.send(.mergeFactsGathered(facts()))
        #expect(ok.to == .rollbackMerged)
    }

    @Test func mergeFailed_notMergeableAbortsAndAlreadyMergedCountsAsSuccess() {
        var harness = Harness()
        harness.toAwaitingMergeApproval()
        harness.send(.mergeFactsGathered(facts()))
        let ok = harness.send(
            .mergeFailed(ExternalCallFailure(code: .alreadyMerged, message: "", retriesExhausted: true)))
        #expect(ok.to == .rollbackMerged && harness.machine.attempt?.merge?.confirmed == true)
        var failingHarness = Harness()
        failingHarness.toAwaitingMergeApproval()
        failingHarness.send(.mergeFactsGathered(facts()))
        let transition = failingHarness.send(
            .mergeFailed(ExternalCallFailure(code: .notMergeable, message: "405", retriesExhausted: true)))
        #expect(transition.to == .abort && transition.escalations.first?.code == .notMergeable)
    }
}
