import Foundation
import Testing

@testable import RollbackCore

@Suite struct RendererTests {
    @Test func prTitleBranchAndLabels() {
        #expect(
            PullRequestRenderer.title(app: "payment-service", targetSHA: "abc123def456", environment: .staging)
                == "Rollback: payment-service to abc123d (degraded in staging)")
        #expect(
            PullRequestRenderer.branch(app: "payment-service", targetSHA: "abc123def456")
                == "rollback/payment-service-abc123d")
        #expect(PullRequestRenderer.labels(environment: .production) == ["ai-operator", "rollback", "production"])
    }

    @Test func prBodyHasEveryPart() {
        let checks = (0..<3).map {
            HealthCheckRecord(at: t0.addingTimeInterval(Double($0) * 10), observation: degraded())
        }
        let staging = PullRequestRenderer.body(
            app: appInfo(.staging), correlationId: "cid-1", now: t0, currentRevision: currentSHA, checks: checks,
            target: winner)
        for part in [
            "cid-1", "**Environment:** staging", "2026-02-27T10:30:00Z", currentSHA, "Degraded", "1/3 available",
            "2026-02-27T10:30:20Z", "payment-7c9f", "CrashLoopBackOff", targetSHA, "Fix payment processing bug",
            "jane.doe@example.com", "99.8 %", "-    targetRevision: \(currentSHA)", "+    targetRevision: \(targetSHA)",
            "CI Status", "AUTO-MERGE ENABLED", "I8_branch_protection", "/api/v1/rollbacks/cid-1/audit",
        ] {
            #expect(staging.contains(part), "missing \(part)")
        }
        let prod = PullRequestRenderer.body(
            app: appInfo(.production), correlationId: "c", now: t0, currentRevision: currentSHA, checks: checks,
            target: winner)
        #expect(prod.contains("MANUAL APPROVAL REQUIRED") && !prod.contains("AUTO-MERGE ENABLED"))
    }

    @Test func escalationTitleBodyAndSlack() {
        var harness = Harness()
        harness.toPRCreated()
        let escalation = harness.send(.ciReported(failedCI(prHead))).escalations[0]
        #expect(escalation.issueTitle == "[URGENT] AI Operator Escalation: payment-service - CI Failure on Rollback PR")
        #expect(escalation.labels == ["ai-operator", "escalation", "urgent", "staging"])
        for part in [
            "Reason code: CI_FAILURE", harness.machine.attempt!.correlationId, "payment-service",
            "**Environment:** staging",
            "**FSM state:** PRCreated", currentSHA, targetSHA, "#42", "Recommended action", "/audit", "`APPROVE`",
            "`RESET`",
        ] {
            #expect(escalation.issueBody.contains(part), "missing \(part)")
        }
        #expect(
            escalation.slack.text.contains("payment-service") && escalation.slack.text.contains("CI_FAILURE")
                && escalation.slack.text.contains("APPROVE, ABORT, MANUAL, RESET"))
        let json = try! JSONSerialization.jsonObject(with: Data(escalation.slack.json.utf8)) as! [String: String]
        #expect(json["text"] == escalation.slack.text)
    }

    @Test func secondEscalationOfAnAttemptIsAComment() {
        var harness = Harness()
        harness.toAwaitingHumanReview()
        #expect(harness.fire(.humanReviewPage).escalations.first?.asCommentOnExistingIssue == true)
    }

    @Test func everyTransitionHasAReasoningSentence() {
        var harness = Harness()
        harness.toRollbackMerged()
        let audits = harness.log.flatMap(\.actions).compactMap { if case .audit(let audit) = $0 { audit } else { nil } }
        #expect(audits.count >= 6)
        #expect(audits.allSatisfy { $0.reasoning.hasSuffix(".") && $0.reasoning.count > 20 })
        #expect(
            audits.contains {
                $0.reasoning
                    == "payment-service moved from PRCreated to AwaitingMergeApproval on CISucceeded because CI of PR #42 passed at 1111111."
            })
    }

    @Test func commandRepliesSayWhatWasDone() {
        var harness = Harness()
        harness.toAwaitingHumanReview()
        let reply = harness.send(approve()).replies[0]
        #expect(reply.applied && reply.text.hasPrefix("@alice `APPROVE` accepted for payment-service"))
        var idleHarness = Harness()
        let notApplied = idleHarness.send(approve()).replies[0]
        #expect(!notApplied.applied && notApplied.text.contains("not applied") && notApplied.text.contains("Idle"))
        #expect(
            CommandKind.parse(commentBody: "approve\nplease") == .approve
                && CommandKind.parse(commentBody: "please approve") == nil)
    }

    @Test func secretsNeverAppearInRenderedText() {
        let secret = "ghp_abcdefghijklmnopqrstuvwxyz0123456789"
        var harness = Harness()
        var observation = degraded()
        observation.message = "pull failed: Authorization: Bearer \(secret) at https://user:pw@registry.example.com"
        for _ in 0..<3 { harness.send(.healthChecked(observation), after: 10) }
        harness.send(.candidateSearchFinished(found()))
        let transition = harness.send(
            .pullRequestCreationFailed(
                ExternalCallFailure(code: .validationError, message: "bad token=\(secret)", retriesExhausted: true)))
        let plan = harness.log[harness.log.count - 2].openPRs[0]
        let texts =
            [
                plan.body, transition.escalations[0].issueBody, transition.escalations[0].slack.text,
                transition.escalations[0].slack.json,
            ]
            + transition.actions.compactMap { if case .audit(let audit) = $0 { audit.reasoning } else { nil } }
        for text in texts {
            #expect(!text.contains(secret) && !text.contains("user:pw"))
        }
        #expect(plan.body.contains("[REDACTED]"))
    }
}
