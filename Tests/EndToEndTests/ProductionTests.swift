import Demo
import Foundation
import Operator
import RollbackCore
import Simulator
import Testing

/// Production attempts end to end: the PR waits for an authorized approval; health restored
/// before the merge closes it; ChatOps commands from strangers change nothing.
@Suite struct ProductionTests {
    /// Worked example 2: the PR waits in `AwaitingMergeApproval` with an `APPROVAL_REQUIRED`
    /// escalation; nothing is merged until the approver's review of the head SHA.
    @Test func productionPRWaitsForApprovalThenMergesAndRecovers() async throws {
        let env = try DemoEnvironment()
        defer { env.stop() }
        let app = "payments"
        let scenario = env.seed(app: app, environment: "production")
        let (watcher, logs) = try env.startWatched()
        let service = try #require(env.service)

        let waiting = await watcher.wait(within: 60) { watcher.reached(app, .awaitingMergeApproval) }
        try #require(waiting, watcher.brief(app, logs))
        // The engine counts the attempt as held: GitHub deliveries are stored pending for it now.
        #expect(!service.holdsNoAttemptForTesting)
        let pr = try #require(env.sims.github.pulls(repo: scenario.gitopsRepo).first)
        #expect(pr.baseRef == "main")
        #expect(Set(pr.labels) == ["ai-operator", "rollback", "production"])
        // CI passed on the head before it waits.
        let ci = try #require(watcher.steps(app, event: "CISucceeded").first)
        #expect(ci.transition.to == .awaitingMergeApproval)

        // The approval request: one escalation issue, APPROVAL_REQUIRED.
        let asked = await watcher.wait(within: 20) { env.escalationIssues("APPROVAL_REQUIRED").count == 1 }
        #expect(asked, "issues: \(env.allEscalationIssues.map(\.title))")

        // Several poll cycles and review polls later: still waiting, nothing merged.
        let checks = watcher.healthChecks(app).count
        let reviewsPath = "/repos/\(scenario.gitopsRepo)/pulls/\(pr.number)/reviews"
        let reviewReads = env.githubRequests("GET", reviewsPath).count
        let mergePath = "/repos/\(scenario.gitopsRepo)/pulls/\(pr.number)/merge"
        let held = await watcher.holds(
            {
                env.sims.github.merges.isEmpty && env.githubRequests("PUT", mergePath).isEmpty
                    && watcher.state(app) == .awaitingMergeApproval
            },
            until: {
                watcher.healthChecks(app).count >= checks + 10
                    && env.githubRequests("GET", reviewsPath).count >= reviewReads + 2
            }, within: 30)
        #expect(held, "merges: \(env.sims.github.merges.count), state: \(String(describing: watcher.state(app)))")

        // The approver approves the head: merge, recovery.
        env.sims.github.addReview(
            repo: scenario.gitopsRepo, number: pr.number, user: env.approver, state: "APPROVED", commitID: pr.headSHA)
        let done = await watcher.wait(within: 60) { watcher.reached(app, .rollbackComplete) }
        #expect(done, watcher.brief(app, logs))
        #expect(
            watcher.states(app).prefix(7) == [
                .idle, .degradationDetected, .candidateResolved, .prCreated,
                .awaitingMergeApproval, .rollbackMerged, .rollbackComplete,
            ])
        #expect(env.sims.github.merges.count == 1)
        #expect(env.sims.github.merges.first?.headSHA == pr.headSHA)
        #expect(env.sims.github.pulls(repo: scenario.gitopsRepo).first?.merged == true)
        let manifest = try #require(
            env.sims.github.file(repo: scenario.gitopsRepo, path: scenario.manifestPath, ref: scenario.envBranch))
        #expect(manifest.contains(scenario.goodRevisions.last!))
        let merged = try #require(watcher.steps(app, event: "HumanApproved").first)
        #expect(merged.transition.to == .rollbackMerged)
        // Once the attempt has ended (after the hold in RollbackComplete), none is held.
        let released = await watcher.wait(within: 30) { service.holdsNoAttemptForTesting }
        #expect(released, "state: \(String(describing: watcher.state(app)))")
    }

    /// Worked example 4: health comes back while the PR waits; the PR is closed with a
    /// comment, the app goes back to `Idle`, nothing is merged.
    @Test func healthRestoredBeforeMergeClosesThePR() async throws {
        let env = try DemoEnvironment()
        defer { env.stop() }
        let app = "ledger"
        let scenario = env.seed(app: app, environment: "production")
        let (watcher, logs) = try env.startWatched()

        let waiting = await watcher.wait(within: 60) { watcher.reached(app, .awaitingMergeApproval) }
        try #require(waiting, watcher.brief(app, logs))
        let pr = try #require(env.sims.github.pulls(repo: scenario.gitopsRepo).first)

        env.makeHealthy(scenario)
        let idle = await watcher.wait(within: 30) { watcher.states(app).last == .idle }
        #expect(idle, "states: \(watcher.states(app))")
        #expect(
            watcher.states(app) == [
                .idle, .degradationDetected, .candidateResolved, .prCreated, .awaitingMergeApproval, .idle,
            ])
        #expect(watcher.steps(app, event: "HealthRestored").count == 1)
        let closed = await watcher.wait(within: 20) {
            env.sims.github.pulls(repo: scenario.gitopsRepo).first?.state == "closed"
        }
        #expect(closed)
        let after = try #require(env.sims.github.pulls(repo: scenario.gitopsRepo).first)
        #expect(!after.merged)
        #expect(
            env.sims.github.comments(repo: scenario.gitopsRepo, issue: pr.number).contains {
                $0.body.contains("Health restored")
            })
        #expect(env.sims.github.merges.isEmpty)
        // The manifest still pins what a human deployed.
        let manifest = try #require(
            env.sims.github.file(repo: scenario.gitopsRepo, path: scenario.manifestPath, ref: scenario.envBranch))
        #expect(manifest.contains(scenario.badRevision))
    }

    /// A stranger's `APPROVE` and `ABORT` change nothing (but are audited); the approver's
    /// `ABORT` aborts (PR closed, reply); `RESET` on the escalation issue returns to `Idle`.
    @Test func chatOpsCommandsOnlyFromApprovers() async throws {
        let app = "billing"
        let approvalWait = try await WaitingForApproval.start(app: app)
        let env = approvalWait.env
        defer { env.stop() }
        let (scenario, watcher, pr, issue) = (
            approvalWait.scenario, approvalWait.watcher, approvalWait.pr, approvalWait.issue
        )
        let id = try #require(watcher.last(app)?.machine.attempt?.correlationId)

        // A stranger: APPROVE on the PR, ABORT on the escalation issue.
        env.sims.github.addComment(
            repo: scenario.gitopsRepo, issue: pr.number, user: "mallory", body: "APPROVE looks fine to me")
        env.sims.github.addComment(repo: env.alertsRepo, issue: issue.number, user: "mallory", body: "abort")
        let seen = await watcher.wait(within: 20) { watcher.steps(app, event: "Command(").count >= 2 }
        #expect(seen, "command steps: \(watcher.steps(app, event: "Command(").map(\.transition.event))")
        #expect(watcher.steps(app, event: "Command(").allSatisfy { $0.transition.isIgnored })
        // Several poll cycles later: still waiting, nothing merged or closed.
        let checks = watcher.healthChecks(app).count
        let unchanged = await watcher.holds(
            {
                watcher.state(app) == .awaitingMergeApproval && env.sims.github.merges.isEmpty
                    && env.sims.github.pulls(repo: scenario.gitopsRepo).first?.state == "open"
            }, until: { watcher.healthChecks(app).count >= checks + 5 }, within: 20)
        #expect(unchanged, "state: \(String(describing: watcher.state(app)))")
        // Audited: the audit trail names the stranger's ignored commands.
        let audit = try await httpRequest(port: env.servicePort, "GET", "/api/v1/rollbacks/\(id)/audit")
        #expect(audit.status == 200)
        let reasons = ((audit.json?["entries"] as? [[String: Any]]) ?? []).compactMap { $0["reasoning"] as? String }
        #expect(reasons.filter { $0.contains("mallory") }.count >= 2, "audit reasonings: \(reasons.suffix(10))")

        // RESET does not apply while waiting for approval: 409.
        let reset = try await httpRequest(
            port: env.servicePort, "POST", "/api/v1/rollbacks/\(id)/reset", token: env.apiToken)
        #expect(reset.status == 409, "\(reset.status) \(reset.text)")
        #expect(watcher.state(app) == .awaitingMergeApproval)

        // The approver's ABORT on the PR.
        env.sims.github.addComment(
            repo: scenario.gitopsRepo, issue: pr.number, user: env.approver, body: "ABORT we fix forward")
        let aborted = await watcher.wait(within: 20) { watcher.state(app) == .abort }
        #expect(aborted, "states: \(watcher.states(app))")
        #expect(watcher.last(app)?.machine.attempt?.abortReason == .abortedByHuman)
        let closed = await watcher.wait(within: 20) {
            env.sims.github.pulls(repo: scenario.gitopsRepo).first?.state == "closed"
                && env.sims.github.comments(repo: scenario.gitopsRepo, issue: pr.number)
                    .contains { $0.user != env.approver && $0.body.contains("`ABORT` accepted") }
        }
        #expect(
            closed, "comments: \(env.sims.github.comments(repo: scenario.gitopsRepo, issue: pr.number).map(\.body))")
        #expect(env.sims.github.pulls(repo: scenario.gitopsRepo).first?.merged == false)
        #expect(env.sims.github.merges.isEmpty)

        // A command where it does not apply is answered with why, and changes nothing.
        env.sims.github.addComment(repo: env.alertsRepo, issue: issue.number, user: env.approver, body: "APPROVE")
        let why = await watcher.wait(within: 20) {
            env.sims.github.comments(repo: env.alertsRepo, issue: issue.number).contains {
                $0.body.contains("`APPROVE` was not applied")
            }
        }
        #expect(why, "comments: \(env.sims.github.comments(repo: env.alertsRepo, issue: issue.number).map(\.body))")
        #expect(watcher.state(app) == .abort)

        // RESET by the approver on the escalation issue: back to Idle.
        env.sims.github.addComment(repo: env.alertsRepo, issue: issue.number, user: env.approver, body: "RESET")
        let reset2 = await watcher.wait(within: 20) {
            watcher.steps(app, event: "Reset").contains { $0.transition.to == .idle }
        }
        #expect(reset2, "states: \(watcher.states(app))")
        let replied = await watcher.wait(within: 20) {
            env.sims.github.comments(repo: env.alertsRepo, issue: issue.number).contains {
                $0.body.contains("`RESET` accepted")
            }
        }
        #expect(replied)
        #expect(env.sims.github.merges.isEmpty)
    }

    /// Approvals that do not count (a stranger's approving review, the approver's review of
    /// another commit) change nothing; the approver's `APPROVE` on the escalation issue merges.
    @Test func onlyAnApproverApprovalOfTheHeadMerges() async throws {
        let app = "accounts"
        let approvalWait = try await WaitingForApproval.start(app: app)
        let env = approvalWait.env
        defer { env.stop() }
        let (scenario, watcher, logs, pr, issue) = (
            approvalWait.scenario, approvalWait.watcher, approvalWait.logs, approvalWait.pr, approvalWait.issue
        )
        // The production degradation alerted humans on Slack before the PR.
        #expect(
            env.sims.slack.messages.contains {
                ($0.text ?? "").contains("needs an authorized approval")
                    || ($0.text ?? "").contains("will need approval")
            })

        env.sims.github.addReview(
            repo: scenario.gitopsRepo, number: pr.number, user: "mallory", state: "APPROVED", commitID: pr.headSHA)
        env.sims.github.addReview(
            repo: scenario.gitopsRepo, number: pr.number, user: env.approver, state: "APPROVED",
            commitID: scenario.badRevision)
        let reviews = "/repos/\(scenario.gitopsRepo)/pulls/\(pr.number)/reviews"
        let reads = env.githubRequests("GET", reviews).count
        let checks = watcher.healthChecks(app).count
        let unchanged = await watcher.holds(
            {
                watcher.state(app) == .awaitingMergeApproval && env.sims.github.merges.isEmpty
                    && (watcher.last(app)?.machine.attempt?.approvals.isEmpty ?? false)
            },
            until: {
                env.githubRequests("GET", reviews).count >= reads + 3 && watcher.healthChecks(app).count >= checks + 5
            },
            within: 30)
        #expect(unchanged, "state: \(String(describing: watcher.state(app))), merges: \(env.sims.github.merges.count)")

        env.sims.github.addComment(repo: env.alertsRepo, issue: issue.number, user: env.approver, body: "approve")
        let done = await watcher.wait(within: 60) { watcher.reached(app, .rollbackComplete) }
        #expect(done, watcher.brief(app, logs))
        #expect(env.sims.github.merges.count == 1)
        #expect(env.sims.github.merges.first?.headSHA == pr.headSHA)
        let replied = await watcher.wait(within: 20) {
            env.sims.github.comments(repo: env.alertsRepo, issue: issue.number).contains {
                $0.body.contains("`APPROVE` accepted")
            }
        }
        #expect(replied)
    }

    /// The approver approves the head while CI is still running: the approval holds for that
    /// head, so once CI passes the PR is merged without asking again.
    @Test func approvalGivenBeforeCIPassesIsHonoured() async throws {
        let env = try DemoEnvironment()
        defer { env.stop() }
        env.sims.github.setAutoCheckRun(branchPrefix: "rollback/", name: "ci", conclusion: "success", delay: 3)
        let app = "profile"
        let scenario = env.seed(app: app, environment: "production")
        let (watcher, logs) = try env.startWatched()

        let opened = await watcher.wait(within: 60) { watcher.reached(app, .prCreated) }
        try #require(opened, watcher.brief(app, logs))
        let pr = try #require(env.sims.github.pulls(repo: scenario.gitopsRepo).first)
        env.sims.github.addReview(
            repo: scenario.gitopsRepo, number: pr.number, user: env.approver, state: "APPROVED", commitID: pr.headSHA)
        let recorded = await watcher.wait(within: 20) {
            !(watcher.last(app)?.machine.attempt?.approvals.isEmpty ?? true)
        }
        #expect(recorded)
        #expect(watcher.state(app) == .prCreated, "CI must still be running when the approval lands")

        let done = await watcher.wait(within: 30) { watcher.reached(app, .rollbackComplete) }
        #expect(done, watcher.brief(app, logs))
        #expect(env.sims.github.merges.count == 1)
        #expect(env.sims.github.merges.first?.headSHA == pr.headSHA)
    }
}
