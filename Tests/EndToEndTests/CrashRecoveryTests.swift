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
        try await CrashScenario.run(app: app, environment: environment, overrides: overrides) { crash in
            arm(crash)
            try await crash.start()
            let reached = await poll(within: 45) { killWhen(crash) }
            try #require(reached, "\(point): kill point never reached; \(crash.brief); output:\n\(crash.output())")
            let before = (crash.appView?["attempt"] as? [String: Any])?["correlationId"] as? String
            await crash.kill9()
            try #require(before != nil, "\(point): no open attempt at the kill")
            atKill(crash)
            crash.github.faults.clear()
            try await crash.start()
            // The line is written before /readyz answers 200; the pipe may deliver it a bit later.
            let resumed = await poll(within: 20) { crash.binary?.text.contains("recovery done") == true }
            #expect(
                resumed && crash.binary?.text.contains("resumed=1") == true,
                "\(point): the restart did not resume the attempt:\n\(crash.output())")
            await crash.expectCompletedExactlyOnce(point, approvalEscalation: environment == "production")
            let last = (crash.appView?["lastAttempt"] as? [String: Any])?["correlationId"] as? String
            #expect(last == before, "\(point): the attempt that completed is not the one that was interrupted")
            after(crash)
            // The audit log written across the crash still verifies (the real subcommand).
            try await crash.expectAuditVerifies(point)
        }
    }

    @Test func killRightAfterBranchCreated() async throws {
        try await crash(
            "branch created", app: "cart",
            arm: {
                $0.github.faults.inject(.stall(30), method: "PUT", path: "/repos/*/*/contents/**")
            },
            killWhen: { crash in
                crash.rollbackBranches.count == 1 && crash.requested("PUT", "/repos/*/*/contents/**")
            },
            atKill: { crash in
                #expect(crash.rollbackBranches.count == 1)
                #expect(
                    crash.rollbackBranches.first.map { crash.commitsBeyondBase($0).count } == 0,
                    "the manifest was committed before the kill")
                #expect(crash.github.pulls(repo: crash.scenario.gitopsRepo).isEmpty)
            })
    }

    @Test func killRightAfterManifestCommitted() async throws {
        try await crash(
            "manifest committed", app: "billing",
            arm: {
                $0.github.faults.inject(.stall(30), method: "POST", path: "/repos/*/*/pulls")
            },
            killWhen: { crash in
                crash.requested("POST", "/repos/*/*/pulls")
            },
            atKill: { crash in
                #expect(crash.rollbackBranches.first.map { crash.commitsBeyondBase($0).count } == 1)
                #expect(crash.github.pulls(repo: crash.scenario.gitopsRepo).isEmpty)
            })
    }

    /// The PR was created but its answer never came back: the restart must find it, not open a second.
    @Test func killRightAfterPullRequestCreatedAnswerLost() async throws {
        try await crash(
            "PR created, answer lost", app: "search",
            arm: {
                $0.github.faults.inject(.delay(30), method: "POST", path: "/repos/*/*/pulls")
            },
            killWhen: { crash in
                crash.requested("POST", "/repos/*/*/pulls")
                    && crash.github.pulls(repo: crash.scenario.gitopsRepo).count == 1
            },
            atKill: { crash in
                #expect(crash.github.pulls(repo: crash.scenario.gitopsRepo).first?.labels.isEmpty == true)
            })
    }

    /// The PR is open; the labels request was held and never performed.
    @Test func killRightAfterPullRequestOpened() async throws {
        try await crash(
            "PR opened", app: "profile",
            arm: {
                $0.github.faults.inject(.stall(30), method: "POST", path: "/repos/*/*/issues/*/labels")
            },
            killWhen: { crash in
                crash.requested("POST", "/repos/*/*/issues/*/labels")
            },
            atKill: { crash in
                #expect(crash.github.pulls(repo: crash.scenario.gitopsRepo).count == 1)
            },
            after: { crash in
                #expect(
                    Set(crash.github.pulls(repo: crash.scenario.gitopsRepo).first?.labels ?? []) == [
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
            arm: { crash in
                crash.github.setAutoCheckRun(branchPrefix: "rollback/", name: "ci", conclusion: "success", delay: 1)
                crash.github.faults.inject(
                    .stall(30), method: "GET", path: "/repos/\(crash.scenario.gitopsRepo)/commits/*/check-runs",
                    count: nil)
            },
            killWhen: { crash in
                guard crash.github.pulls(repo: crash.scenario.gitopsRepo).count == 1,
                    !crash.acceptedCIDeliveries.isEmpty
                else {
                    return false
                }
                let stored = crash.apiGet("/api/v1/deliveries?limit=1000")?["deliveries"] as? [[String: Any]] ?? []
                unprocessedAtKill = crash.acceptedCIDeliveries.filter { id in
                    stored.contains { $0["id"] as? String == id && $0["processedAt"] == nil }
                }
                return !unprocessedAtKill.isEmpty
            },
            after: { crash in
                // Stored before the crash, not processed then: processed after the restart.
                let stored = crash.apiGet("/api/v1/deliveries?limit=1000")?["deliveries"] as? [[String: Any]] ?? []
                for id in unprocessedAtKill {
                    let delivery = stored.first { $0["id"] as? String == id }
                    #expect(
                        delivery?["processedAt"] != nil,
                        "delivery \(id) accepted before the kill was never processed: \(String(describing: delivery))")
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
            killWhen: { crash in
                crash.requested("PUT", "/repos/*/*/pulls/*/merge")
            },
            atKill: { crash in
                #expect(crash.github.merges.isEmpty)
            })
    }

    /// GitHub merged, but the answer never came back: the restart must see it merged, not merge again.
    @Test func killRightAfterMergePerformedAnswerLost() async throws {
        try await crash(
            "merge performed, answer lost", app: "inventory",
            arm: {
                $0.github.faults.inject(.delay(30), method: "PUT", path: "/repos/*/*/pulls/*/merge")
            },
            killWhen: { crash in
                crash.requested("PUT", "/repos/*/*/pulls/*/merge") && crash.github.merges.count == 1
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
            killWhen: { crash in
                crash.requested("POST", "/repos/*/*/pulls")
            },
            atKill: { crash in
                crash.github.addCommit(
                    repo: crash.scenario.gitopsRepo, branch: crash.scenario.envBranch,
                    files: ["README.md": "# gitops (edited)\n"],
                    message: "docs: unrelated change", author: "platform-team")
            })
    }

    /// Two crashes in a row: after the branch was created, then (during the recovery) after the
    /// manifest was committed. The second restart still completes exactly once.
    @Test func killTwiceDuringRecovery() async throws {
        try await CrashScenario.run(app: "wishlist") { crash in
            crash.github.faults.inject(.stall(30), method: "PUT", path: "/repos/*/*/contents/**")
            try await crash.start()
            let first = await poll(within: 45) { crash.requested("PUT", "/repos/*/*/contents/**") }
            try #require(first, "first kill point never reached; \(crash.brief); output:\n\(crash.output())")
            let before = (crash.appView?["attempt"] as? [String: Any])?["correlationId"] as? String
            await crash.kill9()
            crash.github.faults.clear()
            crash.github.clearRequestLog()
            crash.github.faults.inject(.stall(30), method: "POST", path: "/repos/*/*/pulls")
            try await crash.start()
            let second = await poll(within: 45) { crash.requested("POST", "/repos/*/*/pulls") }
            try #require(second, "second kill point never reached; \(crash.brief); output:\n\(crash.output())")
            await crash.kill9()
            crash.github.faults.clear()
            try await crash.start()
            await crash.expectCompletedExactlyOnce("two crashes")
            #expect((crash.appView?["lastAttempt"] as? [String: Any])?["correlationId"] as? String == before)
            try await crash.expectAuditVerifies("two crashes")
        }
    }

    /// Merged and confirmed; the app has not recovered yet (Argo CD's controller is paused):
    /// the restart waits for the recovery and completes, without merging again.
    @Test func killWhileWaitingForRecoveryAfterMerge() async throws {
        try await crash(
            "merged, waiting for recovery", app: "shipping",
            arm: { crash in
                crash.env.controller.stop()
            },
            killWhen: { crash in
                crash.state == "RollbackMerged" && crash.github.merges.count == 1
            },
            atKill: { crash in
                crash.env.controller.start()
            })
    }

    /// Recovered; the `RollbackComplete` hold (5 s here) is pending: the restart finishes it.
    @Test func killDuringTheCompleteHold() async throws {
        try await crash(
            "complete hold pending", app: "pricing", overrides: ["COMPLETE_HOLD_SEC": "5"],
            killWhen: { crash in
                crash.state == "RollbackComplete"
            })
    }
}
