import Foundation
import Testing

@testable import RollbackCore

/// SPEC 11: "Argo CD unreachable" is one episode for the whole Argo CD, not one per app.
@Suite struct ArgoCDOutageTests {
    @Test func opensOnceAfterThreeFailedListsAndClosesAfterTheRestorationDuration() {
        var outage = ArgoCDOutage()
        let configuration = RollbackConfiguration.default
        #expect(outage.listFailed(at: t0, configuration: configuration) == nil)
        #expect(outage.listFailed(at: t0 + 10, configuration: configuration) == nil)
        #expect(outage.listFailed(at: t0 + 20, configuration: configuration) == .opened)
        #expect(outage.listFailed(at: t0 + 30, configuration: configuration) == nil, "one episode, not one per list")
        #expect(outage.listSucceeded(at: t0 + 40, configuration: configuration) == nil)
        #expect(outage.listFailed(at: t0 + 50, configuration: configuration) == nil, "a failure restarts the wait")
        #expect(outage.listSucceeded(at: t0 + 60, configuration: configuration) == nil)
        #expect(outage.listSucceeded(at: t0 + 120, configuration: configuration) == .closed)
        #expect(!outage.isOpen)
    }

    @Test func aWholeArgoCDFailureOpensNoEpisodeOfTheApps() {
        var harness = Harness()
        for _ in 0..<4 { harness.send(.healthChecked(.argoCDDown), after: 10) }
        #expect(harness.log.flatMap(\.escalations).isEmpty)
        var single = Harness()
        for _ in 0..<4 { single.send(.healthChecked(.argoReadFailure), after: 10) }
        #expect(single.log.flatMap(\.escalations).map(\.code) == [.argocdUnreachable])
    }
}
