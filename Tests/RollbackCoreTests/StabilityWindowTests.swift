import Foundation
import Testing

@testable import RollbackCore

@Suite struct StabilityWindowTests {
    let c = RollbackConfiguration.default
    func feed(_ obs: [HealthObservation], every dt: Double = 10) -> (StabilityWindow, [StabilityWindow.Verdict]) {
        var w = StabilityWindow()
        var now = t0
        var out: [StabilityWindow.Verdict] = []
        for o in obs {
            now += dt
            out.append(w.record(o, at: now, configuration: c))
        }
        return (w, out)
    }
    @Test func keepsTheLastTenChecksInOrderWithoutSpareRoom() {
        let obs = (0..<25).map { i in
            HealthObservation(
                health: .healthy, message: i < 20 ? "fine" : "fine \(i)",
                syncRevision: String(repeating: i < 12 ? "a" : "b", count: 40),
                replicas: ReplicaCounts(desired: 3, available: 3))
        }
        let (w, _) = feed(obs)
        #expect(w.recent.count == StabilityWindow.kept)
        #expect(w.recent.map(\.observation) == Array(obs.suffix(StabilityWindow.kept)))
        #expect(w.recent.map(\.at) == (16...25).map { t0 + Double($0) * 10 })
        // Thousands of apps keep one each: no room reserved for growth.
        #expect(w.recent.capacity <= StabilityWindow.kept + 1, "capacity \(w.recent.capacity)")
    }
    @Test func threeConsecutiveDegradedIsPersistent() {
        let (_, v) = feed([degraded(), degraded(), degraded()])
        #expect(v.map(\.persistent) == [false, false, true] && v[0].firstDegraded)
    }
    @Test func desiredZeroIsNeverDegraded() {
        let zero = HealthObservation(health: .degraded, replicas: ReplicaCounts(desired: 0, available: 0))
        let (w, v) = feed([zero, zero, zero, zero])
        #expect(!v.contains { $0.degraded } && w.consecutiveDegraded == 0)
    }
    @Test func kubernetesReadFailureUsesArgoHealthAlone() {
        let noK8s = HealthObservation(health: .degraded, replicas: nil)
        let (_, v) = feed([noK8s, noK8s, noK8s])
        #expect(v.last!.persistent && v.allSatisfy(\.kubernetesReadFailed))
    }
    @Test func flappingNeverBecomesPersistent() {
        let (_, v) = feed((0..<30).map { $0 % 2 == 0 ? degraded() : healthy() })
        #expect(!v.contains { $0.persistent })
    }
    @Test func failedReadIsNeverDegradedAndResetsTheStreak() {
        let (_, v) = feed([degraded(), degraded(), .argoReadFailure, degraded(), degraded()])
        #expect(!v[2].degraded && !v.contains { $0.persistent })
    }
    @Test func missingAlertsOncePerEpisodeAndClosesAfterRestorationDuration() {
        let missing = HealthObservation(health: .missing, replicas: nil)
        let (w, v) = feed([
            missing, missing, missing, healthy(), healthy(), healthy(), healthy(), healthy(), healthy(), healthy(),
            missing,
        ])
        #expect(v.compactMap(\.episodeOpened) == [.healthMissing, .healthMissing])
        #expect(v.compactMap(\.episodeClosed) == [.healthMissing])
        #expect(w.episode?.code == .healthMissing)
    }
    @Test func unknownAlertsOnce() {
        let u = HealthObservation(health: .unknown, replicas: nil)
        let (_, v) = feed([u, u, u, u])
        #expect(v.compactMap(\.episodeOpened) == [.healthUnknown])
    }
    @Test func threeFailedArgoReadsSkipTheAppFor300s() {
        var w = StabilityWindow()
        var now = t0
        var v: [StabilityWindow.Verdict] = []
        for _ in 0..<3 {
            now += 10
            v.append(w.record(.argoReadFailure, at: now, configuration: c))
        }
        #expect(v[2].startedSkip && v[2].episodeOpened == .argocdUnreachable)
        now += 290
        #expect(w.record(degraded(), at: now, configuration: c).skipped)
        now += 10
        #expect(!w.record(degraded(), at: now, configuration: c).skipped)
    }
    @Test func machineIgnoresChecksWhileSkipped() {
        var h = Harness()
        for _ in 0..<3 { h.send(.healthChecked(.argoReadFailure), after: 10) }
        #expect(h.log.last!.escalations.first?.code == .argocdUnreachable)
        let before = h.m
        #expect(h.send(.healthChecked(degraded()), after: 10).isIgnored && h.m == before)
    }
}
