import Foundation
import Testing

@testable import RollbackCore

/// `ai_operator_rollbacks_merged_total` counts when GitHub confirms the merge, whatever follows
/// (SPEC 15): a merge whose recovery then times out is still a merge.
@Suite struct MergedCounterTests {
    static func mergedCounts(_ log: [Transition]) -> [Bool] {
        log.flatMap(\.actions).compactMap { action in
            if case .recordMetric(.rollbackMerged(let autoMerged)) = action { return autoMerged }
            return nil
        }
    }

    @Test func aConfirmedMergeCountsEvenWhenRecoveryTimesOut() {
        var harness = Harness()
        harness.toAwaitingMergeApproval()
        harness.send(.mergeFactsGathered(facts()))
        #expect(Self.mergedCounts(harness.log).isEmpty, "ordered is not merged yet")
        let confirmed = harness.send(.mergeSucceeded(mergeCommitSHA: "m"))
        #expect(Self.mergedCounts([confirmed]) == [true])
        let timedOut = harness.fire(.healthRecovery)
        #expect(timedOut.to == .abort && harness.machine.attempt?.abortReason == .recoveryTimeout)
        #expect(Self.mergedCounts(harness.log) == [true])
    }

    @Test func aHumanMergeCountsOnceAndNotAgainAtCompletion() {
        var harness = Harness(.production)
        harness.toAwaitingMergeApproval()
        harness.send(.pullRequestClosed(PullRequestClosure(number: 42, merged: true, closedBy: "alice")))
        #expect(Self.mergedCounts(harness.log) == [false])
        harness.send(.healthChecked(healthy(rev: targetSHA)), after: 10)
        harness.send(.healthChecked(healthy(rev: targetSHA)), after: 70)
        if harness.machine.state == .rollbackComplete { harness.fire(.completeHold) }
        #expect(Self.mergedCounts(harness.log) == [false])
    }
}

/// SPEC 5, 11: in production the approval request is opened when the attempt starts, updated
/// with the PR link once the PR exists, and later escalations are comments on it.
@Suite struct ProductionApprovalRequestTests {
    @Test func theRequestIsOpenedAtTheStartAndUpdatedWithThePRLink() {
        var harness = Harness(.production)
        harness.toDegradationDetected()
        let started = harness.log.flatMap(\.escalations)
        #expect(started.map(\.code) == [.approvalRequired] && started.first?.asCommentOnExistingIssue == false)
        harness.send(.candidateSearchFinished(found()), after: 5)
        let opened = harness.send(.pullRequestCreated(prRef), after: 5)
        let update = opened.escalations
        #expect(update.count == 1 && update.first?.asCommentOnExistingIssue == true)
        #expect(update.first?.issueBody.contains(prRef.url) == true)
        #expect(update.first?.slack.text.isEmpty == true, "an update is not a new Slack alert")
        let ciPassed = harness.send(.ciReported(passedCI(prHead)), after: 60)
        #expect(ciPassed.escalations.allSatisfy { $0.asCommentOnExistingIssue })
    }

    @Test func stagingOpensNoApprovalRequest() {
        var harness = Harness(.staging)
        harness.toPRCreated()
        #expect(harness.log.flatMap(\.escalations).isEmpty)
    }
}

/// SPEC 12: a call that failed for good escalates at once with its code; none waits for a timeout.
@Suite struct HardFailureTests {
    @Test func aPermissionErrorWhileWaitingForCIEscalatesAtOnceWithTheSecurityAlert() {
        var harness = Harness()
        harness.toPRCreated()
        let failed = harness.send(
            .callFailed(
                ExternalCallFailure(
                    code: .permissionDenied, message: "github.checkRuns: HTTP 403", retriesExhausted: true)))
        #expect(failed.to == .abort && harness.machine.attempt?.abortReason == .permissionDenied)
        #expect(failed.escalations.map(\.code) == [.permissionDenied])
        #expect(failed.escalations.first?.securityAlert == true)
    }

    @Test func aRetryableFailureWaitsForTheNextPoll() {
        var harness = Harness()
        harness.toPRCreated()
        let failed = harness.send(
            .callFailed(ExternalCallFailure(code: .networkError, message: "timeout", retriesExhausted: false)))
        #expect(failed.isIgnored && harness.machine.state == .prCreated)
    }

    @Test func aFailureAfterTheMergeDoesNotEndTheRecoveryWatch() {
        var harness = Harness()
        harness.toRollbackMerged()
        let failed = harness.send(
            .callFailed(ExternalCallFailure(code: .permissionDenied, message: "403", retriesExhausted: true)))
        #expect(failed.isIgnored && harness.machine.state == .rollbackMerged)
    }
}
