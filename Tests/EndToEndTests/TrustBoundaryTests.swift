import Demo
import Foundation
import Operator
import RollbackCore
import Simulator
import Testing

/// SPEC 19 end to end, the real service against the simulators: what people who may only edit an
/// Argo CD app, or push to a `rollback/*` branch, can and cannot make the operator do.
@Suite struct TrustBoundaryTests {
    /// Every escalation issue's body and comments, as one text.
    static func escalationText(_ env: DemoEnvironment) -> String {
        env.allEscalationIssues.map { issue in
            ([issue.body ?? ""] + env.sims.github.comments(repo: env.alertsRepo, issue: issue.number).map(\.body))
                .joined(separator: "\n")
        }.joined(separator: "\n")
    }

    /// Requests that would change `repo` (anything but reads).
    static func writes(_ env: DemoEnvironment, _ repo: String) -> [LoggedRequest] {
        env.sims.github.requestLog.filter { $0.method != "GET" && $0.path.hasPrefix("/repos/\(repo)/") }
    }

    /// An app labelled `staging` whose annotations point at another team's repository and
    /// production branch: its rollback is decided as production and, since the manifest there is
    /// not its own, ends `POLICY_DENIED` with nothing written to that repository.
    @Test func aStagingLabelPointedAtAnotherTeamsProductionManifestWritesNothing() async throws {
        let env = try DemoEnvironment()
        defer { env.stop() }
        let victim = env.seed(app: "ledger", environment: "production")
        env.makeHealthy(victim)
        let attacker = env.seed(app: "web", environment: "staging")
        env.sims.argocd.update("web") { app in
            app.annotations["ai-operator.io/manifest-repo"] = victim.gitopsRepo
            app.annotations["ai-operator.io/manifest-branch"] = "main"
            app.annotations["ai-operator.io/manifest-path"] = victim.manifestPath
        }
        let (watcher, logs) = try env.startWatched()
        let denied = await watcher.wait(within: 60) { watcher.state("web") == .abort }
        try #require(denied, watcher.brief("web", logs))
        let attempt = try #require(watcher.last("web")?.machine.attempt)
        #expect(attempt.abortReason == .policyDenied)
        // Decided as production, whatever the label says.
        #expect(watcher.last("web")?.machine.app.environment == .production)
        #expect(Self.writes(env, victim.gitopsRepo).isEmpty)
        #expect(env.rollbackBranches(victim.gitopsRepo).isEmpty)
        #expect(env.sims.github.pulls(repo: victim.gitopsRepo).isEmpty)
        #expect(env.sims.github.merges.isEmpty)
        // One escalation issue for the attempt: the configuration error, then the refusal (the
        // effects run after the step: wait for the comment).
        let refused = await watcher.wait(within: 10) {
            Self.escalationText(env).contains("Reason code: POLICY_DENIED")
        }
        #expect(refused, "\(Self.escalationText(env))")
        let issues = env.allEscalationIssues.filter { $0.title.contains("web") }
        #expect(issues.count == 1, "issues: \(env.allEscalationIssues.map(\.title))")
        let text = Self.escalationText(env)
        #expect(text.contains("Reason code: POLICY_DENIED") && text.contains("metadata.name"), "\(text)")
        #expect(text.contains("configuration error"))
        _ = attacker
    }

    /// With the GitOps repository outside `ALLOWED_MANIFEST_REPOS`, nothing is written at all:
    /// no branch, no commit, no PR; the attempt ends `POLICY_DENIED` with one escalation.
    @Test func aRepositoryOutsideTheAllowListEndsPolicyDeniedWithNothingWritten() async throws {
        let env = try DemoEnvironment()
        defer { env.stop() }
        let scenario = env.seed(app: "web", environment: "staging")
        let (watcher, logs) = try env.startWatched(overrides: ["ALLOWED_MANIFEST_REPOS": "acme/someone-else"])
        let denied = await watcher.wait(within: 60) { watcher.state("web") == .abort }
        try #require(denied, watcher.brief("web", logs))
        #expect(watcher.last("web")?.machine.attempt?.abortReason == .policyDenied)
        #expect(Self.writes(env, scenario.gitopsRepo).isEmpty)
        #expect(env.rollbackBranches(scenario.gitopsRepo).isEmpty)
        #expect(env.sims.github.pulls(repo: scenario.gitopsRepo).isEmpty)
        let issues = env.escalationIssues("POLICY_DENIED")
        #expect(issues.count == 1)
        #expect(issues.first?.body?.contains(scenario.gitopsRepo) == true)
    }

    /// A foreign commit pushed onto the rollback branch after the PR opened: no merge in staging,
    /// the attempt waits for a human, one escalation says who pushed.
    @Test func aForeignPushAfterThePROpenedIsNeverMergedInStaging() async throws {
        let env = try DemoEnvironment()
        defer { env.stop() }
        env.sims.github.setAutoCheckRun(branchPrefix: "rollback/", name: "ci", conclusion: "success", delay: 3)
        let scenario = env.seed(app: "checkout", environment: "staging")
        let (watcher, logs) = try env.startWatched()
        let opened = await watcher.wait(within: 60) { watcher.reached("checkout", .prCreated) }
        try #require(opened, watcher.brief("checkout", logs))
        let pr = try #require(env.sims.github.pulls(repo: scenario.gitopsRepo).first)
        env.sims.github.addCommit(
            repo: scenario.gitopsRepo, branch: pr.headRef, files: ["deploy/extra.yaml": "replicas: 0\n"],
            message: "tweak", author: "mallory")
        let paused = await watcher.wait(within: 30) { watcher.state("checkout") == .awaitingHumanReview }
        try #require(paused, watcher.brief("checkout", logs))
        let escalated = await watcher.wait(within: 20) { env.escalationIssues("POLICY_DENIED").count == 1 }
        #expect(escalated, "issues: \(env.allEscalationIssues.map(\.title))")
        #expect(Self.escalationText(env).contains("by mallory"), "\(Self.escalationText(env))")
        let checks = watcher.healthChecks("checkout").count
        let held = await watcher.holds(
            { env.sims.github.merges.isEmpty && watcher.state("checkout") == .awaitingHumanReview },
            until: { watcher.healthChecks("checkout").count >= checks + 10 }, within: 30)
        #expect(held, watcher.brief("checkout", logs))
    }

    /// In production, an approval given before a foreign push is void: CI passes on the new head
    /// and still nothing is merged.
    @Test func aForeignPushVoidsAProductionApproval() async throws {
        let env = try DemoEnvironment()
        defer { env.stop() }
        env.sims.github.setAutoCheckRun(branchPrefix: "rollback/", name: "ci", conclusion: "success", delay: 3)
        let scenario = env.seed(app: "payments", environment: "production")
        let (watcher, logs) = try env.startWatched()
        let opened = await watcher.wait(within: 60) { watcher.reached("payments", .prCreated) }
        try #require(opened, watcher.brief("payments", logs))
        let pr = try #require(env.sims.github.pulls(repo: scenario.gitopsRepo).first)
        env.sims.github.addReview(
            repo: scenario.gitopsRepo, number: pr.number, user: env.approver, state: "APPROVED", commitID: pr.headSHA)
        let approved = await watcher.wait(within: 20) {
            watcher.last("payments")?.machine.attempt?.approvals.isEmpty == false
        }
        try #require(approved, watcher.brief("payments", logs))
        env.sims.github.addCommit(
            repo: scenario.gitopsRepo, branch: pr.headRef, files: ["deploy/extra.yaml": "replicas: 0\n"],
            message: "tweak", author: "mallory")
        let voided = await watcher.wait(within: 20) {
            watcher.last("payments")?.machine.attempt?.approvals.isEmpty == true
                && (watcher.last("payments")?.machine.attempt?.foreignHeads?.count ?? 0) == 1
        }
        #expect(voided, watcher.brief("payments", logs))
        let waiting = await watcher.wait(within: 30) { watcher.state("payments") == .awaitingMergeApproval }
        #expect(waiting, watcher.brief("payments", logs))
        let checks = watcher.healthChecks("payments").count
        let held = await watcher.holds(
            { env.sims.github.merges.isEmpty }, until: { watcher.healthChecks("payments").count >= checks + 10 },
            within: 30)
        #expect(held, watcher.brief("payments", logs))
        let text = Self.escalationText(env)
        #expect(
            text.contains("POLICY_DENIED") && text.contains("by mallory") && text.contains("approval given is void"),
            "\(text)")
    }

    /// The same `APPROVE` comment delivered twice under two delivery ids acts once: one
    /// approval recorded, one reply.
    @Test func anApproveDeliveredTwiceActsOnce() async throws {
        let waiting = try await WaitingForApproval.start(app: "billing")
        let env = waiting.env
        let watcher = waiting.watcher
        defer { env.stop() }
        let before = env.sims.github.webhooks.deliveries.count
        env.sims.github.addComment(
            repo: waiting.scenario.gitopsRepo, issue: waiting.pr.number, user: env.approver, body: "APPROVE")
        // The comment reaches the core by webhook and by poll: it acts once.
        func appliedSteps() -> Int {
            watcher.steps("billing", event: "Command(APPROVE)").filter { !$0.transition.isIgnored }.count
        }
        let applied = await watcher.wait(within: 20) { appliedSteps() == 1 }
        try #require(applied, watcher.brief("billing", waiting.logs))
        let delivery = try #require(
            env.sims.github.webhooks.deliveries.dropFirst(before).first { $0.event == "issue_comment" })
        let approvals = watcher.last("billing")?.machine.attempt?.approvals.count
        #expect(approvals == 1)
        let second = try #require(env.sims.github.webhooks.resendAsNewDelivery(delivery.id))
        #expect(second != delivery.id)
        let seen = watcher.steps("billing", event: "Command(APPROVE)").count
        let handled = await watcher.wait(within: 20) {
            watcher.steps("billing", event: "Command(APPROVE)").count > seen
        }
        #expect(handled, watcher.brief("billing", waiting.logs))
        #expect(appliedSteps() == 1)
        #expect(watcher.last("billing")?.machine.attempt?.approvals.count == approvals)
        // One answer to the one comment (waited for: replies are posted after the step).
        let answered = await watcher.wait(within: 10) {
            env.sims.github.comments(repo: waiting.scenario.gitopsRepo, issue: waiting.pr.number)
                .contains { $0.user != env.approver && $0.body.contains("APPROVE") }
        }
        #expect(answered)
        let replies = env.sims.github.comments(repo: waiting.scenario.gitopsRepo, issue: waiting.pr.number)
            .filter { $0.user != env.approver && $0.body.contains("APPROVE") }
        #expect(replies.count == 1, "replies: \(replies.map(\.body))")
    }

    /// `ABORT` followed by a second line (`\r\n`, as browsers send) is applied.
    @Test func anAbortWithASecondLineIsApplied() async throws {
        let waiting = try await WaitingForApproval.start(app: "orders")
        let env = waiting.env
        defer { env.stop() }
        env.sims.github.addComment(
            repo: env.alertsRepo, issue: waiting.issue.number, user: env.approver,
            body: "ABORT\r\nwe will fix forward instead")
        let aborted = await waiting.watcher.wait(within: 20) { waiting.watcher.state("orders") == .abort }
        #expect(aborted, waiting.watcher.brief("orders", waiting.logs))
        #expect(waiting.watcher.last("orders")?.machine.attempt?.abortReason == .abortedByHuman)
        #expect(env.sims.github.merges.isEmpty)
    }

    /// An approver who requests changes after approving has withdrawn the approval.
    @Test func changesRequestedWithdrawsAnApproval() async throws {
        let env = try DemoEnvironment()
        defer { env.stop() }
        env.sims.github.setAutoCheckRun(branchPrefix: "rollback/", name: "ci", conclusion: "success", delay: 3)
        let scenario = env.seed(app: "search", environment: "production")
        let (watcher, logs) = try env.startWatched()
        let opened = await watcher.wait(within: 60) { watcher.reached("search", .prCreated) }
        try #require(opened, watcher.brief("search", logs))
        let pr = try #require(env.sims.github.pulls(repo: scenario.gitopsRepo).first)
        env.sims.github.addReview(
            repo: scenario.gitopsRepo, number: pr.number, user: env.approver, state: "APPROVED", commitID: pr.headSHA)
        let approved = await watcher.wait(within: 20) {
            watcher.last("search")?.machine.attempt?.approvals.isEmpty == false
        }
        try #require(approved, watcher.brief("search", logs))
        env.sims.github.addReview(
            repo: scenario.gitopsRepo, number: pr.number, user: env.approver, state: "CHANGES_REQUESTED",
            commitID: pr.headSHA)
        let withdrawn = await watcher.wait(within: 20) {
            watcher.last("search")?.machine.attempt?.approvals.isEmpty == true
        }
        #expect(withdrawn, watcher.brief("search", logs))
        let waiting = await watcher.wait(within: 30) { watcher.state("search") == .awaitingMergeApproval }
        #expect(waiting, watcher.brief("search", logs))
        let checks = watcher.healthChecks("search").count
        let held = await watcher.holds(
            { env.sims.github.merges.isEmpty }, until: { watcher.healthChecks("search").count >= checks + 10 },
            within: 30)
        #expect(held, watcher.brief("search", logs))
    }
}
