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
}
