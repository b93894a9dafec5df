import Demo
import Foundation
import Simulator
import Testing

/// Issue 5 acceptance: `kill -9` of the real `ai-operator serve` right after each step of a
/// staging rollback, restarted on the same port and data dir; every restart ends with exactly
/// one PR, one rollback commit, at most one merge, no escalation, the attempt complete, and an
/// audit log whose hash chain still verifies.
///
/// The kill point is reached without hooks in the product: the NEXT GitHub request of the
/// sequence is held by a simulator fault (`stall`: held and never performed; `delay`: performed
/// but the answer held), the test waits (bounded) until the previous step is visible in the
/// simulator and the held request has arrived, then SIGKILLs the process.
@Suite(.serialized) struct CrashRecoveryTests {
    /// Runs one crash: arm the fault, start, wait for `killWhen`, SIGKILL, check the state at
    /// the kill, restart, and expect the attempt to complete exactly once.
    func crash(
        _ point: String, app: String, environment: String = "staging", overrides: [String: String] = [:],
        arm: (CrashScenario) -> Void = { _ in },
        killWhen: @escaping (CrashScenario) -> Bool, atKill: (CrashScenario) -> Void = { _ in },
        after: (CrashScenario) -> Void = { _ in }
    ) async throws {
        try await CrashScenario.run(app: app, environment: environment, overrides: overrides) { c in
            arm(c)
            try await c.start()
            let reached = await poll(within: 45) { killWhen(c) }
            try #require(reached, "\(point): kill point never reached; \(c.brief); output:\n\(c.output())")
            let before = (c.appView?["attempt"] as? [String: Any])?["correlationId"] as? String
            await c.kill9()
            try #require(before != nil, "\(point): no open attempt at the kill")
            atKill(c)
            c.github.faults.clear()
            try await c.start()
            // The line is written before /readyz answers 200; the pipe may deliver it a bit later.
            let resumed = await poll(within: 20) { c.binary?.text.contains("recovery done") == true }
            #expect(
                resumed && c.binary?.text.contains("resumed=1") == true,
                "\(point): the restart did not resume the attempt:\n\(c.output())")
            await c.expectCompletedExactlyOnce(point, approvalEscalation: environment == "production")
            let last = (c.appView?["lastAttempt"] as? [String: Any])?["correlationId"] as? String
            #expect(last == before, "\(point): the attempt that completed is not the one that was interrupted")
            after(c)
            // The audit log written across the crash still verifies (the real subcommand).
            try await c.expectAuditVerifies(point)
        }
    }

    @Test func killRightAfterBranchCreated() async throws {
        try await crash(
            "branch created", app: "cart",
            arm: {
                $0.github.faults.inject(.stall(30), method: "PUT", path: "/repos/*/*/contents/**")
            },
            killWhen: { c in
                c.rollbackBranches.count == 1 && c.requested("PUT", "/repos/*/*/contents/**")
            },
            atKill: { c in
                #expect(c.rollbackBranches.count == 1)
                #expect(
                    c.rollbackBranches.first.map { c.commitsBeyondBase($0).count } == 0,
                    "the manifest was committed before the kill")
                #expect(c.github.pulls(repo: c.s.gitopsRepo).isEmpty)
            })
    }

    @Test func killRightAfterManifestCommitted() async throws {
        try await crash(
            "manifest committed", app: "billing",
            arm: {
                $0.github.faults.inject(.stall(30), method: "POST", path: "/repos/*/*/pulls")
            },
            killWhen: { c in
                c.requested("POST", "/repos/*/*/pulls")
            },
            atKill: { c in
                #expect(c.rollbackBranches.first.map { c.commitsBeyondBase($0).count } == 1)
                #expect(c.github.pulls(repo: c.s.gitopsRepo).isEmpty)
            })
    }

    /// The PR was created but its answer never came back: the restart must find it, not open a second.
    @Test func killRightAfterPullRequestCreatedAnswerLost() async throws {
        try await crash(
            "PR created, answer lost", app: "search",
            arm: {
                $0.github.faults.inject(.delay(30), method: "POST", path: "/repos/*/*/pulls")
            },
            killWhen: { c in
                c.requested("POST", "/repos/*/*/pulls") && c.github.pulls(repo: c.s.gitopsRepo).count == 1
            },
            atKill: { c in
                #expect(c.github.pulls(repo: c.s.gitopsRepo).first?.labels.isEmpty == true)
            })
    }

    /// The PR is open; the labels request was held and never performed.
    @Test func killRightAfterPullRequestOpened() async throws {
        try await crash(
            "PR opened", app: "profile",
            arm: {
                $0.github.faults.inject(.stall(30), method: "POST", path: "/repos/*/*/issues/*/labels")
            },
            killWhen: { c in
                c.requested("POST", "/repos/*/*/issues/*/labels")
            },
            atKill: { c in
                #expect(c.github.pulls(repo: c.s.gitopsRepo).count == 1)
            },
            after: { c in
                #expect(
                    Set(c.github.pulls(repo: c.s.gitopsRepo).first?.labels ?? []) == [
                        "ai-operator", "rollback", "staging",
                    ])
            })
    }

    /// The CI result arrives as a webhook (CI takes 1 s here, so the PR exists and waits for
    /// it); the service answers 202 (stored). Every read of the rollback head's check runs is
    /// held, so the delivery cannot be processed (webhooks are hints: processing re-reads CI):
    /// the kill comes while it is stored and not processed, and the restart processes it.
    @Test func killRightAfterCIWebhookAccepted() async throws {
        var unprocessedAtKill: [String] = []
        try await crash(
            "CI webhook accepted", app: "orders",
            arm: { c in
                c.github.setAutoCheckRun(branchPrefix: "rollback/", name: "ci", conclusion: "success", delay: 1)
                c.github.faults.inject(
                    .stall(30), method: "GET", path: "/repos/\(c.s.gitopsRepo)/commits/*/check-runs", count: nil)
            },
            killWhen: { c in
                guard c.github.pulls(repo: c.s.gitopsRepo).count == 1, !c.acceptedCIDeliveries.isEmpty else {
                    return false
                }
                let stored = c.apiGet("/api/v1/deliveries?limit=1000")?["deliveries"] as? [[String: Any]] ?? []
                unprocessedAtKill = c.acceptedCIDeliveries.filter { id in
                    stored.contains { $0["id"] as? String == id && $0["processedAt"] == nil }
                }
                return !unprocessedAtKill.isEmpty
            },
            after: { c in
                // Stored before the crash, not processed then: processed after the restart.
                let stored = c.apiGet("/api/v1/deliveries?limit=1000")?["deliveries"] as? [[String: Any]] ?? []
                for id in unprocessedAtKill {
                    let d = stored.first { $0["id"] as? String == id }
                    #expect(
                        d?["processedAt"] != nil,
                        "delivery \(id) accepted before the kill was never processed: \(String(describing: d))")
                }
            })
    }

    /// The merge request was held and never performed: the restart merges once.
    @Test func killRightAfterMergeRequestedNotPerformed() async throws {
        try await crash(
            "merge requested (not performed)", app: "payments",
            arm: {
                $0.github.faults.inject(.stall(30), method: "PUT", path: "/repos/*/*/pulls/*/merge")
            },
            killWhen: { c in
                c.requested("PUT", "/repos/*/*/pulls/*/merge")
            },
            atKill: { c in
                #expect(c.github.merges.isEmpty)
            })
    }

    /// GitHub merged, but the answer never came back: the restart must see it merged, not merge again.
    @Test func killRightAfterMergePerformedAnswerLost() async throws {
        try await crash(
            "merge performed, answer lost", app: "inventory",
            arm: {
                $0.github.faults.inject(.delay(30), method: "PUT", path: "/repos/*/*/pulls/*/merge")
            },
            killWhen: { c in
                c.requested("PUT", "/repos/*/*/pulls/*/merge") && c.github.merges.count == 1
            })
    }

    /// Killed after the manifest commit; while the service is down someone pushes an unrelated
    /// commit to the environment branch, so the rollback branch has diverged from it. The
    /// restart reuses the branch (its commit carries the attempt's correlation id), opens one
    /// PR and merges once.
    @Test func killRightAfterManifestCommittedWhileTheBaseMoves() async throws {
        try await crash(
            "manifest committed, base moved", app: "reviews",
            arm: {
                $0.github.faults.inject(.stall(30), method: "POST", path: "/repos/*/*/pulls")
            },
            killWhen: { c in
                c.requested("POST", "/repos/*/*/pulls")
            },
            atKill: { c in
                c.github.addCommit(
                    repo: c.s.gitopsRepo, branch: c.s.envBranch, files: ["README.md": "# gitops (edited)\n"],
                    message: "docs: unrelated change", author: "platform-team")
            })
    }

    /// Two crashes in a row: after the branch was created, then (during the recovery) after the
    /// manifest was committed. The second restart still completes exactly once.
    @Test func killTwiceDuringRecovery() async throws {
        try await CrashScenario.run(app: "wishlist") { c in
            c.github.faults.inject(.stall(30), method: "PUT", path: "/repos/*/*/contents/**")
            try await c.start()
            let first = await poll(within: 45) { c.requested("PUT", "/repos/*/*/contents/**") }
            try #require(first, "first kill point never reached; \(c.brief); output:\n\(c.output())")
            let before = (c.appView?["attempt"] as? [String: Any])?["correlationId"] as? String
            await c.kill9()
            c.github.faults.clear()
            c.github.clearRequestLog()
            c.github.faults.inject(.stall(30), method: "POST", path: "/repos/*/*/pulls")
            try await c.start()
            let second = await poll(within: 45) { c.requested("POST", "/repos/*/*/pulls") }
            try #require(second, "second kill point never reached; \(c.brief); output:\n\(c.output())")
            await c.kill9()
            c.github.faults.clear()
            try await c.start()
            await c.expectCompletedExactlyOnce("two crashes")
            #expect((c.appView?["lastAttempt"] as? [String: Any])?["correlationId"] as? String == before)
            try await c.expectAuditVerifies("two crashes")
        }
    }

    /// Killed after the branch was created; the service stays down longer than
    /// `PR_CREATION_TIMEOUT_SEC` (3 s here), so the restart aborts the attempt
    /// (`PR_CREATION_FAILED`, one escalation). No PR may be left open for the aborted attempt.
    @Test func prCreationTimeoutElapsedWhileDown() async throws {
        try await CrashScenario.run(app: "coupons", overrides: ["PR_CREATION_TIMEOUT_SEC": "3"]) { c in
            c.github.faults.inject(.stall(30), method: "PUT", path: "/repos/*/*/contents/**")
            try await c.start()
            let reached = await poll(within: 45) { c.requested("PUT", "/repos/*/*/contents/**") }
            try #require(reached, "kill point never reached; \(c.brief); output:\n\(c.output())")
            let killedAt = Date()
            await c.kill9()
            c.github.faults.clear()
            // Down past the timeout (a bounded wait on the clock, not on the product).
            _ = await poll(within: 4) { Date().timeIntervalSince(killedAt) > 3.5 }
            try await c.start()
            var attempt: [String: Any]?
            let aborted = await poll(within: 20) {
                attempt = c.appView?["attempt"] as? [String: Any]
                return attempt?["abortReason"] as? String == "PR_CREATION_FAILED"
                    && attempt?["escalationIssueUrl"] != nil
            }
            #expect(aborted, "\(c.brief)")
            // Whatever the recovery did on GitHub settles within a few polls: no open PR remains.
            let settled = await poll(within: 10) {
                c.github.pulls(repo: c.s.gitopsRepo).allSatisfy { $0.state == "closed" }
            }
            #expect(
                settled,
                "an open PR was left for an aborted attempt: \(c.github.pulls(repo: c.s.gitopsRepo).map { "#\($0.number) \($0.state)" })"
            )
            #expect(c.github.pulls(repo: c.s.gitopsRepo).count <= 1)
            #expect(c.github.merges.isEmpty)
            #expect(c.github.issues(repo: c.env.alertsRepo).count == 1)
            #expect(c.rollbackBranches.count == 1)
        }
    }

    /// The same without a crash: the PR-creation bound (3 s) fires while the create-PR answer
    /// is still on its way (held 5 s; GitHub did open the PR). The late PR is closed.
    @Test func prConfirmedAfterTheAttemptAbortedIsClosed() async throws {
        try await CrashScenario.run(app: "gifts", overrides: ["PR_CREATION_TIMEOUT_SEC": "3"]) { c in
            c.github.faults.inject(.delay(5), method: "POST", path: "/repos/*/*/pulls")
            try await c.start()
            let aborted = await poll(within: 30) {
                (c.appView?["attempt"] as? [String: Any])?["abortReason"] as? String == "PR_CREATION_FAILED"
            }
            #expect(aborted, "\(c.brief)")
            let closed = await poll(within: 15) {
                let pulls = c.github.pulls(repo: c.s.gitopsRepo)
                return pulls.count == 1 && pulls.allSatisfy { $0.state == "closed" }
            }
            #expect(closed, "\(c.github.pulls(repo: c.s.gitopsRepo).map { "#\($0.number) \($0.state)" }); \(c.brief)")
            #expect(c.github.merges.isEmpty)
            #expect(c.github.issues(repo: c.env.alertsRepo).count == 1)
        }
    }

    /// Merged and confirmed; the app has not recovered yet (Argo CD's controller is paused):
    /// the restart waits for the recovery and completes, without merging again.
    @Test func killWhileWaitingForRecoveryAfterMerge() async throws {
        try await crash(
            "merged, waiting for recovery", app: "shipping",
            arm: { c in
                c.env.controller.stop()
            },
            killWhen: { c in
                c.state == "RollbackMerged" && c.github.merges.count == 1
            },
            atKill: { c in
                c.env.controller.start()
            })
    }

    /// Recovered; the `RollbackComplete` hold (5 s here) is pending: the restart finishes it.
    @Test func killDuringTheCompleteHold() async throws {
        try await crash(
            "complete hold pending", app: "pricing", overrides: ["COMPLETE_HOLD_SEC": "5"],
            killWhen: { c in
                c.state == "RollbackComplete"
            })
    }

    /// Production: the PR waits for an approver; after the approval the merge request is held
    /// and never performed: the restart merges once, on the recorded approval.
    @Test func killRightAfterProductionMergeRequested() async throws {
        var approved = false
        try await crash(
            "production merge requested (not performed)", app: "accounts", environment: "production",
            arm: {
                $0.github.faults.inject(.stall(30), method: "PUT", path: "/repos/*/*/pulls/*/merge")
            },
            killWhen: { c in
                if !approved, c.state == "AwaitingMergeApproval", let pr = c.github.pulls(repo: c.s.gitopsRepo).first {
                    c.github.addReview(repo: c.s.gitopsRepo, number: pr.number, user: c.env.approver, state: "APPROVED")
                    approved = true
                }
                return c.requested("PUT", "/repos/*/*/pulls/*/merge")
            },
            atKill: { c in
                #expect(c.github.merges.isEmpty)
            })
    }

    /// CI fails: `Abort` with a `CI_FAILURE` escalation. The kill comes after the `Abort` was
    /// committed, while the escalation issue request is held (never performed, or performed with
    /// the answer lost): the restart ends with exactly one escalation issue, no merge.
    @Test(arguments: [false, true])
    func killWhileEscalatingAfterCIFailure(issueCreated: Bool) async throws {
        let point =
            issueCreated ? "escalation issue created, answer lost" : "escalation issue requested (not performed)"
        try await CrashScenario.run(app: issueCreated ? "ledger" : "catalog") { c in
            c.github.setAutoCheckRun(branchPrefix: "rollback/", name: "ci", conclusion: "failure", delay: 0.3)
            let issues = "/repos/\(c.env.alertsRepo)/issues"
            c.github.faults.inject(issueCreated ? .delay(30) : .stall(30), method: "POST", path: issues)
            try await c.start()
            let reached = await poll(within: 45) {
                c.requested("POST", issues) && c.github.issues(repo: c.env.alertsRepo).count == (issueCreated ? 1 : 0)
            }
            try #require(reached, "\(point): kill point never reached; \(c.brief); output:\n\(c.output())")
            await c.kill9()
            c.github.faults.clear()
            try await c.start()
            // The restart finishes the escalation: the attempt (still in Abort) links its one issue.
            var attempt: [String: Any]?
            let linked = await poll(within: 20) {
                attempt = c.appView?["attempt"] as? [String: Any]
                return c.appView?["state"] as? String == "Abort" && attempt?["escalationIssueUrl"] as? String != nil
            }
            #expect(
                linked,
                "\(point): the escalation was not finished after the restart; \(c.brief); output:\n\(c.output())")
            let opened = c.github.issues(repo: c.env.alertsRepo)
            #expect(opened.count == 1, "\(point): escalation issues \(opened.map(\.title))")
            #expect(
                opened.first.map {
                    attempt?["escalationIssueUrl"] as? String
                        == "https://github.com/\(c.env.alertsRepo)/issues/\($0.number)"
                } ?? false,
                "\(point): \(String(describing: attempt?["escalationIssueUrl"]))")
            #expect(c.github.pulls(repo: c.s.gitopsRepo).count == 1)
            #expect(c.github.merges.isEmpty)
        }
    }

    /// Production: CI passed, the "approval required" page (issue + Slack) was committed but
    /// its issue request is held and never performed when the kill comes: the restart still
    /// pages (one issue), the approver approves, the attempt completes.
    @Test func killWhilePagingForProductionApproval() async throws {
        try await CrashScenario.run(app: "identity", environment: "production") { c in
            let issues = "/repos/\(c.env.alertsRepo)/issues"
            c.github.faults.inject(.stall(30), method: "POST", path: issues)
            try await c.start()
            let reached = await poll(within: 45) { c.requested("POST", issues) }
            try #require(reached, "kill point never reached; \(c.brief); output:\n\(c.output())")
            await c.kill9()
            #expect(c.github.issues(repo: c.env.alertsRepo).isEmpty)
            c.github.faults.clear()
            try await c.start()
            let paged = await poll(within: 20) { c.github.issues(repo: c.env.alertsRepo).count == 1 }
            #expect(paged, "no approval page after the restart; \(c.brief); output:\n\(c.output())")
            if let pr = c.github.pulls(repo: c.s.gitopsRepo).first {
                c.github.addReview(repo: c.s.gitopsRepo, number: pr.number, user: c.env.approver, state: "APPROVED")
            }
            await c.expectCompletedExactlyOnce("production approval page", approvalEscalation: true)
        }
    }
}
