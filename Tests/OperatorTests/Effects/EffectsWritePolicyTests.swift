import Clients
import Foundation
import Operator
import Simulator
import Testing

@testable import RollbackCore

/// The effect runner asks the write policy again right before it writes (SPEC 19), over real
/// HTTP against the GitHub simulator: a refused PR writes nothing at all.
@Suite(.serialized) struct EffectsWritePolicyTests {
    /// No request other than reads reached GitHub.
    static func nothingWritten(_ harness: EffectsHarness) -> Bool {
        harness.gh.requestLog.allSatisfy { $0.method == "GET" }
            && harness.gh.branches(repo: "acme/gitops").keys.allSatisfy { !$0.hasPrefix("rollback/") }
            && harness.gh.pulls(repo: "acme/gitops").isEmpty
    }

    static func refusal(_ events: [RollbackEvent]) -> PolicyRefusal? {
        if case .policyDenied(let refusal)? = events.first { return refusal }
        return nil
    }

    /// Replaces the GitOps manifest on the base branch with `edit` applied.
    static func rewriteManifest(_ harness: EffectsHarness, _ edit: (String) -> String) throws {
        let text = try #require(harness.gh.file(repo: "acme/gitops", path: ".argocd/application.yaml", ref: "staging"))
        harness.gh.unprotectBranch(repo: "acme/gitops", branch: "staging")
        harness.gh.addCommit(
            repo: "acme/gitops", branch: "staging", files: [".argocd/application.yaml": edit(text)], message: "edit")
        harness.gh.protectBranch(repo: "acme/gitops", branch: "staging")
    }

    @Test func aManifestNamedForAnotherAppIsRefusedAndNothingIsWritten() async throws {
        let harness = try EffectsHarness()
        defer { harness.stop() }
        try Self.rewriteManifest(harness) { $0.replacingOccurrences(of: "  name: checkout", with: "  name: payments") }
        harness.gh.clearRequestLog()
        let events = await harness.runner.perform(
            .openPullRequest(harness.plan()), app: harness.app, machine: harness.newMachine())
        let refusal = try #require(Self.refusal(events), "expected a refusal, got \(events)")
        #expect(refusal.value == "payments")
        #expect(Self.nothingWritten(harness))
    }

    @Test func aManifestWhoseSourceIsAnotherRepositoryIsRefused() async throws {
        let harness = try EffectsHarness()
        defer { harness.stop() }
        try Self.rewriteManifest(harness) { $0.replacingOccurrences(of: "acme/checkout", with: "acme/payments") }
        harness.gh.clearRequestLog()
        let events = await harness.runner.perform(
            .openPullRequest(harness.plan()), app: harness.app, machine: harness.newMachine())
        let refusal = try #require(Self.refusal(events), "expected a refusal, got \(events)")
        #expect(refusal.rule.contains("repoURL"))
        #expect(Self.nothingWritten(harness))
    }

    @Test func aRepositoryOutsideTheAllowListIsRefusedBeforeAnyCall() async throws {
        let harness = try EffectsHarness()
        defer { harness.stop() }
        var app = harness.app
        app.info.manifestRepository = "acme/gitops"
        app.info.sourceRepository = "acme/checkout"
        let strict = EffectRunner(
            github: harness.github,
            argocd: ArgoCDClient(baseURL: harness.sims.argocd.baseURL, token: Secret("t"), context: harness.context),
            kubernetes: KubernetesClient(
                baseURL: harness.sims.kubernetes.baseURL, credentials: .token(Secret("k")), context: harness.context),
            prometheus: nil, slack: nil, approvers: harness.approvers,
            settings: EffectSettings(alertsRepo: EffectsHarness.alertsRepo), logger: .init(label: "strict"))
        harness.gh.clearRequestLog()
        let events = await strict.perform(.openPullRequest(harness.plan()), app: app, machine: harness.newMachine())
        let refusal = try #require(Self.refusal(events), "expected a refusal, got \(events)")
        #expect(refusal.value == "acme/gitops")
        #expect(harness.gh.requestLog.isEmpty)
    }

    @Test func aMergeOfAHeadTheOperatorDidNotWriteIsStopped() async throws {
        let harness = try EffectsHarness()
        defer { harness.stop() }
        let pr = try await EffectsMergeTests.openPR(harness)
        #expect(pr.operatorCommitSHA == pr.headSHA)
        harness.gh.addCommit(
            repo: "acme/gitops", branch: harness.branch, files: ["NOTE.md": "pushed by someone\n"], message: "sneaky")
        let foreignHead = try #require(harness.gh.headSHA(repo: "acme/gitops", branch: harness.branch))
        var machine = harness.machine(holding: pr)
        machine.attempt?.pullRequest?.headSHA = foreignHead
        let order = MergeOrder(
            repository: "acme/gitops", prNumber: pr.number, expectedHeadSHA: foreignHead, method: "squash",
            basis: .automatic(EffectsMergeTests.allPass(prNumber: pr.number, head: foreignHead)))
        harness.gh.clearRequestLog()
        let events = await harness.runner.perform(.merge(order), app: harness.app, machine: machine)
        guard case .criticalInvariantViolated(let why)? = events.first else {
            Issue.record("expected a stop, got \(events)")
            return
        }
        #expect(why.contains("not the operator's own commit"))
        #expect(harness.requests("PUT", "/merge").isEmpty && harness.gh.merges.isEmpty)
    }

    @Test func mergeFactsCarryTheHeadsDiffAndAuthor() async throws {
        let harness = try EffectsHarness()
        defer { harness.stop() }
        let pr = try await EffectsMergeTests.openPR(harness)
        let machine = harness.machine(holding: pr)
        guard
            case .mergeFactsGathered(let clean)? = await harness.runner.perform(
                .gatherMergeFacts(prNumber: pr.number, read: 1), app: harness.app, machine: machine
            ).first
        else {
            throw TestFailure("no facts")
        }
        #expect(clean.headChanges?.map(\.path) == [".argocd/application.yaml"])
        #expect(
            MergeIntegrity.refusal(
                headSHA: clean.headSHA, operatorCommitSHA: pr.operatorCommitSHA, changes: clean.headChanges,
                manifestPath: ".argocd/application.yaml", currentRevision: harness.scenario.badRevision,
                targetRevision: harness.target) == nil)
        harness.gh.addCommit(
            repo: "acme/gitops", branch: harness.branch, files: ["NOTE.md": "pushed by someone\n"], message: "sneaky",
            author: "mallory")
        guard
            case .mergeFactsGathered(let pushed)? = await harness.runner.perform(
                .gatherMergeFacts(prNumber: pr.number, read: 1), app: harness.app, machine: machine
            ).first
        else {
            throw TestFailure("no facts")
        }
        #expect(pushed.headSHA != pr.headSHA && pushed.headAuthor == "mallory")
        #expect(Set(pushed.headChanges?.map(\.path) ?? []) == [".argocd/application.yaml", "NOTE.md"])
    }
}
