import Clients
import Foundation
import Simulator
import Testing

@Suite("GitHub pulls, issues, teams against the simulator")
struct GitHubPullsIssuesTests {
    /// A rollback branch with one commit, ready for a PR into `staging`.
    func prepareBranch(_ fixture: GitHubFixture, _ branch: String = "rollback/checkout-bbbbbbb") async throws {
        _ = try await fixture.client.createBranch(repo: GitHubFixture.repo, branch: branch, sha: fixture.mainSHA)
        let file = try await fixture.client.getFile(repo: GitHubFixture.repo, path: GitHubFixture.manifest, ref: branch)
        _ = try await fixture.client.putFile(
            repo: GitHubFixture.repo, path: GitHubFixture.manifest, branch: branch,
            content: Array(file.text.replacingOccurrences(of: "aaaaaaa", with: "bbbbbbb").utf8),
            message: "Rollback", sha: file.sha)
    }

    @Test func createGetListLabelAndClosePullRequests() async throws {
        let fixture = try GitHubFixture()
        defer { fixture.stop() }
        try await prepareBranch(fixture)
        let pr = try await fixture.client.createPullRequest(
            repo: GitHubFixture.repo, title: "Rollback: checkout to bbbbbbb (degraded in staging)",
            head: "rollback/checkout-bbbbbbb", base: "staging", body: "body")
        #expect(pr.state == "open")
        #expect(pr.head.ref == "rollback/checkout-bbbbbbb")
        #expect(fixture.harness.last("github.createPullRequest")?.response == "#\(pr.number)")

        let dup = await apiError {
            try await fixture.client.createPullRequest(
                repo: GitHubFixture.repo, title: "t", head: "rollback/checkout-bbbbbbb", base: "staging", body: "")
        }
        #expect(dup?.code == .conflict)

        let labels = try await fixture.client.addLabels(
            repo: GitHubFixture.repo, number: pr.number, labels: ["ai-operator", "rollback", "staging"])
        #expect(Set(labels.map(\.name)) == ["ai-operator", "rollback", "staging"])

        let got = try await fixture.client.getPullRequest(repo: GitHubFixture.repo, number: pr.number)
        #expect(got.head.sha == fixture.sim.headSHA(repo: GitHubFixture.repo, branch: "rollback/checkout-bbbbbbb"))
        #expect(got.labelNames.contains("ai-operator"))

        let byHead = try await fixture.client.listPullRequests(
            repo: GitHubFixture.repo, head: "rollback/checkout-bbbbbbb", base: "staging")
        #expect(byHead.map(\.number) == [pr.number])
        let byLabel = try await fixture.client.listPullRequests(
            repo: GitHubFixture.repo, base: "staging", labels: ["ai-operator"])
        #expect(byLabel.map(\.number) == [pr.number])
        let otherBase = try await fixture.client.listPullRequests(repo: GitHubFixture.repo, base: "main")
        #expect(otherBase.isEmpty)

        let closed = try await fixture.client.closePullRequest(repo: GitHubFixture.repo, number: pr.number)
        #expect(closed.state == "closed")
        #expect(try await fixture.client.listPullRequests(repo: GitHubFixture.repo, base: "staging").isEmpty)

        let missing = await apiError { try await fixture.client.getPullRequest(repo: GitHubFixture.repo, number: 9999) }
        #expect(missing?.code == .notFound)
    }

    @Test func mergeWithHeadGuardAndItsErrorCodes() async throws {
        let fixture = try GitHubFixture()
        defer { fixture.stop() }
        try await prepareBranch(fixture)
        let pr = try await fixture.client.createPullRequest(
            repo: GitHubFixture.repo, title: "Rollback", head: "rollback/checkout-bbbbbbb",
            base: "staging", body: "")
        let head = pr.head.sha

        // The head moved since it was read: 409 → BASE_SHA_MISMATCH.
        let stale = await apiError {
            try await fixture.client.mergePullRequest(
                repo: GitHubFixture.repo, number: pr.number, headSha: fixture.mainSHA)
        }
        #expect(stale?.code == .baseShaMismatch)
        #expect(stale?.status == 409)

        // Not mergeable: 405 → NOT_MERGEABLE.
        fixture.sim.setMergeable(repo: GitHubFixture.repo, number: pr.number, mergeable: false, state: "dirty")
        let blocked = await apiError {
            try await fixture.client.mergePullRequest(repo: GitHubFixture.repo, number: pr.number, headSha: head)
        }
        #expect(blocked?.code == .notMergeable)
        #expect(fixture.harness.last("github.mergePullRequest")?.result == "NOT_MERGEABLE")
        #expect(fixture.harness.metrics.errors.current["github.mergePullRequest|NOT_MERGEABLE"] == 1)

        fixture.sim.setMergeable(repo: GitHubFixture.repo, number: pr.number, mergeable: true, state: "clean")
        let merged = try await fixture.client.mergePullRequest(
            repo: GitHubFixture.repo, number: pr.number, headSha: head,
            commitTitle: "Rollback (#\(pr.number))")
        guard case .merged(let sha) = merged else {
            Issue.record("expected a merge")
            return
        }
        #expect(fixture.sim.headSHA(repo: GitHubFixture.repo, branch: "staging") == sha)
        #expect(fixture.sim.merges.last?.method == "squash")
        let body = fixture.sim.requestLog.last { $0.method == "PUT" && $0.path.hasSuffix("/merge") }?.bodyJSON
        #expect(body?["sha"] as? String == head)
        #expect(body?["merge_method"] as? String == "squash")

        // Merging again: GitHub says 405; the PR is merged, so it is ALREADY_MERGED = success.
        let again = try await fixture.client.mergePullRequest(
            repo: GitHubFixture.repo, number: pr.number, headSha: head)
        #expect(again == .alreadyMerged(sha: sha))
        let record = fixture.harness.last("github.mergePullRequest")
        #expect(record?.result == "ok")
        #expect(record?.response?.hasPrefix("ALREADY_MERGED") == true)
        let fresh = try await fixture.client.getPullRequest(repo: GitHubFixture.repo, number: pr.number)
        #expect(fresh.isMerged)
    }

    @Test func reviewsIssuesCommentsAndTeams() async throws {
        let fixture = try GitHubFixture()
        defer { fixture.stop() }
        try await prepareBranch(fixture)
        let pr = try await fixture.client.createPullRequest(
            repo: GitHubFixture.repo, title: "Rollback", head: "rollback/checkout-bbbbbbb",
            base: "staging", body: "")
        fixture.sim.addReview(repo: GitHubFixture.repo, number: pr.number, user: "senior-sam", state: "APPROVED")
        fixture.sim.addReview(repo: GitHubFixture.repo, number: pr.number, user: "dev-dan", state: "COMMENTED")
        let reviews = try await fixture.client.listReviews(repo: GitHubFixture.repo, number: pr.number)
        #expect(reviews.map(\.state) == ["APPROVED", "COMMENTED"])
        #expect(reviews.first?.user?.login == "senior-sam")
        #expect(reviews.first?.commitId == pr.head.sha)

        let issue = try await fixture.client.createIssue(
            repo: GitHubFixture.repo, title: "[URGENT] AI Operator Escalation: checkout - CI failed",
            body: "Reason code: CI_FAILURE", labels: ["ai-operator", "escalation", "urgent", "staging"])
        #expect(issue.state == "open")
        let listed = try await fixture.client.listIssues(
            repo: GitHubFixture.repo, labels: ["ai-operator", "escalation"])
        #expect(listed.map(\.number) == [issue.number])  // the PR (also an issue) is not listed

        let comment = try await fixture.client.createComment(
            repo: GitHubFixture.repo, number: issue.number, body: "escalated again")
        fixture.sim.addComment(repo: GitHubFixture.repo, issue: issue.number, user: "senior-sam", body: "RESET")
        let comments = try await fixture.client.listComments(repo: GitHubFixture.repo, number: issue.number)
        #expect(comments.map(\.body) == ["escalated again", "RESET"])
        #expect(comments.first?.id == comment.id)
        #expect(comments.last?.user?.login == "senior-sam")

        let closed = try await fixture.client.closeIssue(repo: GitHubFixture.repo, number: issue.number)
        #expect(closed.state == "closed")
        #expect(try await fixture.client.listIssues(repo: GitHubFixture.repo, labels: ["escalation"]).isEmpty)

        fixture.sim.addTeamMember(org: "acme", team: "sre-leads", user: "senior-sam")
        fixture.sim.addTeamMember(org: "acme", team: "sre-leads", user: "invited-ivy", state: "pending")
        #expect(try await fixture.client.isActiveTeamMember(org: "acme", team: "sre-leads", user: "senior-sam"))
        #expect(try await !fixture.client.isActiveTeamMember(org: "acme", team: "sre-leads", user: "invited-ivy"))
        #expect(try await !fixture.client.isActiveTeamMember(org: "acme", team: "sre-leads", user: "stranger"))
        #expect(fixture.harness.last("github.getTeamMembership")?.result == "ok")
    }
}
