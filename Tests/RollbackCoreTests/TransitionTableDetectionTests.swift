import Foundation
import Testing

@testable import RollbackCore

/// Rows of `Idle` and `DegradationDetected` (SPEC 5): a persistent degradation opens an attempt, its
/// guards (cooldown, quotas, never roll back a rollback), and the candidate search.
@Suite struct TransitionTableDetectionTests {
    @Test func idle_HealthChecked_thirdConsecutiveDegraded_goesToDegradationDetected() {
        var harness = Harness(.production)
        harness.send(.healthChecked(degraded()), after: 10)
        #expect(harness.machine.state == .idle)
        harness.send(.healthChecked(degraded()), after: 10)
        #expect(harness.machine.state == .idle)
        let transition = harness.send(.healthChecked(degraded()), after: 10)
        #expect(transition.to == .degradationDetected)
        #expect(transition.actions.first == .persist)
        #expect(harness.machine.attempt?.correlationId.count == 36)
        #expect(
            transition.has {
                if case .publish(let event) = $0 {
                    event.kind == .degradationConfirmed
                        && event.subject == "ai-operator.production.degradation.confirmed"
                } else {
                    false
                }
            })
        // Production alerts humans at once: the approval request (issue and Slack) before the PR exists.
        #expect(transition.escalations.map(\.code) == [.approvalRequired], "production alerts humans")
        #expect(transition.escalations.first?.asCommentOnExistingIssue == false)
        #expect(transition.has { if case .searchCandidates(currentRevision: currentSHA) = $0 { true } else { false } })
        #expect(harness.machine.pendingTimer(.candidateSearch) != nil)
        #expect(harness.context.quotas.inFlight.count == 1)
    }

    @Test func idle_HealthChecked_otherwise_updatesWindowAndStaysIdle() {
        var harness = Harness()
        harness.send(.healthChecked(degraded()), after: 10)
        harness.send(.healthChecked(degraded()), after: 10)
        harness.send(.healthChecked(healthy()), after: 10)
        harness.send(.healthChecked(degraded()), after: 10)
        let transition = harness.send(.healthChecked(degraded()), after: 10)
        #expect(transition.to == .idle && harness.machine.attempt == nil)
        #expect(harness.machine.window.consecutiveDegraded == 2)
    }

    @Test func idle_guard_cooldownBlocksNewAttempt() {
        var harness = Harness()
        harness.toDegradationDetected()
        harness.send(cmd(.abort))
        harness.send(cmd(.reset))
        #expect(harness.machine.state == .idle)
        harness.toDegradationDetected()
        #expect(harness.machine.state == .idle, "within ROLLBACK_COOLDOWN_SEC")
        harness.send(.healthChecked(degraded()), after: 600)
        #expect(harness.machine.state == .degradationDetected, "after the cooldown")
    }

    @Test func idle_guard_quotaExceededEscalatesOnceAndStaysIdle() {
        var harness = Harness()
        for i in 0..<10 {
            harness.context.quotas.record(.attemptStarted(app: "other\(i)", correlationId: "c\(i)"), now: t0)
        }
        harness.toDegradationDetected()
        #expect(harness.machine.state == .idle)
        #expect(harness.log.last!.escalations.first?.code == .quotaExceeded)
        let again = harness.send(.healthChecked(degraded()), after: 10)
        #expect(again.escalations.isEmpty, "once per degraded episode")
    }

    @Test func idle_guard_neverRollsBackARollback() {
        var harness = Harness()
        harness.toRollbackMerged()
        for _ in 0..<7 { harness.send(.healthChecked(healthy(rev: targetSHA)), after: 10) }
        #expect(harness.machine.state == .rollbackComplete)
        harness.fire(.completeHold)
        #expect(harness.machine.state == .idle)
        harness.now = harness.now.addingTimeInterval(3600)
        for _ in 0..<3 { harness.send(.healthChecked(degraded(rev: targetSHA)), after: 10) }
        #expect(harness.machine.state == .idle)
        #expect(harness.log.last!.escalations.first?.code == .newDegradation)
    }

    @Test func degradationDetected_CandidateFound_goesToCandidateResolved() {
        var harness = Harness()
        harness.toDegradationDetected()
        let transition = harness.send(.candidateSearchFinished(found()))
        #expect(transition.to == .candidateResolved)
        #expect(harness.machine.attempt?.target?.sha == targetSHA)
        let plan = transition.openPRs.first
        #expect(plan?.headBranch == "rollback/payment-service-abc123d")
        #expect(plan?.title == "Rollback: payment-service to abc123d (degraded in staging)")
        #expect(
            harness.machine.pendingTimer(.prCreation) != nil && harness.machine.pendingTimer(.candidateSearch) == nil)
    }

    @Test func degradationDetected_CandidateFound_guardRejectsCurrentOrUnstableRevision() {
        var harness = Harness()
        harness.toDegradationDetected()
        let before = harness.machine
        var current = winner
        current.sha = currentSHA
        #expect(harness.send(.candidateSearchFinished(found(current))).isIgnored)
        var notAncestor = winner
        notAncestor.isStrictAncestor = false
        #expect(harness.send(.candidateSearchFinished(found(notAncestor))).isIgnored)
        var unstable = winner
        unstable.uptime = 0.95
        #expect(harness.send(.candidateSearchFinished(found(unstable))).isIgnored)
        #expect(harness.machine == before)
    }

    @Test func degradationDetected_NoCandidateFound_escalatesAndAborts() {
        var harness = Harness()
        harness.toDegradationDetected()
        let transition = harness.send(
            .candidateSearchFinished(
                CandidateSelection(outcome: .noCandidate, currentRevision: currentSHA, winner: nil, considered: [])))
        #expect(transition.to == .abort && transition.escalations.first?.code == .noCandidate)
    }

    @Test func degradationDetected_timeout_escalatesNoCandidateAndAborts() {
        var harness = Harness()
        harness.toDegradationDetected()
        let transition = harness.fire(.candidateSearch)
        #expect(
            transition.to == .abort && transition.event == "NoCandidateFound"
                && transition.escalations.first?.code == .noCandidate)
    }

    @Test func degradationDetected_revisionMismatch_escalatesAndAborts() {
        var harness = Harness()
        harness.toDegradationDetected()
        let transition = harness.send(
            .candidateSearchFinished(
                CandidateSelection(outcome: .revisionMismatch, currentRevision: currentSHA, winner: nil, considered: [])
            ))
        #expect(transition.to == .abort && transition.escalations.first?.code == .revisionMismatch)
    }

    @Test func degradationDetected_HealthRestored_after60sHealthy_goesToIdle() {
        var harness = Harness()
        harness.toDegradationDetected()
        harness.send(.healthChecked(healthy()), after: 10)
        harness.send(.healthChecked(healthy()), after: 50)
        #expect(harness.machine.state == .degradationDetected, "healthy for 50 s only")
        let transition = harness.send(.healthChecked(healthy()), after: 10)
        #expect(transition.to == .idle && transition.event == "HealthRestored")
        #expect(harness.machine.attempt == nil && harness.machine.lastAttempt?.endedAt != nil)
    }
}
