import Demo
import Foundation
import Simulator
import Testing

/// Crashes in a production attempt, around the approval page and the approved merge: the
/// restart pages once and merges once, on the recorded approval.
extension CrashRecoveryTests {
    /// Production: the PR waits for an approver; after the approval the merge request is held
    /// and never performed: the restart merges once, on the recorded approval.
    @Test func killRightAfterProductionMergeRequested() async throws {
        var approved = false
        try await crash(
            "production merge requested (not performed)", app: "accounts", environment: "production",
            arm: {
                $0.github.faults.inject(.stall(30), method: "PUT", path: "/repos/*/*/pulls/*/merge")
            },
            killWhen: { crash in
                if !approved, crash.state == "AwaitingMergeApproval",
                    let pr = crash.github.pulls(repo: crash.scenario.gitopsRepo).first
                {
                    crash.github.addReview(
                        repo: crash.scenario.gitopsRepo, number: pr.number, user: crash.env.approver, state: "APPROVED")
                    approved = true
                }
                return crash.requested("PUT", "/repos/*/*/pulls/*/merge")
            },
            atKill: { crash in
                #expect(crash.github.merges.isEmpty)
            })
    }

    /// Production: CI passed, the "approval required" page (issue + Slack) was committed but
    /// its issue request is held and never performed when the kill comes: the restart still
    /// pages (one issue), the approver approves, the attempt completes.
    @Test func killWhilePagingForProductionApproval() async throws {
        try await CrashScenario.run(app: "identity", environment: "production") { crash in
            let issues = "/repos/\(crash.env.alertsRepo)/issues"
            crash.github.faults.inject(.stall(30), method: "POST", path: issues)
            try await crash.start()
            let reached = await poll(within: 45) { crash.requested("POST", issues) }
            try #require(reached, "kill point never reached; \(crash.brief); output:\n\(crash.output())")
            await crash.kill9()
            #expect(crash.github.issues(repo: crash.env.alertsRepo).isEmpty)
            crash.github.faults.clear()
            try await crash.start()
            let paged = await poll(within: 20) { crash.github.issues(repo: crash.env.alertsRepo).count == 1 }
            #expect(paged, "no approval page after the restart; \(crash.brief); output:\n\(crash.output())")
            // The approval request now opens when the attempt starts, before the PR: wait for the PR.
            let opened = await poll(within: 20) { !crash.github.pulls(repo: crash.scenario.gitopsRepo).isEmpty }
            #expect(opened, "no PR after the restart; \(crash.brief)")
            if let pr = crash.github.pulls(repo: crash.scenario.gitopsRepo).first {
                crash.github.addReview(
                    repo: crash.scenario.gitopsRepo, number: pr.number, user: crash.env.approver, state: "APPROVED")
            }
            await crash.expectCompletedExactlyOnce("production approval page", approvalEscalation: true)
        }
    }
}
