import Demo
import Foundation
import Operator
import RollbackCore
import Simulator
import Testing

/// The worked examples of the seeds, end to end: the real service over real HTTP against the
/// simulators.
@Suite struct WorkedExampleTests {
    @Test func stagingDegradationIsRolledBackAutoMergedAndRecovers() async throws {
        let env = try DemoEnvironment()
        defer { env.stop() }
        let scenario = env.seed(app: "checkout", environment: "staging")
        let (watcher, logs) = try env.startWatched()
        let done = await watcher.wait(within: 60) { watcher.reached("checkout", .rollbackComplete) }
        #expect(
            done,
            "states: \(watcher.states("checkout")); last logs: \(logs.captured.suffix(15).joined(separator: "\n"))")
        #expect(
            watcher.states("checkout").prefix(7) == [
                .idle, .degradationDetected, .candidateResolved, .prCreated,
                .awaitingMergeApproval, .rollbackMerged, .rollbackComplete,
            ])
        let pulls = env.sims.github.pulls(repo: scenario.gitopsRepo)
        #expect(pulls.count == 1)
        let pr = try #require(pulls.first)
        #expect(pr.merged)
        #expect(pr.title == "Rollback: checkout to \(scenario.goodRevisions.last!.prefix(7)) (degraded in staging)")
        #expect(Set(pr.labels) == ["ai-operator", "rollback", "staging"])
        let manifest = try #require(
            env.sims.github.file(repo: scenario.gitopsRepo, path: scenario.manifestPath, ref: scenario.envBranch))
        #expect(manifest.contains(scenario.goodRevisions.last!))
        #expect(!manifest.contains(scenario.badRevision))
        // The audit log holds the invariant table, all PASS, before the merge.
        let attempt = try #require(
            watcher.last("checkout")?.machine.lastAttempt ?? watcher.last("checkout")?.machine.attempt)
        #expect(attempt.lastInvariants?.allPass == true)
    }
}
