import Clients
import Foundation
import Operator
import Simulator
import Testing

@testable import RollbackCore

@Suite(.serialized) struct EffectsPullRequestTests {
    static func ref(_ events: [RollbackEvent]) -> PullRequestRef? {
        guard case .pullRequestCreated(let pullRequest)? = events.first else { return nil }
        return pullRequest
    }

    /// The branch's own commits (not on the base).
    static func branchCommits(_ harness: EffectsHarness) -> [GitHubSimulator.CommitInfo] {
        let base = Set(harness.gh.commits(repo: "acme/gitops", on: "staging").map(\.sha))
        return harness.gh.commits(repo: "acme/gitops", on: harness.branch).filter { !base.contains($0.sha) }
    }

    static func expectOneCleanRollback(_ harness: EffectsHarness, _ before: String) throws {
        let commits = branchCommits(harness)
        #expect(commits.count == 1)
        let after = try #require(
            harness.gh.file(repo: "acme/gitops", path: ".argocd/application.yaml", ref: harness.branch))
        // Exactly the revision value differs: every other byte (comments, order, spacing) is kept.
        #expect(after == before.replacingOccurrences(of: harness.scenario.badRevision, with: harness.target))
        #expect(after.contains("targetRevision: \(harness.target)  # pinned commit"))
        let pulls = harness.gh.pulls(repo: "acme/gitops")
        #expect(pulls.count == 1)
        #expect(
            pulls.first?.headRef == harness.branch && pulls.first?.baseRef == "staging" && pulls.first?.state == "open")
        #expect(Set(pulls.first?.labels ?? []) == ["ai-operator", "rollback", "staging"])
        #expect(harness.gh.branches(repo: "acme/gitops").keys.filter { $0.hasPrefix("rollback/") } == [harness.branch])
    }

    @Test func opensOneBranchOneCommitOnePRAndReusesThem() async throws {
        let harness = try EffectsHarness()
        defer { harness.stop() }
        let before = try #require(
            harness.gh.file(repo: "acme/gitops", path: ".argocd/application.yaml", ref: "staging"))
        harness.gh.clearRequestLog()
        let first = try #require(
            Self.ref(
                await harness.runner.perform(
                    .openPullRequest(harness.plan()), app: harness.app, machine: harness.newMachine())))
        #expect(first.headBranch == harness.branch)
        #expect(first.url.hasSuffix("/pull/\(first.number)"))
        #expect(first.headSHA == harness.gh.headSHA(repo: "acme/gitops", branch: harness.branch))
        // The PR-creation path: 8 sequential GitHub calls.
        #expect(harness.gh.requestLog.count == 8)
        try Self.expectOneCleanRollback(harness, before)

        harness.gh.clearRequestLog()
        let second = try #require(
            Self.ref(
                await harness.runner.perform(
                    .openPullRequest(harness.plan()), app: harness.app, machine: harness.newMachine())))
        #expect(second == first)
        #expect(harness.gh.requestLog.allSatisfy { $0.method == "GET" })
        try Self.expectOneCleanRollback(harness, before)
    }

    @Test func resumesAfterACrashBetweenBranchAndCommit() async throws {
        let harness = try EffectsHarness()
        defer { harness.stop() }
        let before = try #require(
            harness.gh.file(repo: "acme/gitops", path: ".argocd/application.yaml", ref: "staging"))
        harness.gh.setBranch(repo: "acme/gitops", branch: harness.branch, to: "staging")  // the first run died here
        let pullRequest = try #require(
            Self.ref(
                await harness.runner.perform(
                    .openPullRequest(harness.plan()), app: harness.app, machine: harness.newMachine())))
        #expect(pullRequest.headBranch == harness.branch)
        #expect(harness.requests("POST", "/git/refs").isEmpty)
        try Self.expectOneCleanRollback(harness, before)
    }

    @Test func resumesAfterACrashBetweenCommitAndPR() async throws {
        let harness = try EffectsHarness()
        defer { harness.stop() }
        let before = try #require(
            harness.gh.file(repo: "acme/gitops", path: ".argocd/application.yaml", ref: "staging"))
        // The first run committed, then GitHub failed the PR creation beyond the retries.
        harness.gh.faults.inject(.status(502), method: "POST", path: "/repos/acme/gitops/pulls", count: 4)
        let failed = await harness.runner.perform(
            .openPullRequest(harness.plan()), app: harness.app, machine: harness.newMachine())
        guard case .pullRequestCreationFailed(let failure)? = failed.first else {
            Issue.record("expected a failure, got \(failed)")
            return
        }
        #expect(failure.code == .networkError && failure.retriesExhausted)
        #expect(failure.message.contains("github.createPullRequest"))
        #expect(harness.sleeper.delays == [.seconds(1), .seconds(2), .seconds(4)])
        #expect(harness.gh.pulls(repo: "acme/gitops").isEmpty)
        #expect(Self.branchCommits(harness).count == 1)

        let pullRequest = try #require(
            Self.ref(
                await harness.runner.perform(
                    .openPullRequest(harness.plan()), app: harness.app, machine: harness.newMachine())))
        #expect(pullRequest.headBranch == harness.branch)
        #expect(harness.requests("POST", "/git/refs").count == 1)  // no second branch
        #expect(harness.requests("PUT", "/contents/.argocd/application.yaml").count == 1)  // no second commit
        try Self.expectOneCleanRollback(harness, before)
    }

    @Test func resumesAfterACrashBetweenPRAndLabels() async throws {
        let harness = try EffectsHarness()
        defer { harness.stop() }
        let before = try #require(
            harness.gh.file(repo: "acme/gitops", path: ".argocd/application.yaml", ref: "staging"))
        // The first run made the branch, the commit and the PR, and died before the labels.
        harness.gh.setBranch(repo: "acme/gitops", branch: harness.branch, to: "staging")
        harness.gh.addCommit(
            repo: "acme/gitops", branch: harness.branch,
            files: [
                ".argocd/application.yaml": before.replacingOccurrences(
                    of: harness.scenario.badRevision, with: harness.target)
            ],
            message: "Rollback checkout\n\nCorrelation-Id: cid-0001\n", author: "ai-operator[bot]")
        let prNumber = harness.gh.createPullRequest(
            repo: "acme/gitops", head: harness.branch, base: "staging", title: harness.plan().title,
            user: "ai-operator[bot]")
        harness.gh.clearRequestLog()
        let pullRequest = try #require(
            Self.ref(
                await harness.runner.perform(
                    .openPullRequest(harness.plan()), app: harness.app, machine: harness.newMachine())))
        #expect(pullRequest.number == prNumber)
        #expect(
            harness.gh.requestLog.filter { $0.method != "GET" }.map(\.path) == [
                "/repos/acme/gitops/issues/\(prNumber)/labels"
            ])
        try Self.expectOneCleanRollback(harness, before)
    }

    /// Moves the protected base branch on by one unrelated commit (another change merged).
    static func advanceBase(_ harness: EffectsHarness) {
        harness.gh.unprotectBranch(repo: "acme/gitops", branch: "staging")
        harness.gh.addCommit(
            repo: "acme/gitops", branch: "staging", files: ["NOTES.md": "unrelated\n"], message: "docs")
        harness.gh.protectBranch(repo: "acme/gitops", branch: "staging")
    }

    @Test func aPreExistingBranchHoldingAnythingElseIsNeverReused() async throws {
        let harness = try EffectsHarness()
        defer { harness.stop() }
        let text = try #require(harness.gh.file(repo: "acme/gitops", path: ".argocd/application.yaml", ref: "staging"))
        harness.gh.setBranch(repo: "acme/gitops", branch: harness.branch, to: "staging")
        harness.gh.addCommit(
            repo: "acme/gitops", branch: harness.branch,
            files: [
                ".argocd/application.yaml": text.replacingOccurrences(
                    of: harness.scenario.badRevision, with: harness.target)
            ],
            message: "Rollback checkout\n\nCorrelation-Id: an-earlier-attempt\n")
        // Someone else's commit rides along on the branch.
        harness.gh.addCommit(
            repo: "acme/gitops", branch: harness.branch, files: ["deploy/extra.yaml": "replicas: 0\n"],
            message: "tweak", author: "mallory")
        Self.advanceBase(harness)
        let branchHead = harness.gh.headSHA(repo: "acme/gitops", branch: harness.branch)
        harness.gh.clearRequestLog()
        let events = await harness.runner.perform(
            .openPullRequest(harness.plan()), app: harness.app, machine: harness.newMachine())
        guard case .policyDenied(let refusal)? = events.first else {
            Issue.record("expected a policy refusal, got \(events)")
            return
        }
        #expect(refusal.rule.contains("never reused"))
        #expect(harness.gh.pulls(repo: "acme/gitops").isEmpty)
        // Left alone: not moved, not deleted, nothing written.
        #expect(harness.gh.headSHA(repo: "acme/gitops", branch: harness.branch) == branchHead)
        #expect(harness.gh.requestLog.allSatisfy { $0.method == "GET" })
    }

    @Test func resumesOwnBranchEvenAfterTheBaseMoved() async throws {
        let harness = try EffectsHarness()
        defer { harness.stop() }
        // First run: branch and commit, then the PR creation failed for good.
        harness.gh.faults.inject(.status(500), method: "POST", path: "/repos/acme/gitops/pulls", count: 4)
        _ = await harness.runner.perform(
            .openPullRequest(harness.plan()), app: harness.app, machine: harness.newMachine())
        Self.advanceBase(harness)
        let pullRequest = try #require(
            Self.ref(
                await harness.runner.perform(
                    .openPullRequest(harness.plan()), app: harness.app, machine: harness.newMachine())))
        #expect(pullRequest.headBranch == harness.branch)
        #expect(harness.requests("PUT", "/contents/.argocd/application.yaml").count == 1)
        #expect(harness.gh.pulls(repo: "acme/gitops").count == 1)
    }

    @Test func permissionDeniedOnTheBranchIsReportedWithItsCode() async throws {
        let harness = try EffectsHarness()
        defer { harness.stop() }
        harness.gh.faults.inject(.status(403), method: "POST", path: "/repos/acme/gitops/git/refs", count: 1)
        let events = await harness.runner.perform(
            .openPullRequest(harness.plan()), app: harness.app, machine: harness.newMachine())
        guard case .pullRequestCreationFailed(let failure)? = events.first else {
            Issue.record("expected a failure")
            return
        }
        #expect(failure.code == .permissionDenied)
        #expect(harness.sleeper.delays.isEmpty)
        #expect(harness.gh.pulls(repo: "acme/gitops").isEmpty)
    }
}
