// The GitHub webhook of SPEC 16 over real HTTP on loopback: signatures, duplicates, size limits,
// a store that cannot write, and many concurrent deliveries.
import Foundation
import Operator
import Storage
import TestSupport
import Testing
import Webhooks

/// SPEC section 16, the two webhook rows, over real HTTP on loopback.
@Suite struct GitHubWebhookTests {
    @Test func signedDeliveryIsStoredAndAnswered202() throws {
        let harness = try ServiceHarness()
        defer { harness.stop() }
        let response = try harness.postGitHub(event: "check_suite", delivery: "d-202", body: checkSuiteBody())
        #expect(response.status == 202)
        #expect(response.json?["status"] as? String == "accepted")
        let stored = try harness.accepted()
        #expect(stored.count == 1)
        #expect(stored.first?["id"] as? String == "d-202")
        #expect(stored.first?["event"] as? String == "check_suite")
        #expect(stored.first?["action"] as? String == "completed")
        #expect(stored.first?["source"] as? String == "github")
        // The body itself is stored, byte for byte.
        let pending = try harness.service.storedDeliveriesForTesting()
        #expect(pending.map(\.body) == [checkSuiteBody()])
    }

    @Test func withNoAttemptHeldGitHubDeliveriesAreStoredAlreadyProcessed() throws {
        let harness = try ServiceHarness()
        defer { harness.stop() }
        // Once the engine has loaded the stored applications (none), it knows no attempt is held.
        #expect(eventually(within: 10) { harness.service.holdsNoAttemptForTesting })
        for i in 0..<20 {
            #expect(
                try harness.postGitHub(event: "check_suite", delivery: "cs-\(i)", body: checkSuiteBody()).status == 202)
        }
        // Nothing they could concern is open: each was stored processed, at its arrival, in the
        // transaction that stored it (so already when it was answered, with no engine step).
        let rows = try harness.accepted()
        #expect(rows.count == 20)
        #expect(rows.allSatisfy { ($0["id"] as? String)?.hasPrefix("cs-") == true })
        let atArrival = rows.filter { row in
            row["processedAt"].map { "\($0)" } == row["receivedAt"].map { "\($0)" } && row["processedAt"] != nil
        }
        #expect(atArrival.count == 20, "\(rows.prefix(3))")
        #expect(try harness.service.storedDeliveriesForTesting().count == 20)  // bodies kept all the same
    }

    @Test func pingIsAnswered200() throws {
        let harness = try ServiceHarness()
        defer { harness.stop() }
        let response = try harness.postGitHub(
            event: "ping", delivery: "p-1", body: Array(#"{"zen":"Keep it logically awesome.","hook_id":1}"#.utf8))
        #expect(response.status == 200)
        #expect(response.json?["status"] as? String == "pong")
    }

    @Test func repeatedDeliveryIsAnswered200AndStoredOnce() throws {
        let harness = try ServiceHarness()
        defer { harness.stop() }
        #expect(try harness.postGitHub(event: "check_suite", delivery: "same", body: checkSuiteBody()).status == 202)
        for _ in 0..<3 {
            let again = try harness.postGitHub(event: "check_suite", delivery: "same", body: checkSuiteBody())
            #expect(again.status == 200)
            #expect(again.json?["status"] as? String == "duplicate")
        }
        #expect(try harness.accepted().count == 1)
        #expect(try harness.service.storedDeliveriesForTesting().count == 1)
        #expect(try harness.deliveries().filter { $0["outcome"] as? String == "duplicate" }.count == 3)
    }

    @Test func missingEventOrDeliveryHeaderIs400() throws {
        let harness = try ServiceHarness()
        defer { harness.stop() }
        let noEvent = try harness.postGitHub(event: nil, delivery: "x1", body: checkSuiteBody())
        #expect(noEvent.status == 400)
        #expect(noEvent.json?["error"] as? String == "missing_header")
        let noDelivery = try harness.postGitHub(event: "check_suite", delivery: nil, body: checkSuiteBody())
        #expect(noDelivery.status == 400)
        #expect(try harness.accepted().isEmpty)
    }

    @Test(arguments: ["not json", "{\"a\":", "[1,2]", "{\"a\":1,}", ""])
    func bodyThatIsNotAJSONObjectIs400(_ text: String) throws {
        let harness = try ServiceHarness()
        defer { harness.stop() }
        let response = try harness.postGitHub(event: "check_suite", delivery: "bad-json", body: Array(text.utf8))
        #expect(response.status == 400)
        #expect(response.json?["error"] as? String == "invalid_json")
        #expect(try harness.accepted().isEmpty)
    }

    @Test func missingOrWrongSignatureIs401() throws {
        let harness = try ServiceHarness()
        defer { harness.stop() }
        let body = checkSuiteBody()
        let missing = try harness.postGitHub(event: "check_suite", delivery: "s1", body: body, signature: .some(nil))
        #expect(missing.status == 401)
        #expect(missing.json?["error"] as? String == "missing_signature")
        let wrongKey = GitHubSignatureVerifier(secret: "another-secret").signatureHeader(for: body)
        let wrong = try harness.postGitHub(event: "check_suite", delivery: "s2", body: body, signature: .some(wrongKey))
        #expect(wrong.status == 401)
        #expect(wrong.json?["error"] as? String == "invalid_signature")
        // A valid signature of another body does not authenticate this one.
        let other = harness.signer.signatureHeader(for: Array("{}".utf8))
        #expect(
            try harness.postGitHub(event: "check_suite", delivery: "s3", body: body, signature: .some(other)).status
                == 401)
        #expect(try harness.accepted().isEmpty)
        // Rejections are listed with their reason.
        let listed = try eventually {
            try harness.deliveries().compactMap { $0["outcome"] as? String }.filter { $0.hasPrefix("rejected:") }.count
                == 3
        }
        #expect(listed)
    }

    @Test func bodyOver25MiBIs413WithoutReadingIt() throws {
        let harness = try ServiceHarness()
        defer { harness.stop() }
        let head =
            "POST /webhooks/github HTTP/1.1\r\nHost: x\r\nX-GitHub-Event: check_suite\r\nX-GitHub-Delivery: big\r\nContent-Length: \(25 * 1024 * 1024 + 1)\r\n\r\n"
        let response = try RawHTTP.send(port: harness.port, bytes: Array(head.utf8), timeout: 10)
        #expect(response.status == 413)
        // Exactly 25 MiB is accepted.
        let edge = checkSuiteBody(padTo: 25 * 1024 * 1024)
        #expect(edge.count == 25 * 1024 * 1024)
        #expect(try harness.postGitHub(event: "check_suite", delivery: "edge", body: edge).status == 202)
    }

    @Test func storeThatCannotWriteAnswers503AndKeepsWhatItHad() throws {
        // A store whose body log is capped at 256 KB fills up like a full disk.
        let harness = try ServiceHarness(storeOptions: StoreOptions(maxBodyBytes: 256 * 1024))
        defer { harness.stop() }
        #expect(try harness.postGitHub(event: "check_suite", delivery: "first", body: checkSuiteBody()).status == 202)
        var statuses: [Int] = []
        for i in 0..<20 {
            statuses.append(
                try harness.postGitHub(
                    event: "check_suite", delivery: "big-\(i)", body: checkSuiteBody(padTo: 64 * 1024)
                )
                .status)
        }
        #expect(statuses.contains(503))
        #expect(Set(statuses).isSubset(of: [202, 503]))
        // What was accepted before is still there.
        let pending = try harness.service.storedDeliveriesForTesting()
        #expect(pending.first?.record.id == "first")
        #expect(pending.count == statuses.filter { $0 == 202 }.count + 1)
        #expect(harness.logs.captured.contains { $0.contains("could not be stored") })
    }

    @Test func hundredConcurrentSignedDeliveriesAreAllStoredOnce() throws {
        let harness = try ServiceHarness()
        defer { harness.stop() }
        let port = harness.port
        let signer = harness.signer
        let statuses = Statuses()
        let group = DispatchGroup()
        // The writer is held until all 100 are queued, so sharing a commit does not depend on
        // how fast this machine's fsync is.
        let release = harness.service.holdStoreWriterForTesting()
        for i in 0..<100 {
            group.enter()
            Thread.detachNewThread {
                let body = checkSuiteBody(sha: String(format: "%040x", i), padTo: 8192)
                let headers = [
                    ("X-GitHub-Event", "check_suite"), ("X-GitHub-Delivery", "c-\(i)"),
                    ("X-Hub-Signature-256", signer.signatureHeader(for: body)),
                ]
                // A generous client timeout: on a loaded machine 100 threads take a while to all connect.
                statuses.add(
                    (try? RawHTTP.request(
                        port: port, method: "POST", path: "/webhooks/github", headers: headers, body: body, timeout: 90))?
                        .status ?? -1)
                group.leave()
            }
        }
        let queued = eventually(within: 60) { harness.service.storeQueuedCountForTesting() >= 100 }
        release()
        #expect(queued, "\(harness.service.storeQueuedCountForTesting()) of 100 queued behind the held writer")
        #expect(group.wait(timeout: .now() + 60) == .success)
        #expect(statuses.all == Array(repeating: 202, count: 100))
        let pending = try harness.service.storedDeliveriesForTesting()
        #expect(pending.count == 100)
        #expect(Set(pending.map(\.record.id)) == Set((0..<100).map { "c-\($0)" }))
        // Overlapping requests shared commits.
        let stats = harness.service.storeStatisticsForTesting()
        #expect(stats.itemsCommitted >= 100)
        #expect(stats.largestBatch >= 100)
    }

    @Test func badRequestsNeverChangeWhatWasStoredAndHealthzKeepsAnswering() throws {
        let harness = try ServiceHarness()
        defer { harness.stop() }
        #expect(try harness.postGitHub(event: "check_suite", delivery: "keep-1", body: checkSuiteBody()).status == 202)
        let before = try harness.service.storedDeliveriesForTesting().map { ($0.record.id, $0.body) }
        let port = harness.port
        let body = checkSuiteBody()
        let bursts = Statuses()
        let group = DispatchGroup()
        for i in 0..<60 {
            group.enter()
            Thread.detachNewThread {
                let status: Int
                switch i % 4 {
                case 0:  // unsigned, reusing the stored delivery id
                    status =
                        (try? RawHTTP.request(
                            port: port, method: "POST", path: "/webhooks/github",
                            headers: [("X-GitHub-Event", "check_suite"), ("X-GitHub-Delivery", "keep-1")],
                            body: Array("{}".utf8)))?.status ?? -1
                case 1:  // wrongly signed replacement body under the same id
                    status =
                        (try? RawHTTP.request(
                            port: port, method: "POST", path: "/webhooks/github",
                            headers: [
                                ("X-GitHub-Event", "check_suite"), ("X-GitHub-Delivery", "keep-1"),
                                ("X-Hub-Signature-256", "sha256=" + String(repeating: "0", count: 64)),
                            ], body: body))?.status ?? -1
                case 2:  // oversized
                    status =
                        (try? RawHTTP.send(
                            port: port,
                            bytes: Array(
                                "POST /webhooks/github HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999\r\n\r\n".utf8)
                        ))?.status ?? -1
                default:  // garbage
                    status =
                        (try? RawHTTP.send(port: port, bytes: Array("BREW /webhooks/github HTCPCP/1.0\r\n\r\n".utf8)))?
                        .status ?? -1
                }
                bursts.add(status)
                group.leave()
            }
            if i % 10 == 0 {
                let health = try RawHTTP.request(port: port, method: "GET", path: "/healthz")
                #expect(health.status == 200)
            }
        }
        #expect(group.wait(timeout: .now() + 60) == .success)
        #expect(bursts.all.allSatisfy { $0 >= 400 })
        #expect(try RawHTTP.request(port: port, method: "GET", path: "/healthz").status == 200)
        let after = try harness.service.storedDeliveriesForTesting().map { ($0.record.id, $0.body) }
        #expect(after.count == before.count)
        #expect(zip(after, before).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 })
        // A genuine new delivery still goes through.
        #expect(try harness.postGitHub(event: "check_suite", delivery: "keep-2", body: checkSuiteBody()).status == 202)
    }
}
