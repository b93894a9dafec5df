import Foundation
import Storage
import TestSupport
import Testing
import Webhooks

/// Tests across a process boundary: the real binary, killed and restarted.
@Suite(.serialized) struct ProcessTests {
    @Test func acceptedDeliverySurvivesKill9() throws {
        let dir = TemporaryDirectory("ai-operator-kill")
        defer { dir.remove() }
        let env = baseEnvironment(dataDir: dir.path)
        let signer = GitHubSignatureVerifier(secret: env["GITHUB_WEBHOOK_SECRET"]!)

        let first = try BinaryProcess(arguments: ["serve"], environment: env)
        defer { first.terminate() }
        let port = try #require(first.waitForReady(), "the server did not start: \(first.text)")
        let body = checkSuiteBody(sha: "0123456789abcdef0123456789abcdef01234567")
        let response = try RawHTTP.request(
            port: port, method: "POST", path: "/webhooks/github",
            headers: [
                ("X-GitHub-Event", "check_suite"), ("X-GitHub-Delivery", "survivor"),
                ("X-Hub-Signature-256", signer.signatureHeader(for: body)),
            ], body: body)
        #expect(response.status == 202)
        // No graceful anything: the process dies right after answering.
        first.kill9()
        #expect(first.process.terminationReason == .uncaughtSignal)

        let second = try BinaryProcess(arguments: ["serve"], environment: env)
        defer { second.terminate() }
        let port2 = try #require(second.waitForReady(), "the server did not restart: \(second.text)")
        let list =
            try RawHTTP.request(port: port2, method: "GET", path: "/api/v1/deliveries").json?["deliveries"]
            as? [[String: Any]]
        let survivor = list?.first { $0["id"] as? String == "survivor" }
        #expect(survivor?["outcome"] as? String == "accepted")
        // The same delivery again is a duplicate: it was stored, not lost.
        let again = try RawHTTP.request(
            port: port2, method: "POST", path: "/webhooks/github",
            headers: [
                ("X-GitHub-Event", "check_suite"), ("X-GitHub-Delivery", "survivor"),
                ("X-Hub-Signature-256", signer.signatureHeader(for: body)),
            ], body: body)
        #expect(again.status == 200)
        second.terminate()
        #expect(second.process.terminationStatus == 0)
    }

    /// Senders post without pause and the process is killed mid-stream, so batches are being
    /// written when it dies: every delivery answered 2xx is then stored, and every stored body
    /// (answered or not) reads back byte for byte.
    @Test func everyAnsweredBodySurvivesKill9ByteForByte() throws {
        let dir = TemporaryDirectory("ai-operator-kill-bodies")
        defer { dir.remove() }
        let env = baseEnvironment(dataDir: dir.path)
        let signer = GitHubSignatureVerifier(secret: env["GITHUB_WEBHOOK_SECRET"]!)
        let process = try BinaryProcess(arguments: ["serve"], environment: env)
        defer { process.terminate() }
        let port = try #require(process.waitForReady(), "the server did not start: \(process.text)")

        let log = SendLog()
        let senders = DispatchGroup()
        for t in 0..<8 {
            senders.enter()
            Thread.detachNewThread {
                defer { senders.leave() }
                var sequence = 0
                while !log.stopped {
                    let id = "k-\(t)-\(sequence)"
                    // Bodies differ in content and size, so a body read from the wrong place shows.
                    let body = checkSuiteBody(
                        sha: String(format: "%040x", t * 1_000_000 + sequence), padTo: 1_000 + (sequence * 977) % 20_000
                    )
                    log.sent(id, body)
                    let response = try? RawHTTP.request(
                        port: port, method: "POST", path: "/webhooks/github",
                        headers: [
                            ("X-GitHub-Event", "check_suite"), ("X-GitHub-Delivery", id),
                            ("X-Hub-Signature-256", signer.signatureHeader(for: body)),
                        ],
                        body: body, timeout: 5)
                    if response?.status == 202 { log.answered(id) } else if response == nil { return }
                    sequence += 1
                }
            }
        }
        let enough = eventually(within: 60) { log.answeredCount >= 200 }
        process.kill9()
        log.stop()
        #expect(senders.wait(timeout: .now() + 30) == .success)
        try #require(enough, "only \(log.answeredCount) deliveries answered: \(process.text)")

        let store = try Store.open(directory: dir.path)
        defer { store.close() }
        let stored = Dictionary(
            uniqueKeysWithValues: try store.inbox.stored(limit: 1_000_000).map { ($0.record.id, $0.body) })
        let (sent, answered) = log.snapshot
        let lost = answered.filter { stored[$0] == nil }
        #expect(lost.isEmpty, "answered 202 but not stored: \(lost.sorted().prefix(5))")
        let wrong = stored.filter { $0.value != sent[$0.key] }.map(\.key)
        #expect(wrong.isEmpty, "bodies that do not read back as sent: \(wrong.sorted().prefix(5))")
        #expect(stored.count >= answered.count)
    }

    @Test func sigtermStopsGracefullyWithExitZero() throws {
        let dir = TemporaryDirectory("ai-operator-term")
        defer { dir.remove() }
        let server = try BinaryProcess(arguments: ["serve"], environment: baseEnvironment(dataDir: dir.path))
        defer { server.terminate() }
        let port = try #require(server.waitForReady())
        #expect(try RawHTTP.request(port: port, method: "GET", path: "/readyz").status == 200)
        server.process.terminate()
        #expect(server.waitForExit() == 0)
        #expect(server.text.contains("stopped"))
    }

    @Test(arguments: [
        "GITHUB_WEBHOOK_SECRET", "ARGOCD_URL", "ARGOCD_TOKEN", "ARGOCD_WEBHOOK_TOKEN", "API_TOKEN", "ALERTS_REPO",
        "KUBERNETES_API_URL",
    ])
    func missingRequiredSettingExitsWithCode2AndOneLineNamingIt(_ key: String) throws {
        var env = baseEnvironment(dataDir: "/tmp/unused")
        env[key] = nil
        for name in ["KUBERNETES_SERVICE_HOST", "KUBERNETES_SERVICE_PORT"] { env[name] = "" }
        let server = try BinaryProcess(arguments: ["serve"], environment: env)
        defer { server.terminate() }
        #expect(server.waitForExit() == 2)
        let lines = server.text.split(separator: "\n")
        #expect(lines.count == 1)
        #expect(lines.first?.contains(key) == true)
    }

    @Test func configCheckValidatesWithoutStartingAndNeverPrintsSecrets() throws {
        let dir = TemporaryDirectory("ai-operator-check")
        defer { dir.remove() }
        let env = baseEnvironment(dataDir: dir.path)
        let check = try BinaryProcess(arguments: ["config", "check"], environment: env)
        defer { check.terminate() }
        #expect(check.waitForExit() == 0)
        #expect(check.text.contains("configuration OK"))
        for key in ["GITHUB_TOKEN", "GITHUB_WEBHOOK_SECRET", "ARGOCD_TOKEN", "ARGOCD_WEBHOOK_TOKEN", "API_TOKEN"] {
            #expect(!check.text.contains(env[key]!), "\(key) leaked")
        }
        // It did not start a server or create the store.
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/operator.sqlite3"))

        var bad = env
        bad["POLL_INTERVAL_SEC"] = "soon"
        let badCheck = try BinaryProcess(arguments: ["config", "check"], environment: bad)
        defer { badCheck.terminate() }
        #expect(badCheck.waitForExit() == 2)
        #expect(badCheck.text.contains("POLL_INTERVAL_SEC"))
    }
}

/// What the kill test's senders sent and which were answered 202.
private final class SendLog: @unchecked Sendable {
    // Safe: every field is only touched with `lock` held.
    private let lock = NSLock()
    private var bodies: [String: [UInt8]] = [:]
    private var accepted: Set<String> = []
    private var stopping = false

    func sent(_ id: String, _ body: [UInt8]) { lock.withLock { bodies[id] = body } }
    func answered(_ id: String) { lock.withLock { _ = accepted.insert(id) } }
    func stop() { lock.withLock { stopping = true } }
    var stopped: Bool { lock.withLock { stopping } }
    var answeredCount: Int { lock.withLock { accepted.count } }
    var snapshot: (sent: [String: [UInt8]], answered: Set<String>) { lock.withLock { (bodies, accepted) } }
}
