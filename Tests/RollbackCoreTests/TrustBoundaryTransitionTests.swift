import Foundation
import Testing

@testable import RollbackCore

/// SPEC 19 in the state machine: a refused app writes nothing and ends `POLICY_DENIED`; a head
/// that is not the operator's change voids the merge decision; commands count once per comment.
@Suite struct TrustBoundaryTransitionTests {
    @Test func anAppPointedAtAnotherRepositoryEndsPolicyDeniedBeforeAnythingIsWritten() {
        var harness = Harness()
        harness.machine = RollbackStateMachine(
            app: ApplicationInfo(
                name: "payment-service", environment: .staging, manifestRepository: "other-team/gitops",
                baseBranch: "staging", sourceRepository: "acme/gitops"),
            seed: 1)
        harness.toDegradationDetected()
        let last = harness.log.last!
        #expect(harness.machine.state == .abort)
        #expect(harness.machine.attempt?.abortReason == .policyDenied)
        #expect(last.escalations.map(\.code) == [.policyDenied])
        #expect(last.escalations.first?.issueBody.contains("other-team/gitops") == true)
        let everything = harness.log.flatMap(\.actions)
        #expect(!everything.contains { if case .searchCandidates = $0 { true } else { false } })
        #expect(!everything.contains { if case .openPullRequest = $0 { true } else { false } })
    }

    @Test func aRepositoryAllowedByPatternProceeds() {
        var harness = Harness()
        harness.context.configuration.writePolicy.allowedRepositories = ["other-team/*"]
        harness.machine = RollbackStateMachine(
            app: ApplicationInfo(
                name: "payment-service", environment: .staging, manifestRepository: "other-team/gitops",
                baseBranch: "staging", sourceRepository: "acme/gitops"),
            seed: 1)
        harness.toDegradationDetected()
        #expect(harness.machine.state == .degradationDetected)
    }

    @Test func aLabelThatDisagreesWithTheBranchIsEscalatedOnceAndTreatedAsProduction() {
        var harness = Harness()
        harness.machine = RollbackStateMachine(
            app: ApplicationInfo(
                name: "payment-service", environment: .production, manifestRepository: "acme/gitops",
                baseBranch: "main", sourceRepository: "acme/gitops", labelEnvironment: .staging),
            seed: 1)
        harness.toDegradationDetected()
        #expect(harness.machine.state == .degradationDetected)
        let escalations = harness.log.flatMap(\.escalations)
        #expect(escalations.map(\.code) == [.approvalRequired])
        #expect(escalations.first?.issueBody.contains("configuration error") == true)
        harness.send(.candidateSearchFinished(found()), after: 5)
        harness.send(.pullRequestCreated(prRef), after: 5)
        harness.send(.ciReported(passedCI(prHead)), after: 60)
        let transition = harness.send(.mergeFactsGathered(facts()))
        #expect(transition.merges.isEmpty, "a production rollback never auto-merges, whatever the label says")
    }

    @Test func aRefusalFromTheEffectRunnerEndsTheAttempt() {
        var harness = Harness()
        harness.toCandidateResolved()
        let transition = harness.send(.policyDenied(PolicyRefusal(rule: "the manifest must be this app's", value: "x")))
        #expect(transition.to == .abort && harness.machine.attempt?.abortReason == .policyDenied)
        #expect(transition.escalations.map(\.code) == [.policyDenied])
        #expect(harness.send(.policyDenied(PolicyRefusal(rule: "again", value: "y"))).isIgnored)
    }

    @Test func aForeignHeadInStagingIsNeverMergedAndEscalatedOnce() {
        var harness = Harness()
        harness.toAwaitingMergeApproval()
        let transition = harness.send(.mergeFactsGathered(facts(head: newHeadSHA, author: "mallory")))
        #expect(transition.merges.isEmpty)
        #expect(harness.machine.state == .awaitingHumanReview)
        #expect(transition.escalations.map(\.code) == [.policyDenied])
        #expect(transition.escalations.first?.issueBody.contains("mallory") == true)
        // An APPROVE cannot bless it, and the same head is not escalated again.
        let approval = harness.send(approve())
        #expect(approval.replies.first?.applied == false)
        let again = harness.send(.mergeFactsGathered(facts(head: newHeadSHA, author: "mallory")))
        #expect(again.merges.isEmpty && again.escalations.isEmpty)
    }

    @Test func theOperatorsHeadWithAnotherChangeBelowItIsNotMerged() {
        var harness = Harness()
        harness.toAwaitingMergeApproval()
        let transition = harness.send(.mergeFactsGathered(facts(changes: foreignChange)))
        #expect(transition.merges.isEmpty && harness.machine.state == .awaitingHumanReview)
        #expect(transition.escalations.map(\.code) == [.policyDenied])
    }

    @Test func anUnreadDiffWaitsInsteadOfMerging() {
        var harness = Harness()
        harness.toAwaitingMergeApproval()
        let transition = harness.send(.mergeFactsGathered(facts(changes: nil)))
        #expect(transition.merges.isEmpty && transition.escalations.isEmpty)
        #expect(harness.machine.state == .awaitingMergeApproval)
        #expect(harness.machine.pendingTimer(.mergeFactsReread) != nil)
    }

    @Test func aPushAfterAProductionApprovalVoidsIt() {
        var harness = Harness(.production)
        harness.toAwaitingMergeApproval()
        harness.send(
            .reviewSubmitted(
                ReviewInput(reviewer: "alice", state: .approved, commitSHA: prHead, isAuthorizedApprover: true)))
        #expect(harness.machine.attempt?.approvals.count == 1)
        let push = harness.send(.pullRequestHeadChanged(number: 42, headSHA: newHeadSHA, pushedBy: "mallory"))
        #expect(harness.machine.attempt?.approvals.isEmpty == true)
        #expect(push.escalations.map(\.code) == [.policyDenied])
        #expect(push.escalations.first?.issueBody.contains("mallory") == true)
        #expect(harness.machine.state == .awaitingMergeApproval)
        // An approval of the new head does not make it mergeable.
        harness.send(
            .reviewSubmitted(
                ReviewInput(reviewer: "alice", state: .approved, commitSHA: newHeadSHA, isAuthorizedApprover: true)))
        let decision = harness.send(.mergeFactsGathered(facts(head: newHeadSHA)))
        #expect(decision.merges.isEmpty)
    }

    @Test func aCommandCountsOncePerComment() {
        var harness = Harness(.production)
        harness.toAwaitingMergeApproval()
        let channel = CommandChannel.chatOps(repository: "acme/alerts", issueNumber: 7)
        let comment = RollbackEvent.command(
            CommandInput(kind: .approve, sender: "alice", isAuthorized: true, channel: channel, commentID: 901))
        let first = harness.send(comment)
        let second = harness.send(comment)
        #expect(first.replies.count == 1 && first.replies.first?.applied == true)
        #expect(second.isIgnored && second.replies.isEmpty)
        #expect(harness.machine.attempt?.approvals.count == 1)
    }

    @Test func changesRequestedWithdrawsTheReviewersApproval() {
        var harness = Harness(.production)
        harness.toAwaitingMergeApproval()
        harness.send(
            .reviewSubmitted(
                ReviewInput(reviewer: "alice", state: .approved, commitSHA: prHead, isAuthorizedApprover: true)))
        let withdrawal = harness.send(
            .reviewSubmitted(
                ReviewInput(
                    reviewer: "Alice", state: .changesRequested, commitSHA: prHead, isAuthorizedApprover: true)))
        #expect(!withdrawal.isIgnored)
        #expect(harness.machine.attempt?.approvals.isEmpty == true)
        #expect(harness.send(.mergeFactsGathered(facts())).merges.isEmpty)
    }

    @Test func theCommandIsTheFirstWordOfTheFirstLineWhateverTheLineEnding() {
        #expect(CommandKind.parse(commentBody: "ABORT\r\nthe release is bad") == .abort)
        #expect(CommandKind.parse(commentBody: "approve\nlooks good") == .approve)
        #expect(CommandKind.parse(commentBody: "  Reset\tnow") == .reset)
        #expect(CommandKind.parse(commentBody: "MANUAL\r\n") == .manual)
        #expect(CommandKind.parse(commentBody: "please ABORT") == nil)
        #expect(CommandKind.parse(commentBody: "ABORTED") == nil)
    }
}
