// Issue #14: a stored delivery whose body cannot be read or decoded is set aside with its
// reason (listed, counted, logged once) and holds up none of the deliveries after it. The real
// binary, the simulators, real HTTP; the test cuts a body-log segment while the binary is down.
import Demo
import Foundation
import Simulator
import TestSupport
import Testing

@Suite struct UnreadableDeliveryTests {
    /// A production attempt waits for approval. Two CI deliveries for its PR are stored; their
    /// route (which re-reads the PR) is held, so they are still pending when the binary is
    /// killed. The test cuts the segment under them and restarts: both are set aside as
    /// `body_truncated`, a malformed delivery after them as `malformed`, and the approver's
    /// approving review after those is routed and merges.
    @Test func aTruncatedBodyIsSetAsideAndTheDeliveriesAfterItAreActedOn() async throws {
        // No review polls: after the restart's own re-read, only a routed delivery can bring the
        // approval in.
        try await CrashScenario.run(
            app: "invoices", environment: "production", overrides: ["REVIEW_POLL_INTERVAL_SEC": "3600"]
        ) { crash in
            let gitops = crash.scenario.gitopsRepo
            try await crash.start()
            let waiting = await poll(within: 60) {
                crash.state == "AwaitingMergeApproval" && !crash.github.issues(repo: crash.env.alertsRepo).isEmpty
            }
            try #require(waiting, "never waited for approval; \(crash.brief); output:\n\(crash.output())")
            let pr = try #require(crash.github.pulls(repo: gitops).first)

            // Hold every read of the GitOps repository: the CI deliveries' route cannot finish.
            crash.github.faults.inject(.stall(30), method: "GET", path: "/repos/\(gitops)", count: nil)
            let bodies = (crash.env.dataDir as NSString).appendingPathComponent("bodies")
            let before = try newestSegment(in: bodies)
            let sent = crash.github.webhooks.deliveries.count
            crash.github.setCheckRun(repo: gitops, sha: pr.headSHA, name: "late-lint")
            var ciIDs: [String] = []
            let held = await poll(within: 20) {
                ciIDs = crash.github.webhooks.deliveries.dropFirst(sent).filter {
                    ($0.event == "check_run" || $0.event == "check_suite") && $0.statusCode == 202
                }.map(\.id)
                return ciIDs.count == 2 && crash.requested("GET", "/repos/\(gitops)/**")
            }
            try #require(held, "CI deliveries \(crash.github.webhooks.deliveries.dropFirst(sent).map(\.event))")
            let listedBefore = deliveries(crash)
            #expect(ciIDs.allSatisfy { id in listedBefore.contains { $0["id"] as? String == id } })
            #expect(ciIDs.allSatisfy { id in listedBefore.first { $0["id"] as? String == id }?["processedAt"] == nil })
            await crash.kill9()
            crash.github.faults.clear()

            // Cut the segment right after where the CI deliveries' bodies begin.
            let after = try newestSegment(in: bodies)
            let cutAt = after.number == before.number ? before.size + 1 : 1
            #expect(after.size > cutAt)
            #expect(truncate(after.path, off_t(cutAt)) == 0)

            let restartedAt = Date()
            try await crash.start()
            let setAside = await poll(within: 20) {
                let listed = deliveries(crash)
                return ciIDs.allSatisfy { id in
                    listed.first { $0["id"] as? String == id }?["setAside"] as? String == "body_truncated"
                }
            }
            #expect(setAside, "listed: \(deliveries(crash).prefix(6)); output:\n\(crash.output())")
            for id in ciIDs {
                let row = deliveries(crash).first { $0["id"] as? String == id }
                #expect(row?["processedAt"] != nil)
                let logged = crash.binary?.text.components(separatedBy: "\n").filter {
                    $0.contains("is set aside") && $0.contains(id)
                }
                #expect(logged?.count == 1, "log lines for \(id): \(logged ?? [])")
            }

            // A delivery that reads but is not a check suite: set aside too.
            let malformed = Array(#"{"action":"completed","note":"no check_suite"}"#.utf8)
            let signature =
                "sha256=" + SimulatorCrypto.hmacSHA256Hex(key: Array(crash.env.webhookSecret.utf8), data: malformed)
            let posted = try await httpAsync(
                port: crash.port, method: "POST", path: "/webhooks/github",
                headers: [
                    ("Content-Type", "application/json"), ("X-GitHub-Event", "check_suite"),
                    ("X-GitHub-Delivery", "malformed-1"), ("X-Hub-Signature-256", signature),
                ], body: malformed)
            #expect(posted.status == 202)
            let malformedAside = await poll(within: 20) {
                deliveries(crash).first { $0["id"] as? String == "malformed-1" }?["setAside"] as? String == "malformed"
            }
            #expect(malformedAside, "listed: \(deliveries(crash).prefix(4))")
            #expect(setAsideCount(crash, "malformed") == 1)

            // The restart's own re-read of the reviews is over before the review is given.
            let reviews = "/repos/\(gitops)/pulls/\(pr.number)/reviews"
            let reread = await poll(within: 20) {
                crash.github.requestLog.contains {
                    $0.method == "GET" && $0.path == reviews && $0.status == 200 && $0.at > restartedAt
                }
            }
            #expect(reread, "no re-read of the reviews after the restart")
            let reviewsSent = crash.github.webhooks.deliveries.count
            crash.github.addReview(
                repo: gitops, number: pr.number, user: crash.env.approver, state: "APPROVED", commitID: pr.headSHA)
            let merged = await poll(within: 30) { crash.github.merges.count == 1 }
            #expect(merged, "the approval was not acted on; \(crash.brief); output:\n\(crash.output())")
            let reviewID = try #require(
                crash.github.webhooks.deliveries.dropFirst(reviewsSent).first { $0.event == "pull_request_review" }?.id)
            let routed = await poll(within: 20) {
                let row = deliveries(crash).first { $0["id"] as? String == reviewID }
                return row?["processedAt"] != nil && row?["setAside"] == nil
            }
            #expect(
                routed, "the review delivery: \(deliveries(crash).first { $0["id"] as? String == reviewID } ?? [:])")
            // Counted as listed: each set-aside once (the cut may also take a delivery stored
            // just before the CI ones, if its body was still being written when it was measured).
            let truncated = deliveries(crash).filter { $0["setAside"] as? String == "body_truncated" }.count
            #expect(truncated >= 2)
            #expect(setAsideCount(crash, "body_truncated") == Double(truncated))
        }
    }
}

/// `GET /api/v1/deliveries` of the running binary.
private func deliveries(_ crash: CrashScenario) -> [[String: Any]] {
    crash.apiGet("/api/v1/deliveries?limit=500")?["deliveries"] as? [[String: Any]] ?? []
}

/// `ai_operator_deliveries_set_aside_total{reason}` as the running binary exports it.
private func setAsideCount(_ crash: CrashScenario, _ reason: String) -> Double? {
    guard let response = try? RawHTTP.request(port: crash.port, method: "GET", path: "/metrics", timeout: 3) else {
        return nil
    }
    let series = "ai_operator_deliveries_set_aside_total{reason=\"\(reason)\"} "
    let line = response.text.components(separatedBy: "\n").first { $0.hasPrefix(series) }
    return line.flatMap { Double($0.dropFirst(series.count)) }
}

/// The body-log segment with the highest number in `directory`: its path, number and size.
private func newestSegment(in directory: String) throws -> (path: String, number: Int, size: Int) {
    let names = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".seg") }
    guard let name = names.max(), let number = Int(name.dropLast(4)) else { return ("", 0, 0) }
    let path = (directory as NSString).appendingPathComponent(name)
    let size = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
    return (path, number, size)
}
