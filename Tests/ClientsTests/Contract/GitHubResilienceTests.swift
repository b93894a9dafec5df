import Clients
import Foundation
import Simulator
import Testing

@Suite("GitHub retries, rate limits, ETags, permissions against the simulator")
struct GitHubResilienceTests {
    @Test func serverErrorsAreRetriedWithOneTwoFourSecondBackoff() async throws {
        let f = try GitHubFixture()
        defer { f.stop() }
        // Two failures, then success: waits 1 s and 2 s.
        f.sim.faults.inject(.status(502), method: "GET", path: "/repos/acme/gitops/git/ref/**", count: 2)
        let ref = try await f.client.getBranch(repo: GitHubFixture.repo, branch: "main")
        #expect(ref.sha == f.mainSHA)
        #expect(f.harness.delays == [.seconds(1), .seconds(2)])
        #expect(f.harness.last("github.getRef")?.retryCount == 2)
        #expect(f.harness.last("github.getRef")?.result == "ok")

        // Always failing: 4 tries, waits 1/2/4 s, then NETWORK_ERROR.
        f.harness.sleeper.reset()
        f.sim.faults.inject(.status(503), method: "GET", path: "/repos/acme/gitops/git/ref/**", count: 10)
        let e = await apiError { try await f.client.getBranch(repo: GitHubFixture.repo, branch: "main") }
        #expect(e?.code == .networkError)
        #expect(e?.status == 503)
        #expect(f.harness.delays == [.seconds(1), .seconds(2), .seconds(4)])
        #expect(f.harness.last("github.getRef")?.retryCount == 3)
        #expect(f.harness.last("github.getRef")?.result == "NETWORK_ERROR")
        #expect(f.harness.metrics.errors.current["github.getRef|NETWORK_ERROR"] == 1)
        f.sim.faults.clear()
    }

    @Test func droppedConnectionsAreNetworkErrorsAndRetried() async throws {
        let f = try GitHubFixture()
        defer { f.stop() }
        f.sim.faults.inject(.drop, method: "GET", path: "/repos/acme/gitops/commits", count: 1)
        let commits = try await f.client.listCommits(repo: GitHubFixture.repo, from: "main")
        #expect(commits.count == 1)
        #expect(f.harness.delays == [.seconds(1)])
        #expect(f.harness.last("github.listCommits")?.retryCount == 1)
    }

    @Test func rateLimitWaitsRetryAfterThenTriesOnce() async throws {
        let f = try GitHubFixture()
        defer { f.stop() }
        f.sim.faults.inject(
            .rateLimit(status: 429, retryAfter: 7, resetIn: nil), method: "GET", path: "/repos/acme/gitops/git/ref/**",
            count: 1)
        _ = try await f.client.getBranch(repo: GitHubFixture.repo, branch: "main")
        #expect(f.harness.delays == [.seconds(7)])
        #expect(f.harness.logs.current.contains { $0.contains("rate limited") })

        // Secondary limit as 403 + retry-after; twice in a row: one wait, then RATE_LIMIT_EXCEEDED.
        f.harness.sleeper.reset()
        f.sim.faults.inject(
            .rateLimit(status: 403, retryAfter: 3, resetIn: nil), method: "GET", path: "/repos/acme/gitops/git/ref/**",
            count: 2)
        let e = await apiError { try await f.client.getBranch(repo: GitHubFixture.repo, branch: "main") }
        #expect(e?.code == .rateLimitExceeded)
        #expect(f.harness.delays == [.seconds(3)])
        #expect(f.harness.last("github.getRef")?.retryCount == 1)
    }

    @Test func exhaustedPrimaryLimitWaitsUntilResetBounded() async throws {
        let f = try GitHubFixture(retryPolicy: RetryPolicy(maxRateLimitWait: .seconds(120)))
        defer { f.stop() }
        // 403 with x-ratelimit-remaining 0 and a reset 40 s away.
        f.sim.faults.inject(
            .rateLimit(status: 403, retryAfter: nil, resetIn: 40), method: "GET", path: "/repos/acme/gitops/git/ref/**",
            count: 1)
        _ = try await f.client.getBranch(repo: GitHubFixture.repo, branch: "main")
        let waited = f.harness.delays.first.map { Int($0.components.seconds) } ?? -1
        #expect(f.harness.delays.count == 1)
        #expect((38...41).contains(waited))

        // A reset an hour away is beyond the bound: no wait, RATE_LIMIT_EXCEEDED at once.
        f.harness.sleeper.reset()
        f.sim.faults.inject(
            .rateLimit(status: 403, retryAfter: nil, resetIn: 3600), method: "GET",
            path: "/repos/acme/gitops/git/ref/**", count: 1)
        let e = await apiError { try await f.client.getBranch(repo: GitHubFixture.repo, branch: "main") }
        #expect(e?.code == .rateLimitExceeded)
        #expect(f.harness.delays.isEmpty)
    }

    @Test func budgetIsExposedAndWarnsBelowOneThousand() async throws {
        let warnings = Locked<[Int]>([])
        let monitor = RateLimitMonitor(onWarning: { b in warnings.withLock { $0.append(b.remaining) } })
        let f = try GitHubFixture(rateLimit: monitor)
        defer { f.stop() }
        f.sim.setRateLimit(limit: 5000, remaining: 1001)
        _ = try await f.client.getBranch(repo: GitHubFixture.repo, branch: "main")
        #expect(monitor.remaining == 1000)
        #expect(warnings.current.isEmpty)
        _ = try await f.client.getBranch(repo: GitHubFixture.repo, branch: "staging")
        _ = try await f.client.listCommits(repo: GitHubFixture.repo)
        #expect(monitor.remaining == 998)
        #expect(monitor.budget?.limit == 5000)
        #expect(warnings.current == [999])  // once, when crossing the threshold
    }

    @Test func pollingUsesETagsAndA304ReturnsTheCachedBody() async throws {
        let f = try GitHubFixture()
        defer { f.stop() }
        let c = f.sim.addCommit(repo: GitHubFixture.repo, branch: "main", files: ["x": "1"], message: "x")
        f.sim.setCheckRun(repo: GitHubFixture.repo, sha: c, name: "build", status: "in_progress", conclusion: nil)
        f.sim.clearRequestLog()
        let first = try await f.client.checkRuns(repo: GitHubFixture.repo, ref: c)
        let second = try await f.client.checkRuns(repo: GitHubFixture.repo, ref: c)
        #expect(first == second)
        let log = f.sim.requestLog
        #expect(log.count == 2)
        #expect(log[0].headers["if-none-match"] == nil)
        #expect(log[1].headers["if-none-match"] != nil)
        #expect(log[1].status == 304)
        #expect(f.harness.last("github.listCheckRuns")?.httpStatus == 304)
        #expect(f.harness.last("github.listCheckRuns")?.response?.contains("not modified") == true)

        // A change gives a new body (200) and a new ETag.
        f.sim.setCheckRun(repo: GitHubFixture.repo, sha: c, name: "build", status: "completed", conclusion: "success")
        let third = try await f.client.checkRuns(repo: GitHubFixture.repo, ref: c)
        #expect(third.checkRuns.first?.conclusion == "success")
        #expect(f.sim.requestLog.last?.status == 200)
    }

    @Test func permissionAndValidationErrors() async throws {
        let f = try GitHubFixture()
        defer { f.stop() }
        f.sim.faults.inject(.status(403), method: "POST", path: "/repos/acme/gitops/issues", count: 1)
        let denied = await apiError {
            try await f.client.createIssue(repo: GitHubFixture.repo, title: "t", body: "b", labels: [])
        }
        #expect(denied?.code == .permissionDenied)
        #expect(f.harness.delays.isEmpty)

        // A revoked token: 401, nothing to refresh for a fixed token ⇒ PERMISSION_DENIED, no retry.
        f.sim.revokeToken(GitHubFixture.token)
        let revoked = await apiError { try await f.client.getBranch(repo: GitHubFixture.repo, branch: "main") }
        #expect(revoked?.code == .permissionDenied)
        #expect(revoked?.status == 401)
        #expect(f.harness.last("github.getRef")?.retryCount == 0)
        f.sim.addToken(GitHubFixture.token)

        let invalid = await apiError {
            try await f.client.compare(repo: GitHubFixture.repo, base: "main", head: "no-such-ref")
        }
        #expect(invalid?.code == .notFound || invalid?.code == .validationError)
        let badRepo = await apiError { try await f.client.getBranch(repo: "not-a-repo", branch: "main") }
        #expect(badRepo?.code == .validationError)
    }

    @Test func requestsCarryTheRequiredHeaders() async throws {
        let f = try GitHubFixture()
        defer { f.stop() }
        _ = try await f.client.getBranch(repo: GitHubFixture.repo, branch: "main")
        let h = try #require(f.sim.requestLog.last?.headers)
        #expect(h["accept"] == "application/vnd.github+json")
        #expect(h["x-github-api-version"] == "2022-11-28")
        #expect(h["user-agent"] == "ai-operator/test")
        #expect(h["authorization"] == "Bearer <redacted>")
    }
}
