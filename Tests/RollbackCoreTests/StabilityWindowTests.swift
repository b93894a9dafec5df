import Foundation
import Testing

@testable import RollbackCore

@Suite struct StabilityWindowTests {
    let configuration = RollbackConfiguration.default
    func feed(_ observations: [HealthObservation], every seconds: Double = 10) -> (
        StabilityWindow, [StabilityWindow.Verdict]
    ) {
        var window = StabilityWindow()
        var now = t0
        var out: [StabilityWindow.Verdict] = []
        for observation in observations {
            now += seconds
            out.append(window.record(observation, at: now, configuration: configuration))
        }
        return (window, out)
    }
    @Test func keepsTheLastTenChecksInOrderWithoutSpareRoom() {
        let observations = (0..<25).map { index in
            HealthObservation(
                health: .healthy, message: index < 20 ? "fine" : "fine \(index)",
                syncRevision: String(repeating: index < 12 ? "a" : "b", count: 40),
                replicas: ReplicaCounts(desired: 3, available: 3))
        }
        let (window, _) = feed(observations)
        #expect(window.recent.count == StabilityWindow.kept)
        #expect(window.recent.map(\.observation) == Array(observations.suffix(StabilityWindow.kept)))
        #expect(window.recent.map(\.at) == (16...25).map { t0 + Double($0) * 10 })
        // Thousands of apps keep one each: no room reserved for growth.
        #expect(window.recent.capacity <= StabilityWindow.kept + 1, "capacity \(window.recent.capacity)")
    }
    @Test func threeConsecutiveDegradedIsPersistent() {
        let (_, verdicts) = feed([degraded(), degraded(), degraded()])
        #expect(verdicts.map(\.persistent) == [false, false, true] && verdicts[0].firstDegraded)
    }
    @Test func desiredZeroIsNeverDegraded() {
        let zero = HealthObservation(health: .degraded, replicas: ReplicaCounts(desired: 0, available: 0))
        let (window, verdicts) = feed([zero, zero, zero, zero])
        #expect(!verdicts.contains { $0.degraded } && window.consecutiveDegraded == 0)
    }
    @Test func kubernetesReadFailureUsesArgoHealthAlone() {
        let noK8s = HealthObservation(health: .degraded, replicas: nil)
        let (_, verdicts) = feed([noK8s, noK8s, noK8s])
        #expect(verdicts.last!.persistent && verdicts.allSatisfy(\.kubernetesReadFailed))
    }
    @Test func flappingNeverBecomesPersistent() {
        let (_, verdicts) = feed((0..<30).map { $0 % 2 == 0 ? degraded() : healthy() })
        #expect(!verdicts.contains { $0.persistent })
    }
    @Test func failedReadIsNeverDegradedAndResetsTheStreak() {
        let (_, verdicts) = feed([degraded(), degraded(), .argoReadFailure, degraded(), degraded()])
        #expect(!verdicts[2].degraded && !verdicts.contains { $0.persistent })
    }
    @Test func missingAlertsOncePerEpisodeAndClosesAfterRestorationDuration() {
        let missing = HealthObservation(health: .missing, replicas: nil)
        let (window, verdicts) = feed([
            missing, missing, missing, healthy(), healthy(), healthy(), healthy(), healthy(), healthy(), healthy(),
            missing,
        ])
        #expect(verdicts.compactMap(\.episodeOpened) == [.healthMissing, .healthMissing])
        #expect(verdicts.compactMap(\.episodeClosed) == [.healthMissing])
        #expect(window.episode?.code == .healthMissing)
    }
    @Test func unknownAlertsOnce() {
        let unknown = HealthObservation(health: .unknown, replicas: nil)
        let (_, verdicts) = feed([unknown, unknown, unknown, unknown])
        #expect(verdicts.compactMap(\.episodeOpened) == [.healthUnknown])
    }
    @Test func threeFailedArgoReadsSkipTheAppFor300s() {
        var window = StabilityWindow()
        var now = t0
        var verdicts: [StabilityWindow.Verdict] = []
        for _ in 0..<3 {
            now += 10
            verdicts.append(window.record(.argoReadFailure, at: now, configuration: configuration))
        }
        #expect(verdicts[2].startedSkip && verdicts[2].episodeOpened == .argocdUnreachable)
        now += 290
        #expect(window.record(degraded(), at: now, configuration: configuration).skipped)
        now += 10
        #expect(!window.record(degraded(), at: now, configuration: configuration).skipped)
    }
    @Test func machineIgnoresChecksWhileSkipped() {
        var harness = Harness()
        for _ in 0..<3 { harness.send(.healthChecked(.argoReadFailure), after: 10) }
        #expect(harness.log.last!.escalations.first?.code == .argocdUnreachable)
        let before = harness.machine
        #expect(harness.send(.healthChecked(degraded()), after: 10).isIgnored && harness.machine == before)
    }

    // Spacing (SPEC 1): checks count toward persistence only `POLL_INTERVAL_SEC` apart.

    @Test func notificationBurstDoesNotConfirm() {
        let (window, verdicts) = feed([degraded(), degraded(), degraded()], every: 0.1)
        #expect(!verdicts.contains { $0.persistent }, "\(verdicts)")
        #expect(verdicts.map(\.counted) == [true, false, false] && window.consecutiveDegraded == 1)
    }
    @Test func checksAPollIntervalApartConfirm() {
        let (_, verdicts) = feed([degraded(), degraded(), degraded()], every: configuration.pollInterval)
        #expect(verdicts.map(\.persistent) == [false, false, true] && verdicts.allSatisfy(\.counted))
    }
    @Test func jitteredPollerChecksStillCount() {
        let (_, verdicts) = feed([degraded(), degraded(), degraded()], every: 9.5)
        #expect(verdicts.map(\.persistent) == [false, false, true])
    }
    @Test func quickDegradedCheckRefreshesTheLatestRecordWithoutCounting() {
        var window = StabilityWindow()
        _ = window.record(degraded(), at: t0, configuration: configuration)
        _ = window.record(degraded(), at: t0 + 10, configuration: configuration)
        let newest = degraded(2, 3)
        let quick = window.record(newest, at: t0 + 10.5, configuration: configuration)
        #expect(quick.degraded && !quick.counted && !quick.persistent && !quick.firstDegraded)
        #expect(window.consecutiveDegraded == 2 && window.recent.count == 2)
        #expect(window.recent.last == HealthCheckRecord(at: t0 + 10.5, observation: newest))
        #expect(window.recent.capacity <= StabilityWindow.kept + 1)
        // Spacing is measured from the last counted check (t0 + 10), not from the quick one.
        let third = window.record(degraded(), at: t0 + 19, configuration: configuration)
        #expect(third.counted && third.persistent && window.recent.map(\.at) == [t0, t0 + 10.5, t0 + 19])
    }
    @Test func quickHealthyCheckResetsTheCount() {
        var window = StabilityWindow()
        _ = window.record(degraded(), at: t0, configuration: configuration)
        _ = window.record(degraded(), at: t0 + 10, configuration: configuration)
        let quick = window.record(healthy(), at: t0 + 10.2, configuration: configuration)
        #expect(!quick.counted && window.consecutiveDegraded == 0 && window.recent.last?.degraded == false)
        // The streak starts over: two more spaced degraded checks are not persistent.
        let verdicts = [20.0, 30].map { window.record(degraded(), at: t0 + $0, configuration: configuration) }
        #expect(verdicts.map(\.persistent) == [false, false] && window.consecutiveDegraded == 2)
    }
    @Test func clockGoingBackRebasesTheSpacing() {
        var window = StabilityWindow()
        _ = window.record(degraded(), at: t0 + 100, configuration: configuration)
        #expect(!window.record(degraded(), at: t0, configuration: configuration).counted)
        #expect(window.record(degraded(), at: t0 + 10, configuration: configuration).counted)
    }
    @Test func machineStartsNoAttemptOnANotificationBurst() {
        var harness = Harness()
        for _ in 0..<5 { harness.send(.healthChecked(degraded()), after: 0.1) }
        #expect(harness.machine.state == .idle && harness.machine.attempt == nil)
        harness.send(.healthChecked(degraded()), after: 10)
        #expect(harness.machine.state == .idle)
        harness.send(.healthChecked(degraded()), after: 10)
        #expect(harness.machine.state == .degradationDetected)
        // One record per counted check, the first refreshed by the burst's last check.
        let confirming = harness.machine.attempt?.confirmingChecks.map { $0.at.timeIntervalSince(t0) } ?? []
        #expect(confirming.count == 3 && abs(confirming[0] - 0.5) < 1e-6, "\(confirming)")
    }
}
