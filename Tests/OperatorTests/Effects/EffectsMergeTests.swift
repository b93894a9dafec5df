import Clients
import Foundation
import Operator
import Simulator
import Testing

@testable import RollbackCore

@Suite(.serialized) struct EffectsMergeTests {
    /// A report with all 8 invariants PASS (as the core computes it).
    static func allPass(prNumber: Int, head: String) -> InvariantReport {
        InvariantReport.evaluate(
            InvariantFacts(
                environment: .staging, health: .degraded, replicas: ReplicaCounts(desired: 3, available: 1),
                consecutiveDegradedChecks: 3, targetUptime: 0.999, targetCIPassed: true, headSHA: head, headCI: .passed,
                openOperatorPRs: [prNumber], prNumber: prNumber, mergeable: true, mergeableState: "clean"))
    }

    static func openPR(_ h: EffectsHarness) async throws -> PullRequestRef {
        guard
            case .pullRequestCreated(let r)? = await h.runner.perform(
                .openPullRequest(h.plan()), app: h.app,
                machine: h.newMachine()
            ).first
        else {
            throw TestFailure("no PR")
        }
        return r
    }

    @Test func stagingEndToEndThroughTheRealMachine() async throws {
        let h = try EffectsHarness()
        defer { h.stop() }
        var d = Driver(h)
        await d.degrade(h)
        #expect(d.machine.state == .prCreated)
        let pr = try #require(d.machine.attempt?.pullRequest)
        #expect(d.machine.attempt?.target?.sha == h.target)
        h.gh.setCheckRun(repo: "acme/gitops", sha: pr.headSHA, name: "ci", conclusion: "success")
        await d.fire(.ciPoll)
        #expect(d.machine.state == .rollbackMerged)
        #expect(d.machine.attempt?.lastInvariants?.allPass == true)
        #expect(d.machine.attempt?.merge?.confirmed == true)
        #expect(h.gh.merges.count == 1)
        #expect(h.gh.merges.first?.method == "squash" && h.gh.merges.first?.headSHA == pr.headSHA)
        #expect(h.gh.pulls(repo: "acme/gitops").count == 1)

        // Merging again (e.g. after a crash right after the request) is a success, not a second merge.
        let order = MergeOrder(
            repository: "acme/gitops", prNumber: pr.number, expectedHeadSHA: pr.headSHA, method: "squash",
            basis: .automatic(Self.allPass(prNumber: pr.number, head: pr.headSHA)))
        let again = await h.runner.perform(.merge(order), app: h.app, machine: d.machine)
        guard case .mergeSucceeded? = again.first else {
            Issue.record("expected success, got \(again)")
            return
        }
        #expect(h.gh.merges.count == 1)
    }

    @Test func headMovedIsBaseSHAMismatch() async throws {
        let h = try EffectsHarness()
        defer { h.stop() }
        let pr = try await Self.openPR(h)
        h.gh.addCommit(
            repo: "acme/gitops", branch: h.branch, files: ["NOTE.md": "pushed by someone\n"], message: "sneaky")
        let order = MergeOrder(
            repository: "acme/gitops", prNumber: pr.number, expectedHeadSHA: pr.headSHA, method: "squash",
            basis: .automatic(Self.allPass(prNumber: pr.number, head: pr.headSHA)))
        let events = await h.runner.perform(.merge(order), app: h.app, machine: h.newMachine())
        guard case .mergeFailed(let f)? = events.first else {
            Issue.record("expected mergeFailed, got \(events)")
            return
        }
        #expect(f.code == .baseSHAMismatch && f.retriesExhausted)
        #expect(h.gh.merges.isEmpty)
    }

    @Test func productionMergeWithoutApprovalIsAnEmergencyStop() async throws {
        let h = try EffectsHarness(environment: "production")
        defer { h.stop() }
        let pr = try await Self.openPR(h)
        #expect(h.app.info.baseBranch == "main")
        h.gh.clearRequestLog()
        for basis in [
            MergeBasis.humanApproval(approver: "senior-sre", headSHA: pr.headSHA),
            .automatic(Self.allPass(prNumber: pr.number, head: pr.headSHA)),
        ] {
            let order = MergeOrder(
                repository: "acme/gitops", prNumber: pr.number, expectedHeadSHA: pr.headSHA,
                method: "squash", basis: basis)
            let events = await h.runner.perform(.merge(order), app: h.app, machine: h.newMachine())
            guard case .criticalInvariantViolated(let why)? = events.first else {
                Issue.record("expected a stop, got \(events)")
                continue
            }
            #expect(!why.isEmpty)
        }
        #expect(h.gh.merges.isEmpty)
        #expect(h.requests("PUT", "/merge").isEmpty)
    }

    @Test func stagingAutomaticMergeNeedsAllEightPass() async throws {
        let h = try EffectsHarness()
        defer { h.stop() }
        let pr = try await Self.openPR(h)
        var report = Self.allPass(prNumber: pr.number, head: pr.headSHA)
        report.results[6].outcome = .fail
        let order = MergeOrder(
            repository: "acme/gitops", prNumber: pr.number, expectedHeadSHA: pr.headSHA, method: "squash",
            basis: .automatic(report))
        let events = await h.runner.perform(.merge(order), app: h.app, machine: h.newMachine())
        guard case .criticalInvariantViolated? = events.first else {
            Issue.record("expected a stop, got \(events)")
            return
        }
        #expect(h.gh.merges.isEmpty)
    }

    @Test func productionApprovalFlowThroughReviews() async throws {
        let h = try EffectsHarness(environment: "production")
        defer { h.stop() }
        var d = Driver(h)
        await d.degrade(h)
        let pr = try #require(d.machine.attempt?.pullRequest)
        h.gh.setCheckRun(repo: "acme/gitops", sha: pr.headSHA, name: "ci", conclusion: "success")
        await d.fire(.ciPoll)
        #expect(d.machine.state == .awaitingMergeApproval)
        // A stranger's and the operator's own approvals do not count; an approver's does.
        h.gh.addReview(repo: "acme/gitops", number: pr.number, user: "random-dev", state: "APPROVED")
        h.gh.addReview(repo: "acme/gitops", number: pr.number, user: "ai-operator[bot]", state: "APPROVED")
        h.gh.addReview(repo: "acme/gitops", number: pr.number, user: "someone", state: "COMMENTED")
        let first = await h.runner.perform(.fetchReviews(prNumber: pr.number), app: h.app, machine: d.machine)
        let inputs = first.compactMap { e -> ReviewInput? in if case .reviewSubmitted(let r) = e { r } else { nil } }
        #expect(inputs.map(\.reviewer) == ["random-dev", "ai-operator[bot]"])
        #expect(inputs.allSatisfy { !$0.isAuthorizedApprover })
        #expect(inputs.map(\.isOperator) == [false, true])
        // The operator's own review is settled; the stranger's is asked again (a failed team read heals).
        let repeatReviewers = await h.runner.perform(.fetchReviews(prNumber: pr.number), app: h.app, machine: d.machine)
            .compactMap { e -> String? in if case .reviewSubmitted(let r) = e { r.reviewer } else { nil } }
        #expect(repeatReviewers == ["random-dev"])
        for e in first { await d.send(e) }
        #expect(d.machine.attempt?.approvals.isEmpty == true)

        h.gh.addReview(repo: "acme/gitops", number: pr.number, user: "senior-sre", state: "APPROVED")
        await d.fire(.reviewPoll)
        #expect(d.machine.attempt?.approvals.map(\.approver) == ["senior-sre"])
        #expect(d.machine.state == .rollbackMerged)
        #expect(d.machine.attempt?.merge?.confirmed == true)
        #expect(h.gh.merges.count == 1)
        // Nothing new to report afterwards.
        let later = await h.runner.perform(.fetchReviews(prNumber: pr.number), app: h.app, machine: d.machine)
        #expect(later.allSatisfy { if case .reviewSubmitted(let r) = $0 { r.reviewer != "senior-sre" } else { true } })
    }

    @Test func closePullRequestCommentsOnceAndCloses() async throws {
        let h = try EffectsHarness()
        defer { h.stop() }
        let pr = try await Self.openPR(h)
        for _ in 0..<2 {
            _ = await h.runner.perform(
                .closePullRequest(number: pr.number, comment: "Health restored before merge."),
                app: h.app, machine: h.newMachine())
        }
        #expect(h.gh.pulls(repo: "acme/gitops").first?.state == "closed")
        #expect(h.gh.comments(repo: "acme/gitops", issue: pr.number).map(\.body) == ["Health restored before merge."])
        #expect(h.gh.merges.isEmpty)
    }

    @Test func gatherMergeFactsReadsEverything() async throws {
        let h = try EffectsHarness()
        defer { h.stop() }
        let pr = try await Self.openPR(h)
        h.gh.setCheckRun(repo: "acme/gitops", sha: pr.headSHA, name: "ci", conclusion: "success")
        let events = await h.runner.perform(
            .gatherMergeFacts(prNumber: pr.number, read: 1), app: h.app, machine: h.newMachine())
        guard case .mergeFactsGathered(let f)? = events.first else {
            Issue.record("expected facts")
            return
        }
        #expect(f.health == .degraded)
        #expect(f.replicas == ReplicaCounts(desired: 3, available: 1, ready: 1))
        #expect(f.headSHA == pr.headSHA && f.headCI.verdict == .passed)
        #expect(f.openOperatorPRs == [pr.number])
        #expect(f.mergeable == true)

        // Kubernetes down: replicas unknown (I3 FAIL), the rest still read.
        h.sims.kubernetes.faults.inject(.status(500), path: "/apis", count: nil)
        let again = await h.runner.perform(
            .gatherMergeFacts(prNumber: pr.number, read: 1), app: h.app, machine: h.newMachine())
        guard case .mergeFactsGathered(let g)? = again.first else {
            Issue.record("expected facts")
            return
        }
        #expect(g.replicas == nil && g.health == .degraded)
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}
