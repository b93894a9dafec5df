import Demo
import Foundation
import Operator
import RollbackCore
import Simulator
import TestSupport
import Testing

/// The REST status API and commands against a running attempt.
@Suite struct RestAPITests {
    /// A staging attempt stopped by I8 (GitHub never settles `mergeable`) waits in
    /// `AwaitingHumanReview`; the API shows it in full (invariants, evidence, candidates,
    /// history, the ordered audit trail), commands need the token, and ABORT / RESET work.
    @Test func statusAndCommandsOverREST() async throws {
        let env = try DemoEnvironment()
        defer { env.stop() }
        env.sims.github.mergeableNullReads = 1_000
        let app = "orders"
        let scenario = env.seed(app: app, environment: "staging")
        let (watcher, logs) = try env.startWatched()
        let port = env.servicePort

        let review = await watcher.wait(within: 60) { watcher.reached(app, .awaitingHumanReview) }
        try #require(review, watcher.brief(app, logs))
        let id = try #require(watcher.last(app)?.correlationId)
        let escalated = await watcher.wait(within: 20) { env.escalationIssues("NOT_MERGEABLE").count == 1 }
        #expect(escalated)

        // The list and the detail.
        let list = try await httpRequest(port: port, "GET", "/api/v1/applications")
        #expect(list.status == 200)
        let apps = (list.json?["applications"] as? [[String: Any]]) ?? []
        let summary = try #require(apps.first { $0["name"] as? String == app })
        #expect(summary["state"] as? String == "AwaitingHumanReview")
        #expect(summary["correlationId"] as? String == id)

        let detail = try await httpRequest(port: port, "GET", "/api/v1/applications/\(app)")
        #expect(detail.status == 200)
        let attempt = try #require(detail.json?["attempt"] as? [String: Any], "\(detail.text)")
        #expect(attempt["correlationId"] as? String == id)
        #expect(attempt["targetRevision"] as? String == scenario.goodRevisions.last)
        #expect(attempt["currentRevision"] as? String == scenario.badRevision)
        let invariants = try #require(attempt["invariants"] as? [String: String])
        #expect(invariants.count == 8)
        #expect(invariants["I8_branch_protection"] == "FAIL")
        #expect(
            invariants.filter { $0.key != "I8_branch_protection" }.values.allSatisfy { $0 == "PASS" }, "\(invariants)")
        let evidence = try #require(attempt["invariantEvidence"] as? [String: String])
        #expect(Set(evidence.keys) == Set(invariants.keys))
        #expect(evidence.values.allSatisfy { !$0.isEmpty })
        let candidates = try #require(attempt["candidates"] as? [[String: Any]])
        #expect(!candidates.isEmpty)
        #expect(
            candidates.allSatisfy {
                $0["sha"] is String && $0["taken"] is Bool && !(($0["reason"] as? String) ?? "").isEmpty
            })
        #expect(
            candidates.filter { $0["taken"] as? Bool == true }.map { $0["sha"] as? String } == [
                scenario.goodRevisions.last
            ])
        let history = try #require(attempt["history"] as? [[String: Any]])
        #expect(
            history.compactMap { $0["to"] as? String } == [
                "DegradationDetected", "CandidateResolved", "PRCreated", "AwaitingMergeApproval", "AwaitingHumanReview",
            ])
        let unknownApp = try await httpRequest(port: port, "GET", "/api/v1/applications/nope")
        #expect(unknownApp.status == 404)

        let one = try await httpRequest(port: port, "GET", "/api/v1/rollbacks/\(id)")
        #expect(one.status == 200)
        #expect(one.json?["state"] as? String == "AwaitingHumanReview")

        // The audit trail, in order.
        let audit = try await httpRequest(port: port, "GET", "/api/v1/rollbacks/\(id)/audit")
        #expect(audit.status == 200)
        let entries = (audit.json?["entries"] as? [[String: Any]]) ?? []
        let seqs = entries.compactMap { $0["seq"] as? Int }
        #expect(seqs.count == entries.count && !seqs.isEmpty)
        #expect(zip(seqs, seqs.dropFirst()).allSatisfy { $0 < $1 }, "seqs: \(seqs)")
        #expect(entries.allSatisfy { $0["correlationId"] as? String == id })
        let types = entries.compactMap { $0["actionType"] as? String }
        #expect(types.contains("INVARIANT_CHECK"))
        #expect(types.contains("MCP_CALL"))
        #expect(types.contains("FSM_TRANSITION"))
        let firstCheck = try #require(types.firstIndex(of: "INVARIANT_CHECK"))
        let escalation = try #require(entries.firstIndex { $0["escalation"] as? String == "NOT_MERGEABLE" })
        #expect(firstCheck < escalation)
        let check = entries[firstCheck]
        #expect((check["invariantsChecked"] as? [String: String])?.count == 8)
        #expect(
            entries.contains { ($0["mcpCall"] as? [String: Any])?["name"] as? String == "github.createPullRequest" })

        // Commands: authentication, unknown attempts.
        let noToken = try await httpRequest(port: port, "POST", "/api/v1/rollbacks/\(id)/abort")
        #expect(noToken.status == 401)
        let wrongToken = try await httpRequest(
            port: port, "POST", "/api/v1/rollbacks/\(id)/abort", token: "not-the-token")
        #expect(wrongToken.status == 403)
        let unknown = try await httpRequest(
            port: port, "POST", "/api/v1/rollbacks/\(UUID().uuidString.lowercased())/abort",
            token: env.apiToken)
        #expect(unknown.status == 404)
        #expect(watcher.state(app) == .awaitingHumanReview)

        // ABORT: 200, the PR is closed, state Abort.
        let abort = try await httpRequest(port: port, "POST", "/api/v1/rollbacks/\(id)/abort", token: env.apiToken)
        #expect(abort.status == 200, "\(abort.text)")
        #expect(abort.json?["state"] as? String == "Abort")
        #expect(watcher.state(app) == .abort)
        let closed = await watcher.wait(within: 20) {
            env.sims.github.pulls(repo: scenario.gitopsRepo).first?.state == "closed"
        }
        #expect(closed)
        #expect(env.sims.github.merges.isEmpty)

        // MANUAL needs an open PR: 409. RESET in Abort: 200, Idle. RESET again: 409.
        let manual = try await httpRequest(port: port, "POST", "/api/v1/rollbacks/\(id)/manual", token: env.apiToken)
        #expect(manual.status == 409, "\(manual.text)")
        let reset = try await httpRequest(port: port, "POST", "/api/v1/rollbacks/\(id)/reset", token: env.apiToken)
        #expect(reset.status == 200, "\(reset.text)")
        #expect(reset.json?["state"] as? String == "Idle")
        let again = try await httpRequest(port: port, "POST", "/api/v1/rollbacks/\(id)/reset", token: env.apiToken)
        #expect(again.status == 409, "\(again.text)")
        // The ended attempt is still readable.
        let ended = try await httpRequest(port: port, "GET", "/api/v1/rollbacks/\(id)")
        #expect(ended.status == 200, "\(ended.text)")
        #expect(ended.json?["abortReason"] as? String == "ABORTED_BY_HUMAN")
    }
}
