import Demo
import Foundation
import Simulator
import Testing

/// Crashes around an attempt that aborts (the PR-creation bound, a CI failure): the restart
/// ends with exactly one escalation, no merge, and no PR left open.
extension CrashRecoveryTests {
    /// Killed after the branch was created; the service stays down longer than
    /// `PR_CREATION_TIMEOUT_SEC` (3 s here), so the restart aborts the attempt
    /// (`PR_CREATION_FAILED`, one escalation). No PR may be left open for the aborted attempt.
    @Test func prCreationTimeoutElapsedWhileDown() async throws {
        try await CrashScenario.run(app: "coupons", overrides: ["PR_CREATION_TIMEOUT_SEC": "3"]) { crash in
            crash.github.faults.inject(.stall(30), method: "PUT", path: "/repos/*/*/contents/**")
            try await crash.start()
            let reached = await poll(within: 45) { crash.requested("PUT", "/repos/*/*/contents/**") }
            try #require(reached, "kill point never reached; \(crash.brief); output:\n\(crash.output())")
            let killedAt = Date()
            await crash.kill9()
            crash.github.faults.clear()
            // Down past the timeout (a bounded wait on the clock, not on the product).
            _ = await poll(within: 4) { Date().timeIntervalSince(killedAt) > 3.5 }
            try await crash.start()
            var attempt: [String: Any]?
            let aborted = await poll(within: 20) {
                attempt = crash.appView?["attempt"] as? [String: Any]
                return attempt?["abortReason"] as? String == "PR_CREATION_FAILED"
                    && attempt?["escalationIssueUrl"] != nil
            }
            #expect(aborted, "\(crash.brief)")
            // Whatever the recovery did on GitHub settles within a few polls: no open PR remains.
            let settled = await poll(within: 10) {
                crash.github.pulls(repo: crash.scenario.gitopsRepo).allSatisfy { $0.state == "closed" }
            }
            #expect(
                settled,
                "an open PR was left for an aborted attempt: \(crash.github.pulls(repo: crash.scenario.gitopsRepo).map { "#\($0.number) \($0.state)" })"
            )
            #expect(crash.github.pulls(repo: crash.scenario.gitopsRepo).count <= 1)
            #expect(crash.github.merges.isEmpty)
            #expect(crash.github.issues(repo: crash.env.alertsRepo).count == 1)
            #expect(crash.rollbackBranches.count == 1)
        }
    }

    /// The same without a crash: the PR-creation bound (3 s) fires while the create-PR answer
    /// is still on its way (held 5 s; GitHub did open the PR). The late PR is closed.
    @Test func prConfirmedAfterTheAttemptAbortedIsClosed() async throws {
        try await CrashScenario.run(app: "gifts", overrides: ["PR_CREATION_TIMEOUT_SEC": "3"]) { crash in
            crash.github.faults.inject(.delay(5), method: "POST", path: "/repos/*/*/pulls")
            try await crash.start()
            let aborted = await poll(within: 30) {
                (crash.appView?["attempt"] as? [String: Any])?["abortReason"] as? String == "PR_CREATION_FAILED"
            }
            #expect(aborted, "\(crash.brief)")
            let closed = await poll(within: 15) {
                let pulls = crash.github.pulls(repo: crash.scenario.gitopsRepo)
                return pulls.count == 1 && pulls.allSatisfy { $0.state == "closed" }
            }
            #expect(
                closed,
                "\(crash.github.pulls(repo: crash.scenario.gitopsRepo).map { "#\($0.number) \($0.state)" }); \(crash.brief)"
            )
            #expect(crash.github.merges.isEmpty)
            #expect(crash.github.issues(repo: crash.env.alertsRepo).count == 1)
        }
    }

    /// CI fails: `Abort` with a `CI_FAILURE` escalation. The kill comes after the `Abort` was
    /// committed, while the escalation issue request is held (never performed, or performed with
    /// the answer lost): the restart ends with exactly one escalation issue, no merge.
    @Test(arguments: [false, true])
    func killWhileEscalatingAfterCIFailure(issueCreated: Bool) async throws {
        let point =
            issueCreated ? "escalation issue created, answer lost" : "escalation issue requested (not performed)"
        try await CrashScenario.run(app: issueCreated ? "ledger" : "catalog") { crash in
            crash.github.setAutoCheckRun(branchPrefix: "rollback/", name: "ci", conclusion: "failure", delay: 0.3)
            let issues = "/repos/\(crash.env.alertsRepo)/issues"
            crash.github.faults.inject(issueCreated ? .delay(30) : .stall(30), method: "POST", path: issues)
            try await crash.start()
            let reached = await poll(within: 45) {
                crash.requested("POST", issues)
                    && crash.github.issues(repo: crash.env.alertsRepo).count == (issueCreated ? 1 : 0)
            }
            try #require(reached, "\(point): kill point never reached; \(crash.brief); output:\n\(crash.output())")
            await crash.kill9()
            crash.github.faults.clear()
            try await crash.start()
            // The restart finishes the escalation: the attempt (still in Abort) links its one issue.
            var attempt: [String: Any]?
            let linked = await poll(within: 20) {
                attempt = crash.appView?["attempt"] as? [String: Any]
                return crash.appView?["state"] as? String == "Abort" && attempt?["escalationIssueUrl"] as? String != nil
            }
            #expect(
                linked,
                "\(point): the escalation was not finished after the restart; \(crash.brief); output:\n\(crash.output())"
            )
            let opened = crash.github.issues(repo: crash.env.alertsRepo)
            #expect(opened.count == 1, "\(point): escalation issues \(opened.map(\.title))")
            #expect(
                opened.first.map {
                    attempt?["escalationIssueUrl"] as? String
                        == "https://github.com/\(crash.env.alertsRepo)/issues/\($0.number)"
                } ?? false,
                "\(point): \(String(describing: attempt?["escalationIssueUrl"]))")
            #expect(crash.github.pulls(repo: crash.scenario.gitopsRepo).count == 1)
            #expect(crash.github.merges.isEmpty)
        }
    }
}
