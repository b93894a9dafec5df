import Clients
import Foundation
import Simulator
import Testing

@Suite("GitHub refs and contents against the simulator")
struct GitHubRefsContentsTests {
    @Test func getAndCreateBranch() async throws {
        let fixture = try GitHubFixture()
        defer { fixture.stop() }
        let ref = try await fixture.client.getBranch(repo: GitHubFixture.repo, branch: "staging")
        #expect(ref.sha == fixture.mainSHA)
        #expect(ref.ref == "refs/heads/staging")

        let created = try await fixture.client.createBranch(
            repo: GitHubFixture.repo, branch: "rollback/checkout-abc1234", sha: ref.sha)
        #expect(created.sha == fixture.mainSHA)
        #expect(fixture.sim.headSHA(repo: GitHubFixture.repo, branch: "rollback/checkout-abc1234") == fixture.mainSHA)

        // Exists already: CONFLICT (GitHub's 422 "Reference already exists").
        let again = await apiError {
            try await fixture.client.createBranch(
                repo: GitHubFixture.repo, branch: "rollback/checkout-abc1234", sha: ref.sha)
        }
        #expect(again?.code == .conflict)

        let missing = await apiError { try await fixture.client.getBranch(repo: GitHubFixture.repo, branch: "nope") }
        #expect(missing?.code == .notFound)
        #expect(missing?.status == 404)
        #expect(fixture.harness.last("github.getRef")?.result == "NOT_FOUND")
    }

    @Test func writesOutsideRollbackBranchesAreRefusedBeforeAnyRequest() async throws {
        let fixture = try GitHubFixture()
        defer { fixture.stop() }
        fixture.sim.clearRequestLog()
        for branch in ["main", "staging", "rollback/", "feature/rollback/x", "refs/heads/main", "rollback/../main"] {
            let e1 = await apiError {
                try await fixture.client.createBranch(repo: GitHubFixture.repo, branch: branch, sha: fixture.mainSHA)
            }
            #expect(e1?.code == .validationError)
            let e2 = await apiError {
                try await fixture.client.putFile(
                    repo: GitHubFixture.repo, path: GitHubFixture.manifest, branch: branch,
                    content: Array("x".utf8), message: "m", sha: nil)
            }
            #expect(e2?.code == .validationError)
            #expect(e2?.message.contains("refusing to write") == true)
        }
        #expect(fixture.sim.requestLog.isEmpty)
        #expect(
            fixture.harness.sink.records(named: "github.putContents").allSatisfy { $0.result == "VALIDATION_ERROR" })
    }

    @Test func readAndWriteAFileOnARollbackBranch() async throws {
        let fixture = try GitHubFixture()
        defer { fixture.stop() }
        let file = try await fixture.client.getFile(
            repo: GitHubFixture.repo, path: GitHubFixture.manifest, ref: "staging")
        #expect(file.text == fixture.sim.file(repo: GitHubFixture.repo, path: GitHubFixture.manifest, ref: "staging"))
        #expect(!file.sha.isEmpty)

        _ = try await fixture.client.createBranch(
            repo: GitHubFixture.repo, branch: "rollback/checkout-bbbbbbb", sha: fixture.mainSHA)
        let edited = file.text.replacingOccurrences(of: "aaaaaaa", with: "bbbbbbb")
        let commit = try await fixture.client.putFile(
            repo: GitHubFixture.repo, path: GitHubFixture.manifest, branch: "rollback/checkout-bbbbbbb",
            content: Array(edited.utf8), message: "Rollback checkout to bbbbbbb", sha: file.sha)
        #expect(fixture.sim.headSHA(repo: GitHubFixture.repo, branch: "rollback/checkout-bbbbbbb") == commit.commitSha)
        #expect(
            fixture.sim.file(repo: GitHubFixture.repo, path: GitHubFixture.manifest, ref: "rollback/checkout-bbbbbbb")
                == edited)

        // A stale blob sha: the simulator answers 409 like GitHub.
        let stale = await apiError {
            try await fixture.client.putFile(
                repo: GitHubFixture.repo, path: GitHubFixture.manifest, branch: "rollback/checkout-bbbbbbb",
                content: Array("y".utf8), message: "m", sha: file.sha)
        }
        #expect(stale?.code == .conflict)

        let nofile = await apiError {
            try await fixture.client.getFile(repo: GitHubFixture.repo, path: "missing.yaml", ref: "main")
        }
        #expect(nofile?.code == .notFound)
    }

    @Test func commitsCompareStatusesAndCheckRuns() async throws {
        let fixture = try GitHubFixture()
        defer { fixture.stop() }
        let olderCommit = fixture.sim.addCommit(
            repo: GitHubFixture.repo, branch: "main", files: ["a.txt": "1"], message: "one")
        let newerCommit = fixture.sim.addCommit(
            repo: GitHubFixture.repo, branch: "main", files: ["a.txt": "2"], message: "two")
        let commits = try await fixture.client.listCommits(repo: GitHubFixture.repo, from: newerCommit)
        #expect(commits.map(\.sha).prefix(3) == [newerCommit, olderCommit, fixture.mainSHA])
        #expect(commits.first?.message == "two")

        let behind = try await fixture.client.compare(repo: GitHubFixture.repo, base: newerCommit, head: olderCommit)
        #expect(behind.status == "behind")
        #expect(behind.behindBy == 1 && behind.aheadBy == 0)
        let ahead = try await fixture.client.compare(repo: GitHubFixture.repo, base: olderCommit, head: newerCommit)
        #expect(ahead.status == "ahead")

        fixture.sim.setCheckRun(
            repo: GitHubFixture.repo, sha: olderCommit, name: "build", status: "completed", conclusion: "success")
        fixture.sim.setCheckRun(
            repo: GitHubFixture.repo, sha: olderCommit, name: "lint", status: "in_progress", conclusion: nil)
        let runs = try await fixture.client.checkRuns(repo: GitHubFixture.repo, ref: olderCommit)
        #expect(runs.totalCount == 2)
        #expect(runs.checkRuns.first { $0.name == "build" }?.conclusion == "success")
        #expect(runs.checkRuns.first { $0.name == "lint" }?.status == "in_progress")

        let none = try await fixture.client.combinedStatus(repo: GitHubFixture.repo, ref: olderCommit)
        #expect(none.totalCount == 0)
        fixture.sim.setCommitStatus(repo: GitHubFixture.repo, sha: olderCommit, context: "ci/legacy", state: "failure")
        let failed = try await fixture.client.combinedStatus(repo: GitHubFixture.repo, ref: olderCommit)
        #expect(failed.state == "failure")
        #expect(failed.statuses.first?.context == "ci/legacy")
    }
}
