import Clients
import Foundation
import Simulator
import Testing

@Suite("GitHub refs and contents against the simulator")
struct GitHubRefsContentsTests {
    @Test func getAndCreateBranch() async throws {
        let f = try GitHubFixture()
        defer { f.stop() }
        let ref = try await f.client.getBranch(repo: GitHubFixture.repo, branch: "staging")
        #expect(ref.sha == f.mainSHA)
        #expect(ref.ref == "refs/heads/staging")

        let created = try await f.client.createBranch(
            repo: GitHubFixture.repo, branch: "rollback/checkout-abc1234", sha: ref.sha)
        #expect(created.sha == f.mainSHA)
        #expect(f.sim.headSHA(repo: GitHubFixture.repo, branch: "rollback/checkout-abc1234") == f.mainSHA)

        // Exists already: CONFLICT (GitHub's 422 "Reference already exists").
        let again = await apiError {
            try await f.client.createBranch(repo: GitHubFixture.repo, branch: "rollback/checkout-abc1234", sha: ref.sha)
        }
        #expect(again?.code == .conflict)

        let missing = await apiError { try await f.client.getBranch(repo: GitHubFixture.repo, branch: "nope") }
        #expect(missing?.code == .notFound)
        #expect(missing?.status == 404)
        #expect(f.harness.last("github.getRef")?.result == "NOT_FOUND")
    }

    @Test func writesOutsideRollbackBranchesAreRefusedBeforeAnyRequest() async throws {
        let f = try GitHubFixture()
        defer { f.stop() }
        f.sim.clearRequestLog()
        for branch in ["main", "staging", "rollback/", "feature/rollback/x", "refs/heads/main", "rollback/../main"] {
            let e1 = await apiError {
                try await f.client.createBranch(repo: GitHubFixture.repo, branch: branch, sha: f.mainSHA)
            }
            #expect(e1?.code == .validationError)
            let e2 = await apiError {
                try await f.client.putFile(
                    repo: GitHubFixture.repo, path: GitHubFixture.manifest, branch: branch,
                    content: Array("x".utf8), message: "m", sha: nil)
            }
            #expect(e2?.code == .validationError)
            #expect(e2?.message.contains("refusing to write") == true)
        }
        #expect(f.sim.requestLog.isEmpty)
        #expect(f.harness.sink.records(named: "github.putContents").allSatisfy { $0.result == "VALIDATION_ERROR" })
    }

    @Test func readAndWriteAFileOnARollbackBranch() async throws {
        let f = try GitHubFixture()
        defer { f.stop() }
        let file = try await f.client.getFile(repo: GitHubFixture.repo, path: GitHubFixture.manifest, ref: "staging")
        #expect(file.text == f.sim.file(repo: GitHubFixture.repo, path: GitHubFixture.manifest, ref: "staging"))
        #expect(!file.sha.isEmpty)

        _ = try await f.client.createBranch(
            repo: GitHubFixture.repo, branch: "rollback/checkout-bbbbbbb", sha: f.mainSHA)
        let edited = file.text.replacingOccurrences(of: "aaaaaaa", with: "bbbbbbb")
        let commit = try await f.client.putFile(
            repo: GitHubFixture.repo, path: GitHubFixture.manifest, branch: "rollback/checkout-bbbbbbb",
            content: Array(edited.utf8), message: "Rollback checkout to bbbbbbb", sha: file.sha)
        #expect(f.sim.headSHA(repo: GitHubFixture.repo, branch: "rollback/checkout-bbbbbbb") == commit.commitSha)
        #expect(
            f.sim.file(repo: GitHubFixture.repo, path: GitHubFixture.manifest, ref: "rollback/checkout-bbbbbbb")
                == edited)

        // A stale blob sha: the simulator answers 409 like GitHub.
        let stale = await apiError {
            try await f.client.putFile(
                repo: GitHubFixture.repo, path: GitHubFixture.manifest, branch: "rollback/checkout-bbbbbbb",
                content: Array("y".utf8), message: "m", sha: file.sha)
        }
        #expect(stale?.code == .conflict)

        let nofile = await apiError {
            try await f.client.getFile(repo: GitHubFixture.repo, path: "missing.yaml", ref: "main")
        }
        #expect(nofile?.code == .notFound)
    }

    @Test func commitsCompareStatusesAndCheckRuns() async throws {
        let f = try GitHubFixture()
        defer { f.stop() }
        let c1 = f.sim.addCommit(repo: GitHubFixture.repo, branch: "main", files: ["a.txt": "1"], message: "one")
        let c2 = f.sim.addCommit(repo: GitHubFixture.repo, branch: "main", files: ["a.txt": "2"], message: "two")
        let commits = try await f.client.listCommits(repo: GitHubFixture.repo, from: c2)
        #expect(commits.map(\.sha).prefix(3) == [c2, c1, f.mainSHA])
        #expect(commits.first?.message == "two")

        let behind = try await f.client.compare(repo: GitHubFixture.repo, base: c2, head: c1)
        #expect(behind.status == "behind")
        #expect(behind.behindBy == 1 && behind.aheadBy == 0)
        let ahead = try await f.client.compare(repo: GitHubFixture.repo, base: c1, head: c2)
        #expect(ahead.status == "ahead")

        f.sim.setCheckRun(repo: GitHubFixture.repo, sha: c1, name: "build", status: "completed", conclusion: "success")
        f.sim.setCheckRun(repo: GitHubFixture.repo, sha: c1, name: "lint", status: "in_progress", conclusion: nil)
        let runs = try await f.client.checkRuns(repo: GitHubFixture.repo, ref: c1)
        #expect(runs.totalCount == 2)
        #expect(runs.checkRuns.first { $0.name == "build" }?.conclusion == "success")
        #expect(runs.checkRuns.first { $0.name == "lint" }?.status == "in_progress")

        let none = try await f.client.combinedStatus(repo: GitHubFixture.repo, ref: c1)
        #expect(none.totalCount == 0)
        f.sim.setCommitStatus(repo: GitHubFixture.repo, sha: c1, context: "ci/legacy", state: "failure")
        let failed = try await f.client.combinedStatus(repo: GitHubFixture.repo, ref: c1)
        #expect(failed.state == "failure")
        #expect(failed.statuses.first?.context == "ci/legacy")
    }
}
