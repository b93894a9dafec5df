import Clients
import Foundation
import Operator
import Simulator
import Testing

@testable import RollbackCore

@Suite(.serialized) struct EffectsCandidateTests {
    static func selection(_ events: [RollbackEvent]) -> CandidateSelection? {
        guard case .candidateSearchFinished(let s)? = events.first else { return nil }
        return s
    }

    @Test func picksTheNewestStableAncestorAndExplainsEveryCandidate() async throws {
        let h = try EffectsHarness()
        defer { h.stop() }
        let events = await h.runner.perform(
            .searchCandidates(currentRevision: h.scenario.badRevision), app: h.app,
            machine: h.newMachine())
        let s = try #require(Self.selection(events))
        #expect(s.outcome == .found)
        #expect(s.currentRevision == h.scenario.badRevision)
        #expect(s.winner?.sha == h.target)
        #expect(s.winner?.uptime == 0.999)
        #expect(s.winner?.commit?.message == "checkout: release 3")
        // The current revision is explained (RB-09), then the winner; nothing after the winner is read.
        #expect(s.considered.map(\.sha) == [h.scenario.badRevision, h.target])
        #expect(s.considered.first?.reason.contains("RB-09") == true)
        #expect(s.considered.last?.taken == true)
        #expect(s.considered.allSatisfy { !$0.reason.isEmpty })
        // Few calls on the hot path: one compare, one CI read pair, one uptime query.
        #expect(h.requests("GET", "...\(h.target)").count == 1)
        #expect(h.sims.prometheus.queries.count == 1)
        #expect(
            h.sims.prometheus.queries.first?.query
                == "avg_over_time(up{app=\"checkout\",revision=\"\(h.target)\"}[24h])")
    }

    @Test func skipsAnUnstableCandidateWithItsReason() async throws {
        let h = try EffectsHarness()
        defer { h.stop() }
        h.sims.prometheus.setUptime(app: "checkout", revision: h.target, value: 0.5)
        h.gh.setCheckRun(
            repo: h.scenario.sourceRepo, sha: h.scenario.goodRevisions[1], name: "build", conclusion: "failure")
        let events = await h.runner.perform(
            .searchCandidates(currentRevision: h.scenario.badRevision), app: h.app,
            machine: h.newMachine())
        let s = try #require(Self.selection(events))
        #expect(s.winner?.sha == h.scenario.goodRevisions[0])
        let reasons = Dictionary(s.considered.map { ($0.sha, $0.reason) }, uniquingKeysWith: { a, _ in a })
        #expect(reasons[h.target]?.contains("uptime 50 %") == true)
        #expect(reasons[h.scenario.goodRevisions[1]] == "CI failed")
        #expect(s.considered.count == 4)
    }

    @Test func withoutPrometheusUptimeIsNullAndCIDecides() async throws {
        let h = try EffectsHarness(prometheus: false)
        defer { h.stop() }
        let s = try #require(
            Self.selection(
                await h.runner.perform(
                    .searchCandidates(currentRevision: nil), app: h.app,
                    machine: h.newMachine())))
        #expect(s.outcome == .found)
        #expect(s.winner?.sha == h.target)
        #expect(s.winner?.uptime == nil)
        #expect(s.considered.last?.reason.contains("no metrics") == true)
    }

    @Test func manifestAheadOfArgoIsARevisionMismatch() async throws {
        let h = try EffectsHarness()
        defer { h.stop() }
        let text = SimulatorSuite.manifest(
            app: "checkout", environment: "staging", namespace: "shop",
            repoURL: "https://github.com/acme/checkout.git", revision: h.scenario.goodRevisions[0])
        h.gh.unprotectBranch(repo: "acme/gitops", branch: "staging")
        h.gh.addCommit(
            repo: "acme/gitops", branch: "staging", files: [".argocd/application.yaml": text], message: "manual revert")
        let s = try #require(
            Self.selection(
                await h.runner.perform(
                    .searchCandidates(currentRevision: h.scenario.badRevision),
                    app: h.app, machine: h.newMachine())))
        #expect(s.outcome == .revisionMismatch)
        #expect(s.winner == nil)
    }

    @Test func argoUnreachableGivesNoEvent() async throws {
        let h = try EffectsHarness()
        defer { h.stop() }
        h.sims.argocd.faults.inject(.status(503), path: "/api/v1/applications", count: nil)
        let events = await h.runner.perform(
            .searchCandidates(currentRevision: h.scenario.badRevision), app: h.app,
            machine: h.newMachine())
        #expect(events.isEmpty)
        #expect(h.sleeper.delays == [.seconds(1), .seconds(2), .seconds(4)])
    }
}
