import Foundation
import Testing

@testable import RollbackCore

/// Rows after the merge (SPEC 5): recovery, completion and the recovery timeout; and what survives a
/// restart: resuming an attempt, stale timers, the stored JSON.
@Suite struct TransitionTableRecoveryTests {
    @Test func rollbackMerged_HealthRestored_goesToRollbackCompleteWithMTTR() {
        var harness = Harness()
        harness.toRollbackMerged()
        harness.send(.healthChecked(healthy(rev: targetSHA)), after: 30)
        let transition = harness.send(.healthChecked(healthy(rev: targetSHA)), after: 60)
        #expect(transition.to == .rollbackComplete)
        #expect(
            transition.has { if case .recordMetric(.timeToRecovery(let seconds)) = $0 { seconds > 0 } else { false } })
    }

    @Test func rollbackMerged_RecoveryTimeout_escalatesAndAborts() {
        var harness = Harness()
        harness.toRollbackMerged()
        let transition = harness.fire(.healthRecovery)
        #expect(transition.to == .abort && transition.escalations.first?.code == .recoveryTimeout)
    }

    @Test func rollbackMerged_NewDegradation_escalatesAndAborts() {
        var harness = Harness()
        harness.toRollbackMerged()
        harness.send(.healthChecked(healthy(rev: targetSHA)), after: 10)
        let transition = harness.send(.healthChecked(degraded(rev: targetSHA)), after: 10)
        #expect(
            transition.to == .abort && transition.event == "NewDegradation"
                && transition.escalations.first?.code == .newDegradation)
    }

    @Test func rollbackComplete_holdTimer_archivesAndGoesToIdle() {
        var harness = Harness()
        harness.toRollbackMerged()
        harness.send(.healthChecked(healthy(rev: targetSHA)), after: 10)
        harness.send(.healthChecked(healthy(rev: targetSHA)), after: 60)
        let transition = harness.fire(.completeHold)
        #expect(transition.to == .idle && transition.has { if case .archiveAttempt = $0 { true } else { false } })
        #expect(harness.context.quotas.inFlight.isEmpty)
    }

    @Test func staleTimerFiringIsIgnoredAndChangesNothing() {
        var harness = Harness()
        harness.toDegradationDetected()
        let old = harness.token(.candidateSearch)
        harness.send(.candidateSearchFinished(found()))
        let before = harness.machine
        let transition = harness.send(.timerFired(old))
        #expect(transition.isIgnored && harness.machine == before && transition.actions.isEmpty)
    }

    @Test func resumed_staleAttemptAbortsWithStaleState() {
        var harness = Harness()
        harness.toPRCreated()
        let transition = harness.send(.resumed, after: 86401)
        #expect(transition.to == .abort && transition.escalations.first?.code == .staleState)
        var restartedHarness = Harness()
        restartedHarness.toPRCreated()
        let ok = restartedHarness.send(.resumed, after: 1)
        #expect(ok.to == .prCreated && ok.has { if case .fetchCI = $0 { true } else { false } })
        #expect(
            ok.has {
                if case .scheduleTimer(let token, _) = $0 { token == restartedHarness.token(.ciWait) } else { false }
            })
    }

    @Test func machineStateRoundTripsThroughJSON() throws {
        var harness = Harness()
        harness.toAwaitingHumanReview()
        let data = try JSONEncoder().encode(harness.machine)
        let back = try JSONDecoder().decode(RollbackStateMachine.self, from: data)
        #expect(back == harness.machine)
        // The stored shape keeps its names (the attempt is held out of line in memory only).
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(
            (object["attempt"] as? [String: Any])?["correlationId"] as? String == harness.machine.attempt?.correlationId
        )
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
        #expect(reread.attempt == harness.machine.attempt && reread.lastAttempt == nil)
    }
}
