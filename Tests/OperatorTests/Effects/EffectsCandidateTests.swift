import Clients
import Foundation
import Operator
import Simulator
import Testing

@testable import RollbackCore

@Suite(.serialized) struct EffectsCandidateTests {
    static func selection(_ events: [RollbackEvent]) -> CandidateSelection? {
        guard case .candidateSearchFinished(let selection)? = events.first else { return nil }
        return selection
    }

    @Test func picksTheNewestStableAncestorAndExplainsEveryCandidate() async throws {
        let harness = try EffectsHarness()
        defer { harness.stop() }
        let events = await harness.runner.perform(
            .searchCandidates(currentRevision: harness.scenario.badRevision), app: harness.app,
            machine: harness.newMachine())
        let selection = try #require(Self.selection(events))
        #expect(selection.outcome == .found)
        #expect(selection.currentRevision == harness.scenario.badRevision)
        #expect(selection.winner?.sha == harness.target)
        #expect(selection.winner?.uptime == 0.999)
        #expect(selection.winner?.commit?.message == "checkout: release 3")
        // The current revision is explained (RB-09), then the winner; nothing after the winner is read.
        #expect(selection.considered.map(\.sha) == [harness.scenario.badRevision, harness.target])
        #expect(selection.considered.first?.reason.contains("RB-09") == true)
        #expect(selection.considered.last?.taken == true)
        #expect(selection.considered.allSatisfy { !$0.reason.isEmpty })
        // Few calls on the hot path: one compare, one CI read pair, one uptime query.
        #expect(harness.requests("GET", "...\(harness.target)").count == 1)
        #expect(harness.sims.prometheus.queries.count == 1)
        #expect(
            harness.sims.prometheus.queries.first?.query
                == "avg_over_time(up{app=\"checkout\",revision=\"\(harness.target)\"}[24h])")
    }

    @Test func skipsAnUnstableCandidateWithItsReason() async throws {
        let harness = try EffectsHarness()
        defer { harness.stop() }
        harness.sims.prometheus.setUptime(app: "checkout", revision: harness.target, value: 0.5)
        harness.gh.setCheckRun(
            repo: harness.scenario.sourceRepo, sha: harness.scenario.goodRevisions[1], name: "build",
            conclusion: "failure")
        let events = await harness.runner.perform(
            .searchCandidates(currentRevision: harness.scenario.badRevision), app: harness.app,
            machine: harness.newMachine())
        let selection = try #require(Self.selection(events))
        #expect(selection.winner?.sha == harness.scenario.goodRevisions[0])
        let reasons = Dictionary(selection.considered.map { ($0.sha, $0.reason) }, uniquingKeysWith: { a, _ in a })
        #expect(reasons[harness.target]?.contains("uptime 50 %") == true)
        #expect(reasons[harness.scenario.goodRevisions[1]] == "CI failed")
        #expect(selection.considered.count == 4)
    }

    @Test func withoutPrometheusUptimeIsNullAndCIDecides() async throws {
        let harness = try EffectsHarness(prometheus: false)
        defer { harness.stop() }
        let selection = try #require(
            Self.selection(
                await harness.runner.perform(
                    .searchCandidates(currentRevision: nil), app: harness.app,
                    machine: harness.newMachine())))
        #expect(selection.outcome == .found)
        #expect(selection.winner?.sha == harness.target)
        #expect(selection.winner?.uptime == nil)
        #expect(selection.considered.last?.reason.contains("no metrics") == true)
    }

    @Test func manifestAheadOfArgoIsARevisionMismatch() async throws {
        let harness = try EffectsHarness()
        defer { harness.stop() }
        let text = SimulatorSuite.manifest(
            app: "checkout", environment: "staging", namespace: "shop",
            repoURL: "https://github.com/acme/checkout.git", revision: harness.scenario.goodRevisions[0])
        harness.gh.unprotectBranch(repo: "acme/gitops", branch: "staging")
        harness.gh.addCommit(
            repo: "acme/gitops", branch: "staging", files: [".argocd/application.yaml": text], message: "manual revert")
        let selection = try #require(
            Self.selection(
                await harness.runner.perform(
                    .searchCandidates(currentRevision: harness.scenario.badRevision),
                    app: harness.app, machine: harness.newMachine())))
        #expect(selection.outcome == .revisionMismatch)
        #expect(selection.winner == nil)
    }

    @Test func argoUnreachableGivesNoEvent() async throws {
        let harness = try EffectsHarness()
        defer { harness.stop() }
        harness.sims.argocd.faults.inject(.status(503), path: "/api/v1/applications", count: nil)
        let events = await harness.runner.perform(
            .searchCandidates(currentRevision: harness.scenario.badRevision), app: harness.app,
            machine: harness.newMachine())
        #expect(events.isEmpty)
        #expect(harness.sleeper.delays == [.seconds(1), .seconds(2), .seconds(4)])
    }
}
