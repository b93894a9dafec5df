// Issue 14: every GitHub list the clients read is read whole, page after page, against the
// simulator's GitHub-style pagination; a list past the cap fails the read instead of being cut.
import Clients
import Foundation
import Simulator
import Testing

@Suite("GitHub lists read whole, across pages, against the simulator")
struct GitHubPaginationTests {
    /// `count` open PRs into `staging` labelled `ai-operator`, numbered in creation order.
    static func openPullRequests(_ fixture: GitHubFixture, count: Int) -> [Int] {
        (0..<count).map { index in
            fixture.sim.createPullRequest(
                repo: GitHubFixture.repo, head: "feature/\(index)", base: "staging", title: "change \(index)",
                labels: ["ai-operator"])
        }
    }

    func listRequests(_ fixture: GitHubFixture, _ path: String) -> [(page: String?, perPage: String?)] {
        fixture.sim.requestLog.filter { $0.method == "GET" && $0.path == path }.map {
            ($0.query["page"], $0.query["per_page"])
        }
    }

    @Test func oneHundredFiftyOpenPullRequestsAreAllReturned() async throws {
        let fixture = try GitHubFixture()
        defer { fixture.stop() }
        let numbers = Self.openPullRequests(fixture, count: 150)
        fixture.sim.clearRequestLog()
        let listed = try await fixture.client.listPullRequests(
            repo: GitHubFixture.repo, state: "open", base: "staging", labels: ["ai-operator"])
        #expect(listed.count == 150)
        #expect(Set(listed.map(\.number)) == Set(numbers))
        let pages = listRequests(fixture, "/repos/acme/gitops/pulls")
        #expect(pages.map(\.page) == [nil, "2"])
        #expect(pages.allSatisfy { $0.perPage == "100" })
        let records = fixture.harness.sink.records(named: "github.listPullRequests")
        #expect(records.map(\.parameters["page"]) == [nil, "2"])
        #expect(records.map(\.response) == ["100 pull requests", "50 pull requests (page 2)"])
    }

    @Test func oneHundredTwentyCheckRunsAndOneHundredFiftyStatusesAreAllReturned() async throws {
        let fixture = try GitHubFixture()
        defer { fixture.stop() }
        for index in 0..<120 {
            fixture.sim.setCheckRun(
                repo: GitHubFixture.repo, sha: fixture.mainSHA, name: "check-\(index)",
                conclusion: index == 119 ? "failure" : "success")
        }
        for index in 0..<150 {
            fixture.sim.setCommitStatus(
                repo: GitHubFixture.repo, sha: fixture.mainSHA, context: "ctx-\(index)",
                state: index == 0 ? "error" : "success")
        }
        let runs = try await fixture.client.checkRuns(repo: GitHubFixture.repo, ref: fixture.mainSHA)
        #expect(runs.totalCount == 120 && runs.checkRuns.count == 120)
        #expect(runs.checkRuns.last?.name == "check-119" && runs.checkRuns.last?.conclusion == "failure")
        #expect(Set(runs.checkRuns.map(\.name)).count == 120)
        let combined = try await fixture.client.combinedStatus(repo: GitHubFixture.repo, ref: fixture.mainSHA)
        #expect(combined.totalCount == 150 && combined.statuses.count == 150)
        #expect(combined.state == "failure")
        #expect(combined.statuses.contains { $0.context == "ctx-0" && $0.state == "error" })
        #expect(listRequests(fixture, "/repos/acme/gitops/commits/\(fixture.mainSHA)/check-runs").count == 2)
        #expect(listRequests(fixture, "/repos/acme/gitops/commits/\(fixture.mainSHA)/status").count == 2)
    }

    @Test func issuesCommentsReviewsAndCommitsFollowEveryPage() async throws {
        let fixture = try GitHubFixture()
        defer { fixture.stop() }
        let issues = (0..<130).map {
            fixture.sim.createIssue(repo: GitHubFixture.repo, title: "escalation \($0)", labels: ["escalation"])
        }
        // PRs carry the label too: the issues API lists them, the client leaves them out.
        let pulls = Self.openPullRequests(fixture, count: 5)
        _ = try await fixture.client.addLabels(repo: GitHubFixture.repo, number: pulls[0], labels: ["escalation"])
        for index in 0..<140 {
            _ = fixture.sim.addComment(repo: GitHubFixture.repo, issue: issues[0], user: "sre", body: "note \(index)")
            _ = fixture.sim.addReview(repo: GitHubFixture.repo, number: pulls[1], user: "r\(index)", state: "COMMENTED")
        }
        var commits: [String] = []
        for index in 0..<160 {
            commits.append(
                fixture.sim.addCommit(
                    repo: GitHubFixture.repo, branch: "main", files: ["n.txt": "\(index)"], message: "c\(index)"))
        }

        let open = try await fixture.client.listIssues(repo: GitHubFixture.repo, labels: ["escalation"])
        #expect(Set(open.map(\.number)) == Set(issues))
        let comments = try await fixture.client.listComments(repo: GitHubFixture.repo, number: issues[0])
        #expect(comments.map(\.body) == (0..<140).map { "note \($0)" })
        let reviews = try await fixture.client.listReviews(repo: GitHubFixture.repo, number: pulls[1])
        #expect(reviews.count == 140 && reviews.last?.user?.login == "r139")
        // Commits are read newest first up to a limit, across pages.
        let newest = try await fixture.client.listCommits(repo: GitHubFixture.repo, from: "main", limit: 150)
        #expect(newest.map(\.sha) == Array(commits.reversed().prefix(150)))
        let oldSpelling = try await fixture.client.listCommits(repo: GitHubFixture.repo, from: "main", perPage: 3)
        #expect(oldSpelling.map(\.sha) == Array(commits.reversed().prefix(3)))
    }

    @Test func aListPastTheCapFailsWithAClearError() async throws {
        let fixture = try GitHubFixture()
        defer { fixture.stop() }
        _ = Self.openPullRequests(fixture, count: 150)
        let capped = try GitHubClient(
            baseURL: fixture.sim.baseURL, credentials: .token(Secret(GitHubFixture.token)),
            context: fixture.harness.context, maxListItems: 120)
        let failure = await apiError {
            try await capped.listPullRequests(repo: GitHubFixture.repo, base: "staging", labels: ["ai-operator"])
        }
        #expect(failure?.code == .validationError)
        #expect(failure?.call == "github.listPullRequests")
        #expect(failure?.message.contains("exceeded 120 items") == true, "\(String(describing: failure))")
        #expect(fixture.harness.last("github.listPullRequests")?.result == "VALIDATION_ERROR")

        // The default cap, 1,000: exactly 1,000 check runs are read whole, one more fails the read
        // from its first page (its `total_count` already says so).
        for index in 0..<1000 {
            fixture.sim.setCheckRun(repo: GitHubFixture.repo, sha: fixture.mainSHA, name: "run-\(index)")
        }
        let thousand = try await fixture.client.checkRuns(repo: GitHubFixture.repo, ref: fixture.mainSHA)
        #expect(thousand.checkRuns.count == 1000)
        fixture.sim.setCheckRun(repo: GitHubFixture.repo, sha: fixture.mainSHA, name: "run-1000", conclusion: "failure")
        fixture.sim.clearRequestLog()
        let overCap = await apiError {
            try await fixture.client.checkRuns(repo: GitHubFixture.repo, ref: fixture.mainSHA)
        }
        #expect(overCap?.code == .validationError)
        #expect(overCap?.message.contains("exceeded 1000 items") == true, "\(String(describing: overCap))")
        #expect(fixture.sim.requestLog.count == 1)
    }
}
