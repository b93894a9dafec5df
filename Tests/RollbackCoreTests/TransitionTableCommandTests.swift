import Foundation
import Testing

@testable import RollbackCore

/// Rows driven by humans (SPEC 5 and 10): `ABORT`, `MANUAL`, `RESET`, a PR closed by hand, the human
/// review timeouts, and the emergency stop.
@Suite struct TransitionTableCommandTests {
    @Test func anyOpenAttempt_CommandAbort_closesPRAndAborts() {
        var harness = Harness()
        harness.toPRCreated()
        let transition = harness.send(cmd(.abort))
        #expect(
            transition.to == .abort && transition.closes == [42]
                && harness.machine.attempt?.abortReason == .abortedByHuman)
        let again = harness.send(cmd(.abort))
        #expect(again.isIgnored && again.replies.first?.applied == false, "not applied in Abort: answered with why")
    }

    @Test func anyOpenPR_CommandManual_closesPRAndAborts() {
        var harness = Harness()
        harness.toAwaitingMergeApproval()
        let transition = harness.send(cmd(.manual))
        #expect(
            transition.to == .abort && transition.closes == [42]
                && harness.machine.attempt?.abortReason == .manualTakeover)
        var noPRHarness = Harness()
        noPRHarness.toDegradationDetected()
        #expect(noPRHarness.send(cmd(.manual)).isIgnored, "no open PR")
    }

    @Test func awaitingHumanReview_CommandReset_closesPRAndGoesToIdle() {
        var harness = Harness()
        harness.toAwaitingHumanReview()
        let transition = harness.send(cmd(.reset))
        #expect(
            transition.to == .idle && transition.closes == [42] && harness.machine.lastAttempt?.abortReason == .reset)
        var prCreatedHarness = Harness()
        prCreatedHarness.toPRCreated()
        #expect(prCreatedHarness.send(cmd(.reset)).isIgnored, "RESET is not accepted in PRCreated")
    }

    @Test func awaitingHumanReview_timeouts_pageAgainThenCloseAndAbort() {
        var harness = Harness()
        harness.toAwaitingHumanReview()
        let page = harness.fire(.humanReviewPage)
        #expect(page.to == .awaitingHumanReview && page.escalations.first?.asCommentOnExistingIssue == true)
        #expect(harness.machine.pendingTimer(.humanReviewPage) != nil)
        let transition = harness.fire(.humanReviewTimeout)
        #expect(transition.to == .abort && transition.closes == [42])
    }

    @Test func abort_Reset_authorizedHumanGoesToIdle() {
        var harness = Harness()
        harness.toDegradationDetected()
        harness.fire(.candidateSearch)
        #expect(harness.send(cmd(.reset, "mallory", authorized: false)).isIgnored)
        let transition = harness.send(cmd(.reset))
        #expect(transition.to == .idle && transition.replies.first?.applied == true)
    }

    @Test func abort_blocksNewAttemptsUntilReset() {
        var harness = Harness()
        harness.toDegradationDetected()
        harness.fire(.candidateSearch)
        for _ in 0..<100 { harness.send(.healthChecked(degraded()), after: 10) }
        #expect(harness.machine.state == .abort)
    }

    @Test func anyWithOpenPR_PRClosedByHuman_abortsWithPRClosed() {
        var harness = Harness()
        harness.toAwaitingMergeApproval()
        #expect(
            harness.send(
                .pullRequestClosed(PullRequestClosure(number: 42, merged: false, closedBy: "ops", byOperator: true))
            )
            .isIgnored)
        let transition = harness.send(
            .pullRequestClosed(PullRequestClosure(number: 42, merged: false, closedBy: "bob")))
        #expect(
            transition.to == .abort && harness.machine.attempt?.abortReason == .prClosed
                && transition.escalations.isEmpty)
    }

    @Test func any_CriticalInvariantViolated_emergencyStopToAbort() {
        var harness = Harness(.production)
        harness.toAwaitingMergeApproval()
        let transition = harness.send(
            .criticalInvariantViolated("a merge was about to happen in production without approval"))
        #expect(
            transition.to == .abort && transition.escalations.first?.code == .invariantFailed
                && transition.merges.isEmpty)
        var idle = Harness()
        let fromIdle = idle.send(.criticalInvariantViolated("x"))
        #expect(fromIdle.to == .abort)
    }
}
