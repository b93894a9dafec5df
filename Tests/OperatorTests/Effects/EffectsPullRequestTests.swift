import Clients
import Foundation
import Operator
import Simulator
import Testing

@testable import RollbackCore

@Suite(.serialized) struct EffectsPullRequestTests {
    static func ref(_ events: [RollbackEvent]) -> PullRequestRef? {
        guard case .pullRequestCreated(let r)? = events.first else { return nil }
        return r
    }

    /// The branch's own commits (not on the base).
    static func branchCommits(_ h: EffectsHarness) -> [GitHubSimulator.CommitInfo] {
        let base = Set(h.gh.commits(repo: "acme/gitops", on: "staging").map(\.sha))
        return h.gh.commits(repo: "acme/gitops", on: h.branch).filter { !base.contains($0.sha) }
    }

    static func expectOneCleanRollback(_ h: EffectsHarness, _ before: String) throws {
        let commits = branchCommits(h)
        #expect(commits.count == 1)
        let after = try #require(h.gh.file(repo: "acme/gitops", path: ".argocd/application.yaml", ref: h.branch))
        // Exactly the revision value differs: every other byte (comments, order, spacing) is kept.
        #expect(after == before.replacingOccurrences(of: h.scenario.badRevision, with: h.target))
        #expect(after.contains("targetRevision: \(h.target)  # pinned commit"))
        let pulls = h.gh.pulls(repo: "acme/gitops")
        #expect(pulls.count == 1)
        #expect(pulls.first?.headRef == h.branch && pulls.first?.baseRef == "staging" && pulls.first?.state == "open")
        #expect(Set(pulls.first?.labels ?? []) == ["ai-operator", "rollback", "staging"])
        #expect(h.gh.branches(repo: "acme/gitops").keys.filter { $0.hasPrefix("rollback/") } == [h.branch])
    }

    @Test func opensOneBranchOneCommitOnePRAndReusesThem() async throws {
        let h = try EffectsHarness()
        defer { h.stop() }
        let before = try #require(h.gh.file(repo: "acme/gitops", path: ".argocd/application.yaml", ref: "staging"))
        h.gh.clearRequestLog()
        let first = try #require(
            Self.ref(await h.runner.perform(.openPullRequest(h.plan()), app: h.app, machine: h.newMachine())))
        #expect(first.headBranch == h.branch)
        #expect(first.url.hasSuffix("/pull/\(first.number)"))
        #expect(first.headSHA == h.gh.headSHA(repo: "acme/gitops", branch: h.branch))
        // The PR-creation path: 8 sequential GitHub calls.
        #expect(h.gh.requestLog.count == 8)
        try Self.expectOneCleanRollback(h, before)

        h.gh.clearRequestLog()
        let second = try #require(
            Self.ref(await h.runner.perform(.openPullRequest(h.plan()), app: h.app, machine: h.newMachine())))
        #expect(second == first)
        #expect(h.gh.requestLog.allSatisfy { $0.method == "GET" })
        try Self.expectOneCleanRollback(h, before)
    }

    @Test func resumesAfterACrashBetweenBranchAndCommit() async throws {
        let h = try EffectsHarness()
        defer { h.stop() }
        let before = try #require(h.gh.file(repo: "acme/gitops", path: ".argocd/application.yaml", ref: "staging"))
        h.gh.setBranch(repo: "acme/gitops", branch: h.branch, to: "staging")  // the first run died here
        let r = try #require(
            Self.ref(await h.runner.perform(.openPullRequest(h.plan()), app: h.app, machine: h.newMachine())))
        #expect(r.headBranch == h.branch)
        #expect(h.requests("POST", "/git/refs").isEmpty)
        try Self.expectOneCleanRollback(h, before)
    }

    @Test func resumesAfterACrashBetweenCommitAndPR() async throws {
        let h = try EffectsHarness()
        defer { h.stop() }
        let before = try #require(h.gh.file(repo: "acme/gitops", path: ".argocd/application.yaml", ref: "staging"))
        // The first run committed, then GitHub failed the PR creation beyond the retries.
        h.gh.faults.inject(.status(502), method: "POST", path: "/repos/acme/gitops/pulls", count: 4)
        let failed = await h.runner.perform(.openPullRequest(h.plan()), app: h.app, machine: h.newMachine())
        guard case .pullRequestCreationFailed(let f)? = failed.first else {
            Issue.record("expected a failure, got \(failed)")
            return
        }
        #expect(f.code == .networkError && f.retriesExhausted)
        #expect(f.message.contains("github.createPullRequest"))
        #expect(h.sleeper.delays == [.seconds(1), .seconds(2), .seconds(4)])
        #expect(h.gh.pulls(repo: "acme/gitops").isEmpty)
        #expect(Self.branchCommits(h).count == 1)

        let r = try #require(
            Self.ref(await h.runner.perform(.openPullRequest(h.plan()), app: h.app, machine: h.newMachine())))
        #expect(r.headBranch == h.branch)
        #expect(h.requests("POST", "/git/refs").count == 1)  // no second branch
        #expect(h.requests("PUT", "/contents/.argocd/application.yaml").count == 1)  // no second commit
        try Self.expectOneCleanRollback(h, before)
    }

    @Test func resumesAfterACrashBetweenPRAndLabels() async throws {
        let h = try EffectsHarness()
        defer { h.stop() }
        let before = try #require(h.gh.file(repo: "acme/gitops", path: ".argocd/application.yaml", ref: "staging"))
        // The first run made the branch, the commit and the PR, and died before the labels.
        h.gh.setBranch(repo: "acme/gitops", branch: h.branch, to: "staging")
        h.gh.addCommit(
            repo: "acme/gitops", branch: h.branch,
            files: [
                ".argocd/application.yaml": before.replacingOccurrences(of: h.scenario.badRevision, with: h.target)
            ],
            message: "Rollback checkout", author: "ai-operator[bot]")
        let n = h.gh.createPullRequest(
            repo: "acme/gitops", head: h.branch, base: "staging", title: h.plan().title,
            user: "ai-operator[bot]")
        h.gh.clearRequestLog()
        let r = try #require(
            Self.ref(await h.runner.perform(.openPullRequest(h.plan()), app: h.app, machine: h.newMachine())))
        #expect(r.number == n)
        #expect(h.gh.requestLog.filter { $0.method != "GET" }.map(\.path) == ["/repos/acme/gitops/issues/\(n)/labels"])
        try Self.expectOneCleanRollback(h, before)
    }

    /// Moves the protected base branch on by one unrelated commit (another change merged).
    static func advanceBase(_ h: EffectsHarness) {
        h.gh.unprotectBranch(repo: "acme/gitops", branch: "staging")
        h.gh.addCommit(repo: "acme/gitops", branch: "staging", files: ["NOTES.md": "unrelated\n"], message: "docs")
        h.gh.protectBranch(repo: "acme/gitops", branch: "staging")
    }

    @Test func aStaleBranchFromAnEarlierAttemptIsAConflictNotASecondPR() async throws {
        let h = try EffectsHarness()
        defer { h.stop() }
        let text = try #require(h.gh.file(repo: "acme/gitops", path: ".argocd/application.yaml", ref: "staging"))
        h.gh.setBranch(repo: "acme/gitops", branch: h.branch, to: "staging")
        h.gh.addCommit(
            repo: "acme/gitops", branch: h.branch,
            files: [".argocd/application.yaml": text.replacingOccurrences(of: h.scenario.badRevision, with: h.target)],
            message: "Rollback checkout\n\nCorrelation-Id: an-earlier-attempt\n")
        Self.advanceBase(h)
        let events = await h.runner.perform(.openPullRequest(h.plan()), app: h.app, machine: h.newMachine())
        guard case .pullRequestCreationFailed(let f)? = events.first else {
            Issue.record("expected a failure, got \(events)")
            return
        }
        #expect(f.code == .conflict && f.message.contains("earlier attempt"))
        #expect(h.gh.pulls(repo: "acme/gitops").isEmpty)
    }

    @Test func resumesOwnBranchEvenAfterTheBaseMoved() async throws {
        let h = try EffectsHarness()
        defer { h.stop() }
        // First run: branch and commit, then the PR creation failed for good.
        h.gh.faults.inject(.status(500), method: "POST", path: "/repos/acme/gitops/pulls", count: 4)
        _ = await h.runner.perform(.openPullRequest(h.plan()), app: h.app, machine: h.newMachine())
        Self.advanceBase(h)
        let r = try #require(
            Self.ref(await h.runner.perform(.openPullRequest(h.plan()), app: h.app, machine: h.newMachine())))
        #expect(r.headBranch == h.branch)
        #expect(h.requests("PUT", "/contents/.argocd/application.yaml").count == 1)
        #expect(h.gh.pulls(repo: "acme/gitops").count == 1)
    }

    @Test func permissionDeniedOnTheBranchIsReportedWithItsCode() async throws {
        let h = try EffectsHarness()
        defer { h.stop() }
        h.gh.faults.inject(.status(403), method: "POST", path: "/repos/acme/gitops/git/refs", count: 1)
        let events = await h.runner.perform(.openPullRequest(h.plan()), app: h.app, machine: h.newMachine())
        guard case .pullRequestCreationFailed(let f)? = events.first else {
            Issue.record("expected a failure")
            return
        }
        #expect(f.code == .permissionDenied)
        #expect(h.sleeper.delays.isEmpty)
        #expect(h.gh.pulls(repo: "acme/gitops").isEmpty)
    }
}
