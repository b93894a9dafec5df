import Demo
import Foundation
import Operator
import RollbackCore
import Simulator
import Testing

/// Level-triggered (SPEC 2; issue 14): with the GitHub simulator's webhooks turned off entirely,
/// the operator still reaches the right state, from its polls, within a poll interval or two of
/// each fact (the demo environment polls CI and reviews every 0.5 s).
@Suite struct WebhooksLostTests {
    /// A production attempt waiting for approval, with no webhook ever sent.
    static func waitingWithoutWebhooks(_ app: String) async throws -> (
        DemoEnvironment, SimulatorSuite.RollbackScenario, StepWatcher, LogOutput, GitHubSimulator.PullRequestInfo
    ) {
        let env = try DemoEnvironment()
        do {
            env.sims.github.webhooks.paused = true
            let scenario = env.seed(app: app, environment: "production")
            let (watcher, logs) = try env.startWatched()
            let waiting = await watcher.wait(within: 60) { watcher.reached(app, .awaitingMergeApproval) }
            try #require(waiting, watcher.brief(app, logs))
            let pr = try #require(env.sims.github.pulls(repo: scenario.gitopsRepo).first)
            return (env, scenario, watcher, logs, pr)
        } catch {
            env.stop()
            throw error
        }
    }

    @Test func stagingAutoMergeCompletesWithoutWebhooks() async throws {
        let env = try DemoEnvironment()
        defer { env.stop() }
        env.sims.github.webhooks.paused = true
        _ = env.seed(app: "checkout", environment: "staging")
        let (watcher, logs) = try env.startWatched()
        let done = await watcher.wait(within: 60) { watcher.reached("checkout", .rollbackComplete) }
        #expect(done, watcher.brief("checkout", logs))
        #expect(env.sims.github.merges.count == 1)
        #expect(env.sims.github.webhooks.deliveries.allSatisfy { $0.statusCode == nil }, "no webhook was sent")
    }

    @Test func ciFailureAbortsWithoutWebhooks() async throws {
        let env = try DemoEnvironment()
        defer { env.stop() }
        env.sims.github.webhooks.paused = true
        env.sims.github.setAutoCheckRun(branchPrefix: "rollback/", name: "ci", conclusion: "failure", delay: 0.3)
        _ = env.seed(app: "checkout", environment: "staging")
        let (watcher, logs) = try env.startWatched()
        let aborted = await watcher.wait(within: 60) { watcher.state("checkout") == .abort }
        #expect(aborted, watcher.brief("checkout", logs))
        #expect(watcher.last("checkout")?.machine.attempt?.abortReason == .ciFailure)
        #expect(env.sims.github.merges.isEmpty)
    }

    @Test func productionApprovalByReviewMergesWithoutWebhooks() async throws {
        let (env, scenario, watcher, logs, pr) = try await Self.waitingWithoutWebhooks("payments")
        defer { env.stop() }
        env.sims.github.addReview(
            repo: scenario.gitopsRepo, number: pr.number, user: env.approver, state: "APPROVED", commitID: pr.headSHA)
        let done = await watcher.wait(within: 30) { watcher.reached("payments", .rollbackComplete) }
        #expect(done, watcher.brief("payments", logs))
        #expect(env.sims.github.merges.count == 1)
    }

    @Test func healthRestoredBeforeMergeClosesThePRWithoutWebhooks() async throws {
        let (env, scenario, watcher, logs, pr) = try await Self.waitingWithoutWebhooks("ledger")
        defer { env.stop() }
        env.makeHealthy(scenario)
        let idle = await watcher.wait(within: 30) { watcher.state("ledger") == .idle }
        #expect(idle, watcher.brief("ledger", logs))
        let closed = await watcher.wait(within: 10) {
            env.sims.github.pulls(repo: scenario.gitopsRepo).first { $0.number == pr.number }?.state == "closed"
        }
        #expect(closed)
        #expect(env.sims.github.merges.isEmpty)
    }

    @Test func aPRClosedByAHumanAbortsWithPRClosed() async throws {
        let (env, scenario, watcher, logs, pr) = try await Self.waitingWithoutWebhooks("orders")
        defer { env.stop() }
        env.sims.github.closePullRequest(repo: scenario.gitopsRepo, number: pr.number, by: "dev-carol")
        let aborted = await watcher.wait(within: 10) { watcher.state("orders") == .abort }
        #expect(aborted, watcher.brief("orders", logs))
        #expect(watcher.last("orders")?.machine.attempt?.abortReason == .prClosed)
        #expect(env.sims.github.merges.isEmpty)
    }

    @Test func aPRMergedByAHumanIsFollowedToRecovery() async throws {
        let (env, scenario, watcher, logs, pr) = try await Self.waitingWithoutWebhooks("search")
        defer { env.stop() }
        env.sims.github.mergePullRequest(repo: scenario.gitopsRepo, number: pr.number, by: "dev-carol")
        let merged = await watcher.wait(within: 10) { watcher.reached("search", .rollbackMerged) }
        #expect(merged, watcher.brief("search", logs))
        #expect(watcher.steps("search", event: "MergedExternally").count == 1)
        let done = await watcher.wait(within: 30) { watcher.reached("search", .rollbackComplete) }
        #expect(done, watcher.brief("search", logs))
    }

    @Test func anAbortCommentIsAppliedOnceWithoutWebhooks() async throws {
        let (env, scenario, watcher, logs, pr) = try await Self.waitingWithoutWebhooks("billing")
        defer { env.stop() }
        env.sims.github.addComment(repo: scenario.gitopsRepo, issue: pr.number, user: env.approver, body: "ABORT")
        let aborted = await watcher.wait(within: 10) { watcher.state("billing") == .abort }
        #expect(aborted, watcher.brief("billing", logs))
        #expect(watcher.last("billing")?.machine.attempt?.abortReason == .abortedByHuman)
        // Several polls later, the comment has acted once: one reply, one ABORT step applied.
        let checks = watcher.healthChecks("billing").count
        _ = await watcher.wait(within: 10) { watcher.healthChecks("billing").count >= checks + 10 }
        #expect(watcher.steps("billing", event: "Command(ABORT)").filter { !$0.transition.isIgnored }.count == 1)
        let replies = env.sims.github.comments(repo: scenario.gitopsRepo, issue: pr.number)
            .filter { $0.user != env.approver && $0.body.contains("`ABORT` accepted") }
        #expect(replies.count == 1, "replies: \(replies.map(\.body))")
    }

    /// With webhooks on, the same comment reaches the core by webhook and by poll: it acts once.
    @Test func theSameCommentByWebhookAndPollActsOnce() async throws {
        let waiting = try await WaitingForApproval.start(app: "accounts")
        let env = waiting.env
        let watcher = waiting.watcher
        defer { env.stop() }
        env.sims.github.addComment(
            repo: waiting.scenario.gitopsRepo, issue: waiting.pr.number, user: env.approver, body: "APPROVE")
        let applied = await watcher.wait(within: 20) {
            watcher.steps("accounts", event: "Command(APPROVE)").contains { !$0.transition.isIgnored }
        }
        #expect(applied, watcher.brief("accounts", waiting.logs))
        let checks = watcher.healthChecks("accounts").count
        _ = await watcher.wait(within: 10) { watcher.healthChecks("accounts").count >= checks + 15 }
        #expect(watcher.steps("accounts", event: "Command(APPROVE)").filter { !$0.transition.isIgnored }.count == 1)
        let replies = env.sims.github.comments(repo: waiting.scenario.gitopsRepo, issue: waiting.pr.number)
            .filter { $0.user != env.approver && $0.body.contains("APPROVE") }
        #expect(replies.count == 1, "replies: \(replies.map(\.body))")
    }
}

/// SPEC 12: a 403 that is not a rate limit, on a read the attempt depends on, escalates
/// `PERMISSION_DENIED` at once with its security alert, instead of surfacing minutes later as
/// `CI_TIMEOUT`.
@Suite struct HardFailureEndToEndTests {
    @Test func aPermissionErrorOnACIReadEscalatesAtOnce() async throws {
        let env = try DemoEnvironment()
        defer { env.stop() }
        env.sims.github.setAutoCheckRun(branchPrefix: "rollback/", name: "ci", conclusion: "success", delay: 5)
        let scenario = env.seed(app: "checkout", environment: "staging")
        let (watcher, logs) = try env.startWatched()
        let opened = await watcher.wait(within: 60) { watcher.reached("checkout", .prCreated) }
        try #require(opened, watcher.brief("checkout", logs))
        env.sims.github.faults.inject(
            .status(403), method: "GET", path: "/repos/\(scenario.gitopsRepo)/commits", count: nil)
        let aborted = await watcher.wait(within: 10) { watcher.state("checkout") == .abort }
        #expect(aborted, watcher.brief("checkout", logs))
        #expect(watcher.last("checkout")?.machine.attempt?.abortReason == .permissionDenied)
        let escalated = await watcher.wait(within: 10) {
            env.allEscalationIssues.contains { $0.title.contains("Permission Denied") }
                && env.allEscalationIssues.contains { $0.title.contains("[SECURITY]") }
        }
        #expect(escalated, "issues: \(env.allEscalationIssues.map(\.title))")
    }
}
