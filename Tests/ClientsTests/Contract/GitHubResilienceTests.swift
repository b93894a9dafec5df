import Clients
import Foundation
import Simulator
import Testing

@Suite("GitHub retries, rate limits, ETags, permissions against the simulator")
struct GitHubResilienceTests {
    @Test func serverErrorsAreRetriedWithOneTwoFourSecondBackoff() async throws {
        let fixture = try GitHubFixture()
        defer { fixture.stop() }
        // Two failures, then success: waits 1 s and 2 s.
        fixture.sim.faults.inject(.status(502), method: "GET", path: "/repos/acme/gitops/git/ref/**", count: 2)
        let ref = try await fixture.client.getBranch(repo: GitHubFixture.repo, branch: "main")
        #expect(ref.sha == fixture.mainSHA)
        #expect(fixture.harness.delays == [.seconds(1), .seconds(2)])
        #expect(fixture.harness.last("github.getRef")?.retryCount == 2)
        #expect(fixture.harness.last("github.getRef")?.result == "ok")

        // Always failing: 4 tries, waits 1/2/4 s, then NETWORK_ERROR.
        fixture.harness.sleeper.reset()
        fixture.sim.faults.inject(.status(503), method: "GET", path: "/repos/acme/gitops/git/ref/**", count: 10)
        let failure = await apiError { try await fixture.client.getBranch(repo: GitHubFixture.repo, branch: "main") }
        #expect(failure?.code == .networkError)
        #expect(failure?.status == 503)
        #expect(fixture.harness.delays == [.seconds(1), .seconds(2), .seconds(4)])
        #expect(fixture.harness.last("github.getRef")?.retryCount == 3)
        #expect(fixture.harness.last("github.getRef")?.result == "NETWORK_ERROR")
        #expect(fixture.harness.metrics.errors.current["github.getRef|NETWORK_ERROR"] == 1)
        fixture.sim.faults.clear()
    }

    @Test func droppedConnectionsAreNetworkErrorsAndRetried() async throws {
        let fixture = try GitHubFixture()
        defer { fixture.stop() }
        fixture.sim.faults.inject(.drop, method: "GET", path: "/repos/acme/gitops/commits", count: 1)
        let commits = try await fixture.client.listCommits(repo: GitHubFixture.repo, from: "main")
        #expect(commits.count == 1)
        #expect(fixture.harness.delays == [.seconds(1)])
        #expect(fixture.harness.last("github.listCommits")?.retryCount == 1)
    }

    @Test func rateLimitWaitsRetryAfterThenTriesOnce() async throws {
        let fixture = try GitHubFixture()
        defer { fixture.stop() }
        fixture.sim.faults.inject(
            .rateLimit(status: 429, retryAfter: 7, resetIn: nil), method: "GET", path: "/repos/acme/gitops/git/ref/**",
            count: 1)
        _ = try await fixture.client.getBranch(repo: GitHubFixture.repo, branch: "main")
        #expect(fixture.harness.delays == [.seconds(7)])
        #expect(fixture.harness.logs.current.contains { $0.contains("rate limited") })

        // Secondary limit as 403 + retry-after; twice in a row: one wait, then RATE_LIMIT_EXCEEDED.
        fixture.harness.sleeper.reset()
        fixture.sim.faults.inject(
            .rateLimit(status: 403, retryAfter: 3, resetIn: nil), method: "GET", path: "/repos/acme/gitops/git/ref/**",
            count: 2)
        let failure = await apiError { try await fixture.client.getBranch(repo: GitHubFixture.repo, branch: "main") }
        #expect(failure?.code == .rateLimitExceeded)
        #expect(fixture.harness.delays == [.seconds(3)])
        #expect(fixture.harness.last("github.getRef")?.retryCount == 1)
    }

    @Test func exhaustedPrimaryLimitWaitsUntilResetBounded() async throws {
        let fixture = try GitHubFixture(retryPolicy: RetryPolicy(maxRateLimitWait: .seconds(120)))
        defer { fixture.stop() }
        // 403 with x-ratelimit-remaining 0 and a reset 40 s away.
        fixture.sim.faults.inject(
            .rateLimit(status: 403, retryAfter: nil, resetIn: 40), method: "GET", path: "/repos/acme/gitops/git/ref/**",
            count: 1)
        _ = try await fixture.client.getBranch(repo: GitHubFixture.repo, branch: "main")
        let waited = fixture.harness.delays.first.map { Int($0.components.seconds) } ?? -1
        #expect(fixture.harness.delays.count == 1)
        #expect((38...41).contains(waited))

        // A reset an hour away is beyond the bound: no wait, RATE_LIMIT_EXCEEDED at once.
        fixture.harness.sleeper.reset()
        fixture.sim.faults.inject(
            .rateLimit(status: 403, retryAfter: nil, resetIn: 3600), method: "GET",
            path: "/repos/acme/gitops/git/ref/**", count: 1)
        let failure = await apiError { try await fixture.client.getBranch(repo: GitHubFixture.repo, branch: "main") }
        #expect(failure?.code == .rateLimitExceeded)
        #expect(fixture.harness.delays.isEmpty)
    }

    @Test func budgetIsExposedAndWarnsBelowOneThousand() async throws {
        let warnings = Locked<[Int]>([])
        let monitor = RateLimitMonitor(onWarning: { budget in warnings.withLock { $0.append(budget.remaining) } })
        let fixture = try GitHubFixture(rateLimit: monitor)
        defer { fixture.stop() }
        fixture.sim.setRateLimit(limit: 5000, remaining: 1001)
        _ = try await fixture.client.getBranch(repo: GitHubFixture.repo, branch: "main")
        #expect(monitor.remaining == 1000)
        #expect(warnings.current.isEmpty)
        _ = try await fixture.client.getBranch(repo: GitHubFixture.repo, branch: "staging")
        _ = try await fixture.client.listCommits(repo: GitHubFixture.repo)
        #expect(monitor.remaining == 998)
        #expect(monitor.budget?.limit == 5000)
        #expect(warnings.current == [999])  // once, when crossing the threshold
    }

    @Test func pollingUsesETagsAndA304ReturnsTheCachedBody() async throws {
        let fixture = try GitHubFixture()
        defer { fixture.stop() }
        let commitSHA = fixture.sim.addCommit(repo: GitHubFixture.repo, branch: "main", files: ["x": "1"], message: "x")
        fixture.sim.setCheckRun(
            repo: GitHubFixture.repo, sha: commitSHA, name: "build", status: "in_progress", conclusion: nil)
        fixture.sim.clearRequestLog()
        let first = try await fixture.client.checkRuns(repo: GitHubFixture.repo, ref: commitSHA)
        let second = try await fixture.client.checkRuns(repo: GitHubFixture.repo, ref: commitSHA)
        #expect(first == second)
        let log = fixture.sim.requestLog
        #expect(log.count == 2)
        #expect(log[0].headers["if-none-match"] == nil)
        #expect(log[1].headers["if-none-match"] != nil)
        #expect(log[1].status == 304)
        #expect(fixture.harness.last("github.listCheckRuns")?.httpStatus == 304)
        #expect(fixture.harness.last("github.listCheckRuns")?.response?.contains("not modified") == true)

        // A change gives a new body (200) and a new ETag.
        fixture.sim.setCheckRun(
            repo: GitHubFixture.repo, sha: commitSHA, name: "build", status: "completed", conclusion: "success")
        let third = try await fixture.client.checkRuns(repo: GitHubFixture.repo, ref: commitSHA)
        #expect(third.checkRuns.first?.conclusion == "success")
        #expect(fixture.sim.requestLog.last?.status == 200)
    }

    @Test func permissionAndValidationErrors() async throws {
        let fixture = try GitHubFixture()
        defer { fixture.stop() }
        fixture.sim.faults.inject(.status(403), method: "POST", path: "/repos/acme/gitops/issues", count: 1)
        let denied = await apiError {
            try await fixture.client.createIssue(repo: GitHubFixture.repo, title: "t", body: "b", labels: [])
        }
        #expect(denied?.code == .permissionDenied)
        #expect(fixture.harness.delays.isEmpty)

        // A revoked token: 401, nothing to refresh for a fixed token ⇒ PERMISSION_DENIED, no retry.
        fixture.sim.revokeToken(GitHubFixture.token)
        let revoked = await apiError { try await fixture.client.getBranch(repo: GitHubFixture.repo, branch: "main") }
        #expect(revoked?.code == .permissionDenied)
        #expect(revoked?.status == 401)
        #expect(fixture.harness.last("github.getRef")?.retryCount == 0)
        fixture.sim.addToken(GitHubFixture.token)

        let invalid = await apiError {
            try await fixture.client.compare(repo: GitHubFixture.repo, base: "main", head: "no-such-ref")
        }
        #expect(invalid?.code == .notFound || invalid?.code == .validationError)
        let badRepo = await apiError { try await fixture.client.getBranch(repo: "not-a-repo", branch: "main") }
        #expect(badRepo?.code == .validationError)
    }

    @Test func requestsCarryTheRequiredHeaders() async throws {
        let fixture = try GitHubFixture()
        defer { fixture.stop() }
        _ = try await fixture.client.getBranch(repo: GitHubFixture.repo, branch: "main")
        let headers = try #require(fixture.sim.requestLog.last?.headers)
        #expect(headers["accept"] == "application/vnd.github+json")
        #expect(headers["x-github-api-version"] == "2022-11-28")
        #expect(headers["user-agent"] == "ai-operator/test")
        #expect(headers["authorization"] == "Bearer <redacted>")
    }
}
