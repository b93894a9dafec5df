import Clients
import Foundation
import Simulator
import Testing

@Suite struct GitHubMergeCIPendingTests {
    @Test func aRequiredCheckNotYetReportedIsCIPending() async throws {
        let f = try GitHubFixture()
        defer { f.stop() }
        f.sim.protectBranch(repo: GitHubFixture.repo, branch: "staging", requiredChecks: ["deploy-gate"])
        _ = try await f.client.createBranch(repo: GitHubFixture.repo, branch: "rollback/app-ccccccc", sha: f.mainSHA)
        _ = try await f.client.putFile(
            repo: GitHubFixture.repo, path: "x.txt", branch: "rollback/app-ccccccc", content: Array("x".utf8),
            message: "x", sha: nil)
        let pr = try await f.client.createPullRequest(
            repo: GitHubFixture.repo, title: "t", head: "rollback/app-ccccccc", base: "staging", body: "")
        let e = await apiError {
            try await f.client.mergePullRequest(repo: GitHubFixture.repo, number: pr.number, headSha: pr.head.sha)
        }
        #expect(e?.code == .ciPending)
        #expect(e?.status == 405)
    }
}
