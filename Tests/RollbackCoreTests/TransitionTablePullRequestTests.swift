import Foundation
import Testing

@testable import RollbackCore

/// Rows of `CandidateResolved` and `PRCreated` (SPEC 5): opening the rollback PR and waiting for its CI.
@Suite struct TransitionTablePullRequestTests {
    @Test func candidateResolved_PRCreated_savesPRAndGoesToPRCreated() {
        var harness = Harness()
        harness.toCandidateResolved()
        let transition = harness.send(.pullRequestCreated(prRef))
        #expect(transition.to == .prCreated && harness.machine.attempt?.pullRequest == prRef)
        #expect(harness.machine.pendingTimer(.ciWait) != nil && harness.machine.pendingTimer(.ciPoll) != nil)
    }

    @Test func candidateResolved_PRCreated_guardRejectsUnexpectedHeadBranch() {
        var harness = Harness()
        harness.toCandidateResolved()
        var other = prRef
        other.headBranch = "feature/x"
        let before = harness.machine
        #expect(harness.send(.pullRequestCreated(other)).isIgnored && harness.machine == before)
    }

    @Test func candidateResolved_PRCreationFailed_nonRetryable_escalatesAndAborts() {
        var harness = Harness()
        harness.toCandidateResolved()
        let transition = harness.send(
            .pullRequestCreationFailed(
                ExternalCallFailure(code: .permissionDenied, message: "403", retriesExhausted: false)))
        #expect(transition.to == .abort)
        #expect(
            transition.escalations.first?.code == .permissionDenied
                && transition.escalations.first?.securityAlert == true)
    }

    @Test func candidateResolved_PRCreationFailed_guardIgnoresRetryableWithRetriesLeft() {
        var harness = Harness()
        harness.toCandidateResolved()
        #expect(
            harness.send(
                .pullRequestCreationFailed(
                    ExternalCallFailure(code: .networkError, message: "reset", retriesExhausted: false))
            ).isIgnored)
        let transition = harness.send(
            .pullRequestCreationFailed(
                ExternalCallFailure(code: .networkError, message: "reset", retriesExhausted: true)))
        #expect(transition.to == .abort && transition.escalations.first?.code == .prCreationFailed)
    }

    @Test func prCreated_CISucceeded_goesToAwaitingMergeApproval() {
        var harness = Harness()
        harness.toPRCreated()
        let transition = harness.send(.ciReported(passedCI(prHead)))
        #expect(transition.to == .awaitingMergeApproval && transition.event == "CISucceeded")
        #expect(
            transition.has { if case .gatherMergeFacts(42, 1) = $0 { true } else { false } },
            "staging evaluates the invariants")
    }

    @Test func prCreated_CISucceeded_inProductionRequestsApproval() {
        var harness = Harness(.production)
        harness.toPRCreated()
        let transition = harness.send(.ciReported(passedCI(prHead)))
        #expect(transition.to == .awaitingMergeApproval)
        #expect(transition.escalations.first?.code == .approvalRequired)
        #expect(harness.machine.pendingTimer(.mergeApproval) != nil)
    }

    @Test func prCreated_CIReport_guardIgnoresPendingAndOtherSHA() {
        var harness = Harness()
        harness.toPRCreated()
        #expect(harness.send(.ciReported(pendingCI(prHead))).isIgnored)
        #expect(harness.send(.ciReported(failedCI("0000000"))).isIgnored)
        #expect(harness.machine.state == .prCreated)
    }

    @Test func prCreated_CIFailed_escalatesAndAborts() {
        var harness = Harness()
        harness.toPRCreated()
        let transition = harness.send(.ciReported(failedCI(prHead)))
        #expect(
            transition.to == .abort && transition.event == "CIFailed"
                && transition.escalations.first?.code == .ciFailure)
        #expect(
            transition.escalations.first?.issueTitle
                == "[URGENT] AI Operator Escalation: payment-service - CI Failure on Rollback PR")
    }

    @Test func prCreated_CITimeout_escalatesAndAborts() {
        var harness = Harness()
        harness.toPRCreated()
        let start = harness.now
        let transition = harness.fire(.ciWait)
        #expect(harness.now.timeIntervalSince(start) == 300)
        #expect(
            transition.to == .abort && transition.event == "CITimeout"
                && transition.escalations.first?.code == .ciTimeout)
    }

    @Test func prCreated_HealthRestored_closesPRAndGoesToIdle() {
        var harness = Harness()
        harness.toPRCreated()
        harness.send(.healthChecked(healthy()), after: 10)
        let transition = harness.send(.healthChecked(healthy()), after: 60)
        #expect(transition.to == .idle && transition.closes == [42])
    }
}
