// The webhook doors under abuse (SPEC 16, SPEC 19, DESIGN property 7), over real HTTP on
// loopback: what strangers send grows neither the disk, nor the metric series, nor memory;
// large bodies are refused unread; the record of rejections keeps only the newest 1,000.
import Foundation
import TestSupport
import Testing

@testable import Operator

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct DoorAbuseTests {
    @Test func tenThousandUnauthenticatedRequestsGrowNothing() throws {
        // The poller's first (failing) calls to Argo CD add their series early, not mid-test.
        let harness = try ServiceHarness(env: ["POLL_INTERVAL_SEC": "0.2"])
        defer { harness.stop() }
        let port = harness.port
        #expect(eventually(within: 10) { harness.service.holdsNoAttemptForTesting })
        // A scrape creates its own series once; the service's own series settle: then measure.
        var seriesBefore = try ServiceMeasures.series(port: port)
        let settled = try eventually(within: 20) {
            usleep(500_000)
            let again = try ServiceMeasures.series(port: port)
            defer { seriesBefore = again }
            return again == seriesBefore && again.contains { $0.contains("argocd.listApplications") }
        }
        #expect(settled)
        let bytesBefore = ServiceMeasures.storeBytes(dataDir: harness.dir.path)
        let residentBefore = ServiceMeasures.residentBytes()
        let statuses = Statuses()
        let group = DispatchGroup()
        let started = Date()
        for sender in 0..<4 {
            group.enter()
            Thread.detachNewThread {
                var generator = SeededGenerator(seed: 0x5EED + UInt64(sender))
                for _ in 0..<2500 {
                    let request = StrangerRequest.random(using: &generator)
                    statuses.add((try? RawHTTP.send(port: port, bytes: request.bytes, timeout: 10))?.status ?? -1)
                }
                group.leave()
            }
        }
        #expect(group.wait(timeout: .now() + 300) == .success, "10,000 requests did not finish in 300 s")
        let seconds = Date().timeIntervalSince(started)
        let all = statuses.all
        #expect(all.count == 10_000)
        let unexpected = all.filter { ![400, 401, 404, 405, 413].contains($0) }
        #expect(unexpected.isEmpty, "unexpected statuses: \(Set(unexpected)) (\(unexpected.count) of them)")
        // Nothing grew: not the store, not the metric series, not memory.
        #expect(ServiceMeasures.storeBytes(dataDir: harness.dir.path) == bytesBefore)
        let seriesAfter = try ServiceMeasures.series(port: port)
        let added = seriesAfter.subtracting(seriesBefore)
        #expect(added.isEmpty, "\(added.count) new series, e.g. \(added.sorted().prefix(10))")
        #expect(seriesBefore.isSubset(of: seriesAfter))
        let grown = ServiceMeasures.residentBytes() - residentBefore
        #expect(grown < 20 * 1024 * 1024, "resident memory grew by \(grown / 1024) KiB")
        // A genuine delivery is stored at once.
        let genuine = try harness.postGitHub(event: "check_suite", delivery: "after-the-storm", body: checkSuiteBody())
        #expect(genuine.status == 202)
        #expect(try harness.accepted().map { $0["id"] as? String } == ["after-the-storm"])
        let counts = Dictionary(grouping: all, by: { $0 }).mapValues(\.count).sorted { $0.key < $1.key }
        print("10,000 stranger requests in \(Int(seconds)) s, answered \(counts); memory \(grown / 1024) KiB more")
    }

    /// Sends a head declaring a large body (25 MiB unless told), and a few bytes of it: the
    /// answer must come back long before the body could have been read (it never is sent whole).
    private func refusedUnread(
        _ harness: ServiceHarness, _ method: String, _ path: String, headers: String = "",
        declaring length: Int = 25 * 1024 * 1024
    ) throws -> (status: Int, seconds: Double) {
        let start = Date()
        let fd = try RawHTTP.connect(port: harness.port, timeout: 5)
        defer { close(fd) }
        let head = "\(method) \(path) HTTP/1.1\r\nHost: x\r\n\(headers)Content-Length: \(length)\r\n\r\n"
        try RawHTTP.writeAll(fd, Array(head.utf8) + Array("{\"app\":".utf8))
        let response = try RawHTTP.parse(try RawHTTP.readAll(fd))
        return (response.status, Date().timeIntervalSince(start))
    }

    @Test func largeBodiesAreRefusedWithoutBeingRead() throws {
        let harness = try ServiceHarness()
        defer { harness.stop() }
        let bearer = "Authorization: Bearer argocd-webhook-token-for-tests\r\n"
        let mebibyte = 1024 * 1024
        // Sizes past a route's limit are refused first; within it, a missing credential.
        let cases: [(String, String, String, Int, Int)] = [
            ("POST", "/webhooks/argocd", bearer, 25 * mebibyte, 413),  // over its 1 MiB limit
            ("POST", "/webhooks/argocd", "", mebibyte, 401),  // no token: refused on the head alone
            ("POST", "/webhooks/github", "X-GitHub-Event: push\r\n", 20 * mebibyte, 401),  // no signature
            ("GET", "/healthz", "", 25 * mebibyte, 413),  // GET routes take no body
            ("GET", "/api/v1/deliveries", "", 25 * mebibyte, 413),
            ("POST", "/api/v1/nothing-here", "", 25 * mebibyte, 404),
        ]
        for (method, path, headers, length, status) in cases {
            let refused = try refusedUnread(harness, method, path, headers: headers, declaring: length)
            #expect(refused.status == status, "\(method) \(path)")
            #expect(refused.seconds < 1, "\(method) \(path) took \(refused.seconds) s")
        }
        #expect(try harness.accepted().isEmpty)
        let rejected = try harness.deliveries().compactMap { $0["outcome"] as? String }
        #expect(rejected.filter { $0 == "rejected:body_too_large" }.count == 1)
        #expect(rejected.filter { $0 == "rejected:unauthorized" }.count == 1)
        #expect(rejected.filter { $0 == "rejected:signature_missing" }.count == 1)
    }

    @Test func theListingKeepsTheNewestThousandRejectionsAndEveryStoredDelivery() throws {
        let harness = try ServiceHarness()
        defer { harness.stop() }
        for i in 0..<3 {
            #expect(
                try harness.postGitHub(event: "check_suite", delivery: "early-\(i)", body: checkSuiteBody()).status
                    == 202)
        }
        for i in 0..<1500 {
            // Unsigned, so refused on the head; their (stranger-chosen) ids are listed, clipped.
            let response = try harness.postGitHub(
                event: "push", delivery: "rejected-\(i)", body: Array("{}".utf8), signature: .some(nil))
            #expect(response.status == 401)
        }
        for i in 0..<2 {
            #expect(
                try harness.postGitHub(event: "check_suite", delivery: "late-\(i)", body: checkSuiteBody()).status
                    == 202)
        }
        let listed = try harness.deliveries(limit: 5000)
        let rejected = listed.filter { ($0["outcome"] as? String)?.hasPrefix("rejected:") == true }
        #expect(rejected.count == 1000)
        #expect(Set(rejected.compactMap { $0["id"] as? String }) == Set((500..<1500).map { "rejected-\($0)" }))
        #expect(rejected.allSatisfy { $0["outcome"] as? String == "rejected:signature_missing" })
        let accepted = listed.filter { $0["outcome"] as? String == "accepted" }.compactMap { $0["id"] as? String }
        #expect(Set(accepted) == ["early-0", "early-1", "early-2", "late-0", "late-1"])
        // Newest first throughout.
        let times = listed.compactMap { $0["receivedAt"] as? String }
        #expect(times.count == listed.count)
        #expect(zip(times, times.dropFirst()).allSatisfy { $0 >= $1 })
        // Counted all the same.
        let metrics = try RawHTTP.request(port: harness.port, method: "GET", path: "/metrics").text
        #expect(
            metrics.contains(
                #"ai_operator_webhooks_received_total{source="github",event="unverified",outcome="rejected_signature_missing"} 1500"#
            ))
    }

    /// The deliveries listing and the audit read wait on the slow-read queue, not on the server's
    /// threads: while that queue is held they stay unanswered, and the doors answer meanwhile.
    @Test func slowReadsWaitOffTheServerThreads() throws {
        let harness = try ServiceHarness()
        defer { harness.stop() }
        let port = harness.port
        let gate = DispatchSemaphore(value: 0)
        let holding = DispatchSemaphore(value: 0)
        SlowReads.run {
            holding.signal()
            _ = gate.wait(timeout: .now() + 30)
        }
        var released = false
        defer { if !released { gate.signal() } }
        #expect(holding.wait(timeout: .now() + 5) == .success)
        let answers = Statuses()
        let paths = ["/api/v1/deliveries", "/api/v1/rollbacks/no-such-attempt/audit"]
        // More reads than the server has threads: were they read there, the doors would wait too.
        for index in 0..<6 {
            Thread.detachNewThread {
                let path = paths[index % 2]
                answers.add((try? RawHTTP.request(port: port, method: "GET", path: path, timeout: 30))?.status ?? -1)
            }
        }
        // All six arrive and wait (suspended, holding no server thread).
        #expect(eventually(within: 10) { harness.service.server.inFlightCount >= 6 })
        #expect(try RawHTTP.request(port: port, method: "GET", path: "/healthz", timeout: 5).status == 200)
        #expect(
            try harness.postGitHub(event: "check_suite", delivery: "while-held", body: checkSuiteBody()).status == 202)
        #expect(answers.all.isEmpty, "answered while the slow-read queue was held: \(answers.all)")
        gate.signal()
        released = true
        #expect(eventually(within: 10) { answers.all.count == 6 })
        #expect(answers.all.sorted() == [200, 200, 200, 404, 404, 404])
    }
}
