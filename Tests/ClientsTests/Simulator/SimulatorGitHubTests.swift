import Foundation
import HTTPServer
import Simulator
import TestSupport
import Testing

/// The GitHub simulator's own behaviour, over real HTTP.
@Suite struct SimulatorGitHubTests {
    static let token = "ghp_test_token"

    static func call(
        _ gh: GitHubSimulator, _ method: String, _ path: String, json: Any? = nil,
        headers: [(String, String)] = [], auth: String? = "Bearer \(token)"
    ) throws -> RawHTTPResponse {
        var allHeaders =
            headers + [("Accept", "application/vnd.github+json"), ("X-GitHub-Api-Version", "2022-11-28")]
        if let auth { allHeaders.append(("Authorization", auth)) }
        var body: [UInt8] = []
        if let json {
            body = Array(try JSONSerialization.data(withJSONObject: json))
            allHeaders.append(("Content-Type", "application/json"))
        }
        return try RawHTTP.request(
            port: gh.port, method: method, path: path, headers: allHeaders, body: body, timeout: 10)
    }

    static func started() throws -> GitHubSimulator {
        let gh = GitHubSimulator(tokens: [token])
        try gh.start()
        return gh
    }

    @Test func settingAnAutoCheckRunAgainReplacesItAndGivesOneRun() throws {
        let gh = try Self.started()
        defer { gh.stop() }
        gh.createRepository("acme/app")
        gh.setAutoCheckRun(branchPrefix: "rollback/", name: "ci", conclusion: "failure", delay: 0.05)
        gh.setAutoCheckRun(branchPrefix: "rollback/", name: "ci", conclusion: "success", delay: 0.05)
        let head = gh.addCommit(repo: "acme/app", branch: "main", files: ["a.txt": "1"], message: "one")
        gh.setBranch(repo: "acme/app", branch: "rollback/x", to: head)
        var runs: [[String: Any]] = []
        let done = eventually(within: 10) {
            let response = try? Self.call(gh, "GET", "/repos/acme/app/commits/\(head)/check-runs")
            runs = response?.json?["check_runs"] as? [[String: Any]] ?? []
            return runs.count == 1 && runs[0]["status"] as? String == "completed"
        }
        #expect(done, "\(runs)")
        #expect(runs.map { $0["conclusion"] as? String } == ["success"])
    }

    @Test func compareReportsAncestryLikeGitHub() throws {
        let gh = try Self.started()
        defer { gh.stop() }
        let c0 = gh.createRepository("acme/app")
        let c1 = gh.addCommit(repo: "acme/app", branch: "main", files: ["a.txt": "1"], message: "one")
        let c2 = gh.addCommit(repo: "acme/app", branch: "main", files: ["a.txt": "2"], message: "two")
        gh.setBranch(repo: "acme/app", branch: "side", to: c1)
        let s1 = gh.addCommit(repo: "acme/app", branch: "side", files: ["b.txt": "x"], message: "side")
        #expect(c0.count == 40 && c2.allSatisfy(\.isHexDigit))

        func compare(_ base: String, _ head: String) throws -> [String: Any] {
            let response = try Self.call(gh, "GET", "/repos/acme/app/compare/\(base)...\(head)")
            #expect(response.status == 200)
            return response.json ?? [:]
        }
        let behind = try compare(c2, c0)
        #expect(behind["status"] as? String == "behind")
        #expect(behind["behind_by"] as? Int == 2 && behind["ahead_by"] as? Int == 0)
        let ahead = try compare(c0, c2)
        #expect(ahead["status"] as? String == "ahead" && ahead["ahead_by"] as? Int == 2)
        #expect((ahead["commits"] as? [[String: Any]])?.map { $0["sha"] as? String } == [c1, c2])
        #expect(try compare(c2, c2)["status"] as? String == "identical")
        let diverged = try compare("main", "side")
        #expect(diverged["status"] as? String == "diverged")
        #expect(diverged["ahead_by"] as? Int == 1 && diverged["behind_by"] as? Int == 1)
        #expect((diverged["merge_base_commit"] as? [String: Any])?["sha"] as? String == c1)
        _ = s1

        // Commits list: newest first from `sha`, paginated with a Link header.
        let list = try Self.call(gh, "GET", "/repos/acme/app/commits?sha=\(c2)&per_page=2")
        let shas = (try JSONSerialization.jsonObject(with: Data(list.body)) as? [[String: Any]])?.map {
            $0["sha"] as? String
        }
        #expect(shas == [c2, c1])
        #expect(list.header("link")?.contains("rel=\"next\"") == true)
    }

    @Test func mergeGuardsHeadSHAAndMergeability() throws {
        let gh = try Self.started()
        defer { gh.stop() }
        gh.createRepository("acme/gitops", files: ["app.yaml": "targetRevision: aaa\n"])
        gh.setBranch(repo: "acme/gitops", branch: "rollback/app-1234567", to: "main")
        let head1 = gh.addCommit(
            repo: "acme/gitops", branch: "rollback/app-1234567", files: ["app.yaml": "targetRevision: bbb\n"],
            message: "rollback")
        let created = try Self.call(
            gh, "POST", "/repos/acme/gitops/pulls",
            json: ["title": "Rollback", "head": "rollback/app-1234567", "base": "main", "body": "b"])
        #expect(created.status == 201)
        let number = created.json?["number"] as? Int ?? 0
        // Same head/base again: 422.
        let dup = try Self.call(
            gh, "POST", "/repos/acme/gitops/pulls",
            json: ["title": "again", "head": "acme:rollback/app-1234567", "base": "main"])
        #expect(dup.status == 422)

        // The head moves after approval: a merge with the old SHA is refused with 409.
        let head2 = gh.addCommit(
            repo: "acme/gitops", branch: "rollback/app-1234567", files: ["x": "y"], message: "sneaky")
        let stale = try Self.call(
            gh, "PUT", "/repos/acme/gitops/pulls/\(number)/merge", json: ["sha": head1, "merge_method": "squash"])
        #expect(stale.status == 409)
        #expect(gh.pulls(repo: "acme/gitops").first?.merged == false)

        // Not mergeable: 405.
        gh.setMergeable(repo: "acme/gitops", number: number, mergeable: false)
        let blocked = try Self.call(
            gh, "PUT", "/repos/acme/gitops/pulls/\(number)/merge", json: ["sha": head2, "merge_method": "squash"])
        #expect(blocked.status == 405)
        gh.setMergeable(repo: "acme/gitops", number: number, mergeable: true, state: "clean")

        let merged = try Self.call(
            gh, "PUT", "/repos/acme/gitops/pulls/\(number)/merge", json: ["sha": head2, "merge_method": "squash"])
        #expect(merged.status == 200)
        #expect(merged.json?["merged"] as? Bool == true)
        let squash = merged.json?["sha"] as? String
        #expect(gh.headSHA(repo: "acme/gitops", branch: "main") == squash)
        #expect(gh.commits(repo: "acme/gitops", on: "main").first?.parents.count == 1)
        #expect(gh.file(repo: "acme/gitops", path: "app.yaml") == "targetRevision: bbb\n")
        #expect(gh.merges.count == 1)
        let pr = try Self.call(gh, "GET", "/repos/acme/gitops/pulls/\(number)")
        #expect(pr.json?["merged"] as? Bool == true && pr.json?["state"] as? String == "closed")
        #expect(pr.json?["merge_commit_sha"] as? String == squash)
        let again = try Self.call(gh, "PUT", "/repos/acme/gitops/pulls/\(number)/merge", json: ["sha": head2])
        #expect(again.status == 405)
    }

    @Test func protectedBranchRefusesDirectWritesAndContentsNeedTheBlobSHA() throws {
        let gh = try Self.started()
        defer { gh.stop() }
        let base = gh.createRepository("acme/gitops", files: [".argocd/application.yaml": "targetRevision: old\n"])
        gh.protectBranch(repo: "acme/gitops", branch: "main")
        let got = try Self.call(gh, "GET", "/repos/acme/gitops/contents/.argocd/application.yaml?ref=main")
        #expect(got.status == 200)
        let blob = got.json?["sha"] as? String ?? ""
        let content = (got.json?["content"] as? String ?? "")
        #expect(content.contains("\n"))
        #expect(
            Data(base64Encoded: content.filter { !$0.isWhitespace }).map { String(decoding: $0, as: UTF8.self) }
                == "targetRevision: old\n")
        let newContent = Data("targetRevision: new\n".utf8).base64EncodedString()

        let direct = try Self.call(
            gh, "PUT", "/repos/acme/gitops/contents/.argocd/application.yaml",
            json: ["message": "x", "content": newContent, "sha": blob, "branch": "main"])
        #expect(direct.status == 409)
        let refMove = try Self.call(
            gh, "PATCH", "/repos/acme/gitops/git/refs/heads/main", json: ["sha": base, "force": true])
        #expect(refMove.status == 422)

        let ref = try Self.call(
            gh, "POST", "/repos/acme/gitops/git/refs", json: ["ref": "refs/heads/rollback/app-abcdef0", "sha": base])
        #expect(ref.status == 201)
        let exists = try Self.call(
            gh, "POST", "/repos/acme/gitops/git/refs", json: ["ref": "refs/heads/rollback/app-abcdef0", "sha": base])
        #expect(exists.status == 422 && exists.json?["message"] as? String == "Reference already exists")
        let single = try Self.call(gh, "GET", "/repos/acme/gitops/git/ref/heads/rollback/app-abcdef0")
        #expect((single.json?["object"] as? [String: Any])?["sha"] as? String == base)

        let stale = try Self.call(
            gh, "PUT", "/repos/acme/gitops/contents/.argocd/application.yaml",
            json: [
                "message": "x", "content": newContent, "sha": String(repeating: "0", count: 40),
                "branch": "rollback/app-abcdef0",
            ])
        #expect(stale.status == 409)
        let ok = try Self.call(
            gh, "PUT", "/repos/acme/gitops/contents/.argocd/application.yaml",
            json: ["message": "Rollback", "content": newContent, "sha": blob, "branch": "rollback/app-abcdef0"])
        #expect(ok.status == 200)
        let commits = gh.commits(repo: "acme/gitops", on: "rollback/app-abcdef0")
        #expect(commits.count == 2 && commits[0].parents == [base])
        #expect(gh.headSHA(repo: "acme/gitops", branch: "main") == base)
    }

    @Test func authETagsAndRateLimitBudget() throws {
        let gh = try Self.started()
        defer { gh.stop() }
        gh.createRepository("acme/app")
        #expect(try Self.call(gh, "GET", "/repos/acme/app", auth: nil).status == 401)
        #expect(try Self.call(gh, "GET", "/repos/acme/app", auth: "token nope").status == 401)
        let first = try Self.call(gh, "GET", "/repos/acme/app/git/ref/heads/main", auth: "token \(Self.token)")
        #expect(first.status == 200)
        let etag = try #require(first.header("etag"))
        #expect(first.header("x-ratelimit-limit") == "5000" && first.header("x-ratelimit-resource") == "core")
        let remaining = Int(first.header("x-ratelimit-remaining") ?? "") ?? -1
        let cached = try Self.call(gh, "GET", "/repos/acme/app/git/ref/heads/main", headers: [("If-None-Match", etag)])
        #expect(cached.status == 304 && cached.body.isEmpty)
        #expect(Int(cached.header("x-ratelimit-remaining") ?? "") == remaining)

        gh.setRateLimit(limit: 5000, remaining: 0, resetAt: Date().addingTimeInterval(120))
        let limited = try Self.call(gh, "GET", "/repos/acme/app")
        #expect(limited.status == 403 && limited.header("x-ratelimit-remaining") == "0")
        #expect(limited.header("x-ratelimit-reset").flatMap(Int.init) ?? 0 > Int(Date().timeIntervalSince1970))

        gh.setRateLimit(remaining: 100)
        gh.faults.inject(.rateLimit(status: 429, retryAfter: 7), method: "GET", path: "/repos/*/*/pulls/**")
        let secondary = try Self.call(gh, "GET", "/repos/acme/app/pulls/1")
        #expect(secondary.status == 429 && secondary.header("retry-after") == "7")
        #expect(try Self.call(gh, "GET", "/repos/acme/app/pulls").status == 200)

        let log = gh.requestLog
        #expect(log.allSatisfy { ($0.headers["authorization"] ?? "<redacted>").hasSuffix("<redacted>") })
        #expect(!log.contains { $0.headers.values.contains { $0.contains(Self.token) } })
    }

    @Test func appJWTIsVerifiedWithThePublicKey() throws {
        let gh = try Self.started()
        defer { gh.stop() }
        gh.createRepository("acme/app")
        let keys = try #require(SimulatorCrypto.generateRSAKeyPair())
        let other = try #require(SimulatorCrypto.generateRSAKeyPair())
        #expect(keys.privatePEM.contains("BEGIN RSA PRIVATE KEY") && keys.publicPEM.contains("BEGIN PUBLIC KEY"))
        gh.configureApp(appID: 4242, clientID: "Iv1.simulator", publicKeyPEM: keys.publicPEM, installationID: 99)

        let good = try #require(SimulatorCrypto.appJWT(privateKeyPEM: keys.privatePEM, issuer: "4242"))
        let minted = try Self.call(gh, "POST", "/app/installations/99/access_tokens", auth: "Bearer \(good)")
        #expect(minted.status == 201)
        let token = try #require(minted.json?["token"] as? String)
        #expect(Timestamp.parse(minted.json?["expires_at"] as? String ?? "") != nil)
        #expect(try Self.call(gh, "GET", "/repos/acme/app", auth: "token \(token)").status == 200)
        // The client id is accepted as issuer too.
        let byClientID = try #require(SimulatorCrypto.appJWT(privateKeyPEM: keys.privatePEM, issuer: "Iv1.simulator"))
        #expect(
            try Self.call(gh, "POST", "/app/installations/99/access_tokens", auth: "Bearer \(byClientID)").status == 201
        )

        let wrongKey = try #require(SimulatorCrypto.appJWT(privateKeyPEM: other.privatePEM, issuer: "4242"))
        #expect(
            try Self.call(gh, "POST", "/app/installations/99/access_tokens", auth: "Bearer \(wrongKey)").status == 401)
        let expired = try #require(
            SimulatorCrypto.appJWT(privateKeyPEM: keys.privatePEM, issuer: "4242", iatOffset: -1200, expOffset: -600))
        #expect(
            try Self.call(gh, "POST", "/app/installations/99/access_tokens", auth: "Bearer \(expired)").status == 401)
        let tooLong = try #require(
            SimulatorCrypto.appJWT(privateKeyPEM: keys.privatePEM, issuer: "4242", expOffset: 3600))
        #expect(
            try Self.call(gh, "POST", "/app/installations/99/access_tokens", auth: "Bearer \(tooLong)").status == 401)
        let wrongIssuer = try #require(SimulatorCrypto.appJWT(privateKeyPEM: keys.privatePEM, issuer: "1"))
        #expect(
            try Self.call(gh, "POST", "/app/installations/99/access_tokens", auth: "Bearer \(wrongIssuer)").status
                == 401)
        #expect(try Self.call(gh, "POST", "/app/installations/98/access_tokens", auth: "Bearer \(good)").status == 404)

        gh.expireInstallationTokens()
        #expect(try Self.call(gh, "GET", "/repos/acme/app", auth: "Bearer \(token)").status == 401)
    }

    @Test func webhooksAreSignedLikeGitHubAndCanBeRedelivered() throws {
        // The documented vector: the helper used below to recompute signatures is HMAC-SHA256.
        #expect(
            SimulatorCrypto.hmacSHA256Hex(
                key: Array("It's a Secret to Everybody".utf8), data: Array("Hello, World!".utf8))
                == "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17")

        final class Received: @unchecked Sendable {
            // Safe: guarded by `lock`.
            let lock = NSLock()
            var requests: [HTTPRequest] = []
        }
        let received = Received()
        var router = Router()
        router.post("/webhooks/github") { request, responder in
            received.lock.lock()
            received.requests.append(request)
            received.lock.unlock()
            responder.respond(.text(202, "accepted"))
        }
        let receiver = HTTPServer(
            configuration: .init(address: "127.0.0.1:0", threads: 1, shutdownGraceSeconds: 1), router: router)
        try receiver.start()
        defer { receiver.stop() }
        let gh = try Self.started()
        defer { gh.stop() }
        let secret = "webhook-secret-\(UUID().uuidString)"
        gh.configureWebhooks(url: "http://127.0.0.1:\(receiver.port)/webhooks/github", secret: secret)

        let sha = gh.createRepository("acme/app")
        gh.setCheckRun(repo: "acme/app", sha: sha, name: "build", status: "completed", conclusion: "failure")
        #expect(gh.webhooks.waitUntilSent(count: 2, timeout: 10))
        let deliveries = gh.webhooks.deliveries
        #expect(deliveries.map(\.event) == ["check_run", "check_suite"])
        #expect(deliveries.allSatisfy { $0.statusCode == 202 })

        received.lock.lock()
        let requests = received.requests
        received.lock.unlock()
        #expect(requests.count == 2)
        for request in requests {
            let expected = "sha256=" + SimulatorCrypto.hmacSHA256Hex(key: Array(secret.utf8), data: request.body)
            #expect(request.header("x-hub-signature-256") == expected)
            #expect(request.header("user-agent")?.hasPrefix("GitHub-Hookshot/") == true)
            #expect(request.header("content-type") == "application/json")
            #expect(UUID(uuidString: request.header("x-github-delivery") ?? "") != nil)
        }
        let suite = try #require(requests.first { $0.header("x-github-event") == "check_suite" })
        let payload = try #require(try JSONSerialization.jsonObject(with: Data(suite.body)) as? [String: Any])
        #expect(payload["action"] as? String == "completed")
        #expect((payload["check_suite"] as? [String: Any])?["conclusion"] as? String == "failure")
        #expect((payload["check_suite"] as? [String: Any])?["head_sha"] as? String == sha)
        #expect((payload["repository"] as? [String: Any])?["full_name"] as? String == "acme/app")
        #expect((payload["installation"] as? [String: Any])?["id"] is Int)

        let id = deliveries[1].id
        #expect(gh.webhooks.redeliver(id))
        #expect(gh.webhooks.waitUntilSent(count: 3, timeout: 10))
        received.lock.lock()
        let again = received.requests.last
        received.lock.unlock()
        #expect(again?.header("x-github-delivery") == suite.header("x-github-delivery"))
        #expect(again?.body == suite.body)
    }
}
