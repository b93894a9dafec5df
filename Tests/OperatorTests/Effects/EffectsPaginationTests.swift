// Issue 14 at the merge decision: the facts the real EffectRunner gathers come from whole
// lists, so a conflicting operator PR on page 2 fails I7 and a failed check run past the 100th
// fails the head's CI: no auto-merge on a first page.
import Clients
import Foundation
import Operator
import Simulator
import Testing

@testable import RollbackCore

@Suite(.serialized) struct EffectsPaginationTests {
    /// The invariants of `facts` with every fact these tests do not vary set to a passing value.
    static func invariants(_ facts: MergeFacts) -> InvariantReport {
        InvariantReport.evaluate(
            InvariantFacts(
                environment: .staging, health: facts.health, replicas: ReplicaCounts(desired: 3, available: 1),
                consecutiveDegradedChecks: 3, targetUptime: 0.999, targetCIPassed: true, headSHA: facts.headSHA,
                headCI: facts.headCI.verdict, openOperatorPRs: facts.openOperatorPRs, prNumber: facts.prNumber,
                mergeable: facts.mergeable, mergeableState: facts.mergeableState))
    }

    static func gather(_ harness: EffectsHarness, _ pr: PullRequestRef) async throws -> MergeFacts {
        let events = await harness.runner.perform(
            .gatherMergeFacts(prNumber: pr.number, read: 1), app: harness.app, machine: harness.machine(holding: pr))
        guard case .mergeFactsGathered(let facts)? = events.first else { throw TestFailure("no facts: \(events)") }
        return facts
    }

    @Test func anOperatorPROnPageTwoFailsI7() async throws {
        let harness = try EffectsHarness()
        defer { harness.stop() }
        let repo = harness.scenario.gitopsRepo
        let base = harness.scenario.envBranch
        // The oldest PR on the base branch is another operator PR: newest first, it is on page 2.
        let conflicting = harness.gh.createPullRequest(
            repo: repo, head: "rollback/other-1234567", base: base, title: "Rollback: other", labels: ["ai-operator"])
        for index in 0..<148 {
            harness.gh.createPullRequest(
                repo: repo, head: "feature/\(index)", base: base, title: "change \(index)", labels: ["dependencies"])
        }
        let pr = try await EffectsMergeTests.openPR(harness)
        harness.gh.setCheckRun(repo: repo, sha: pr.headSHA, name: "ci", conclusion: "success")
        #expect(harness.gh.pulls(repo: repo).filter { $0.state == "open" }.count == 150)
        harness.gh.clearRequestLog()

        let facts = try await Self.gather(harness, pr)
        #expect(facts.openOperatorPRs == [conflicting, pr.number].sorted())
        #expect(harness.requests("GET", "/repos/\(repo)/pulls").map { $0.query["page"] } == [nil, "2"])
        let report = Self.invariants(facts)
        #expect(report.outcome(.noConflicts) == .fail)
        #expect(report.outcome(.ciSuccess) == .pass && !report.allPass)
    }

    @Test func aFailedCheckRunPastTheHundredthFailsTheHeadCI() async throws {
        let harness = try EffectsHarness()
        defer { harness.stop() }
        let repo = harness.scenario.gitopsRepo
        let pr = try await EffectsMergeTests.openPR(harness)
        harness.gh.protectBranch(repo: repo, branch: harness.scenario.envBranch, requiredChecks: ["check-0"])
        for index in 0..<120 {
            harness.gh.setCheckRun(
                repo: repo, sha: pr.headSHA, name: "check-\(index)", conclusion: index == 119 ? "failure" : "success")
        }
        // GitHub's answer when only a check that is not required failed.
        harness.gh.setMergeable(repo: repo, number: pr.number, mergeable: true, state: "unstable")
        harness.gh.clearRequestLog()

        let facts = try await Self.gather(harness, pr)
        #expect(facts.headCI.checkRuns.count == 120)
        #expect(facts.headCI.checkRuns.last?.name == "check-119")
        #expect(facts.headCI.verdict == .failed)
        #expect(facts.mergeable == true && facts.mergeableState == "unstable")
        #expect(harness.requests("GET", "/check-runs").count == 2)
        let report = Self.invariants(facts)
        #expect(report.outcome(.branchProtection) == .pass)
        #expect(report.outcome(.ciSuccess) == .fail && !report.allPass)
    }
}
