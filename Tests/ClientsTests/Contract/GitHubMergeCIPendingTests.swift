import Clients
import Foundation
import Simulator
import Testing

@Suite struct GitHubMergeCIPendingTests {
    @Test func aRequiredCheckNotYetReportedIsCIPending() async throws {
        let fixture = try GitHubFixture()
        defer { fixture.stop() }
        fixture.sim.protectBranch(repo: GitHubFixture.repo, branch: "staging", requiredChecks: ["deploy-gate"])
        _ = try await fixture.client.createBranch(
            repo: GitHubFixture.repo, branch: "rollback/app-ccccccc", sha: fixture.mainSHA)
        _ = try await fixture.client.putFile(
            repo: GitHubFixture.repo, path: "x.txt", branch: "rollback/app-ccccccc", content: Array("x".utf8),
            message: "x", sha: nil)
        let pr = try await fixture.client.createPullRequest(
            repo: GitHubFixture.repo, title: "t", head: "rollback/app-ccccccc", base: "staging", body: "")
        let failure = await apiError {
            try await fixture.client.mergePullRequest(repo: GitHubFixture.repo, number: pr.number, headSha: pr.head.sha)
        }
        #expect(failure?.code == .ciPending)
        #expect(failure?.status == 405)
    }
}
