import Demo
import Foundation
import Operator
import RollbackCore
import Simulator
import Testing

/// Attempts that must stop: CI failure of the rollback PR, GitHub failing PR creation.
@Suite struct FailureTests {
    /// Worked example 3: CI of the rollback PR fails => `Abort` with a `CI_FAILURE`
    /// escalation; nothing is merged, and no second attempt follows.
    @Test func ciFailureAbortsWithEscalationAndNoMerge() async throws {
        let env = try DemoEnvironment()
        defer { env.stop() }
        env.sims.github.setAutoCheckRun(branchPrefix: "rollback/", name: "ci", conclusion: "failure", delay: 0.3)
        let app = "search"
        let scenario = env.seed(app: app, environment: "staging")
        let (watcher, logs) = try env.startWatched()

        let aborted = await watcher.wait(within: 60) { watcher.reached(app, .abort) }
        try #require(aborted, watcher.brief(app, logs))
        #expect(watcher.states(app) == [.idle, .degradationDetected, .candidateResolved, .prCreated, .abort])
        #expect(watcher.last(app)?.machine.attempt?.abortReason == .ciFailure)
        #expect(watcher.steps(app, event: "CIFailed").count == 1)
        let escalated = await watcher.wait(within: 20) { env.escalationIssues("CI_FAILURE").count == 1 }
        #expect(escalated, "issues: \(env.allEscalationIssues.map { $0.body ?? "" })")
        let issue = try #require(env.escalationIssues("CI_FAILURE").first)
        #expect(issue.title.hasPrefix("[URGENT] AI Operator Escalation: \(app)"))
        #expect(Set(issue.labels).isSuperset(of: ["ai-operator", "escalation", "urgent", "staging"]))

        // Several poll cycles later: still one PR, never merged, no new attempt.
        let checks = watcher.healthChecks(app).count
        let quiet = await watcher.holds(
            {
                env.sims.github.merges.isEmpty && env.sims.github.pulls(repo: scenario.gitopsRepo).count == 1
                    && watcher.state(app) == .abort
            }, until: { watcher.healthChecks(app).count >= checks + 10 }, within: 30)
        #expect(
            quiet,
            "state: \(String(describing: watcher.state(app))), pulls: \(env.sims.github.pulls(repo: scenario.gitopsRepo).count)"
        )
        #expect(env.sims.github.pulls(repo: scenario.gitopsRepo).first?.merged == false)
        #expect(env.escalationIssues("CI_FAILURE").count == 1)
        let manifest = try #require(
            env.sims.github.file(repo: scenario.gitopsRepo, path: scenario.manifestPath, ref: scenario.envBranch))
        #expect(manifest.contains(scenario.badRevision))
    }

    /// GitHub answers 502 to every PR creation: the client retries (4 tries in all), then
    /// the attempt aborts with `PR_CREATION_FAILED`; the branch made before stays the only
    /// one, and no later attempt creates another.
    @Test func gitHubFaultsDuringPRCreationAbortWithoutSecondBranch() async throws {
        let env = try DemoEnvironment()
        defer { env.stop() }
        let app = "catalog"
        let scenario = env.seed(app: app, environment: "staging")
        let pullsPath = "/repos/\(scenario.gitopsRepo)/pulls"
        env.sims.github.faults.inject(.status(502), method: "POST", path: pullsPath, count: 20)
        let (watcher, logs) = try env.startWatched()

        let aborted = await watcher.wait(within: 60) { watcher.reached(app, .abort) }
        try #require(aborted, watcher.brief(app, logs))
        #expect(watcher.states(app) == [.idle, .degradationDetected, .candidateResolved, .abort])
        #expect(watcher.last(app)?.machine.attempt?.abortReason == .prCreationFailed)
        // Retried: 1 try + 3 retries, every one answered 502.
        let creations = env.githubRequests("POST", pullsPath)
        #expect(creations.count == 4, "POST \(pullsPath): \(creations.map(\.status))")
        #expect(creations.allSatisfy { $0.status == 502 })
        let escalated = await watcher.wait(within: 20) { env.escalationIssues("PR_CREATION_FAILED").count == 1 }
        #expect(escalated, "issues: \(env.allEscalationIssues.map { $0.body ?? "" })")

        // Several poll cycles later: one branch, created once; no PR; no new attempt.
        let checks = watcher.healthChecks(app).count
        let refsPath = "/repos/\(scenario.gitopsRepo)/git/refs"
        let quiet = await watcher.holds(
            {
                env.rollbackBranches(scenario.gitopsRepo).count == 1 && env.githubRequests("POST", refsPath).count == 1
                    && env.sims.github.pulls(repo: scenario.gitopsRepo).isEmpty && watcher.state(app) == .abort
            }, until: { watcher.healthChecks(app).count >= checks + 10 }, within: 30)
        #expect(
            quiet,
            "branches: \(env.rollbackBranches(scenario.gitopsRepo)), ref creations: \(env.githubRequests("POST", refsPath).count)"
        )
        #expect(
            env.rollbackBranches(scenario.gitopsRepo) == ["rollback/\(app)-\(scenario.goodRevisions.last!.prefix(7))"])
        #expect(env.githubRequests("POST", pullsPath).count == 4)
        #expect(env.sims.github.merges.isEmpty)

        // GitHub recovers and a human resets: the next attempt reuses the branch and its one
        // rollback commit, opens one PR, and completes.
        env.sims.github.faults.clear()
        let id = try #require(watcher.last(app)?.machine.attempt?.correlationId)
        let reset = try await httpRequest(
            port: env.servicePort, "POST", "/api/v1/rollbacks/\(id)/reset", token: env.apiToken)
        #expect(reset.status == 200, "\(reset.text)")
        let done = await watcher.wait(within: 60) { watcher.reached(app, .rollbackComplete) }
        #expect(done, watcher.brief(app, logs))
        #expect(env.rollbackBranches(scenario.gitopsRepo).count == 1)
        #expect(env.githubRequests("POST", refsPath).count == 1)
        #expect(
            env.sims.github.requestLog.filter {
                $0.method == "PUT" && $0.path.hasPrefix("/repos/\(scenario.gitopsRepo)/contents/")
            }.count == 1)
        let pulls = env.sims.github.pulls(repo: scenario.gitopsRepo)
        #expect(pulls.count == 1)
        #expect(pulls.first?.merged == true)
        #expect(env.sims.github.merges.count == 1)
    }
}
