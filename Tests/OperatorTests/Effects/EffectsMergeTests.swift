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

    static func openPR(_ harness: EffectsHarness) async throws -> PullRequestRef {
        guard
            case .pullRequestCreated(let pullRequest)? = await harness.runner.perform(
                .openPullRequest(harness.plan()), app: harness.app,
                machine: harness.newMachine()
            ).first
        else {
            throw TestFailure("no PR")
        }
        return pullRequest
    }

    @Test func stagingEndToEndThroughTheRealMachine() async throws {
        let harness = try EffectsHarness()
        defer { harness.stop() }
        var driver = Driver(harness)
        await driver.degrade(harness)
        #expect(driver.machine.state == .prCreated)
        let pr = try #require(driver.machine.attempt?.pullRequest)
        #expect(driver.machine.attempt?.target?.sha == harness.target)
        harness.gh.setCheckRun(repo: "acme/gitops", sha: pr.headSHA, name: "ci", conclusion: "success")
        await driver.fire(.ciPoll)
        #expect(driver.machine.state == .rollbackMerged)
        #expect(driver.machine.attempt?.lastInvariants?.allPass == true)
        #expect(driver.machine.attempt?.merge?.confirmed == true)
        #expect(harness.gh.merges.count == 1)
        #expect(harness.gh.merges.first?.method == "squash" && harness.gh.merges.first?.headSHA == pr.headSHA)
        #expect(harness.gh.pulls(repo: "acme/gitops").count == 1)

        // Merging again (e.g. after a crash right after the request) is a success, not a second merge.
        let order = MergeOrder(
            repository: "acme/gitops", prNumber: pr.number, expectedHeadSHA: pr.headSHA, method: "squash",
            basis: .automatic(Self.allPass(prNumber: pr.number, head: pr.headSHA)))
        let again = await harness.runner.perform(.merge(order), app: harness.app, machine: driver.machine)
        guard case .mergeSucceeded? = again.first else {
            Issue.record("expected success, got \(again)")
            return
        }
        #expect(harness.gh.merges.count == 1)
    }

    @Test func headMovedIsBaseSHAMismatch() async throws {
        let harness = try EffectsHarness()
        defer { harness.stop() }
        let pr = try await Self.openPR(harness)
        harness.gh.addCommit(
            repo: "acme/gitops", branch: harness.branch, files: ["NOTE.md": "pushed by someone\n"], message: "sneaky")
        let order = MergeOrder(
            repository: "acme/gitops", prNumber: pr.number, expectedHeadSHA: pr.headSHA, method: "squash",
            basis: .automatic(Self.allPass(prNumber: pr.number, head: pr.headSHA)))
        let events = await harness.runner.perform(
            .merge(order), app: harness.app, machine: harness.machine(holding: pr))
        guard case .mergeFailed(let failure)? = events.first else {
            Issue.record("expected mergeFailed, got \(events)")
            return
        }
        #expect(failure.code == .baseSHAMismatch && failure.retriesExhausted)
        #expect(harness.gh.merges.isEmpty)
    }

    @Test func productionMergeWithoutApprovalIsAnEmergencyStop() async throws {
        let harness = try EffectsHarness(environment: "production")
        defer { harness.stop() }
        let pr = try await Self.openPR(harness)
        #expect(harness.app.info.baseBranch == "main")
        harness.gh.clearRequestLog()
        for basis in [
            MergeBasis.humanApproval(approver: "senior-sre", headSHA: pr.headSHA),
            .automatic(Self.allPass(prNumber: pr.number, head: pr.headSHA)),
        ] {
            let order = MergeOrder(
                repository: "acme/gitops", prNumber: pr.number, expectedHeadSHA: pr.headSHA,
                method: "squash", basis: basis)
            let events = await harness.runner.perform(
                .merge(order), app: harness.app, machine: harness.machine(holding: pr))
            guard case .criticalInvariantViolated(let why)? = events.first else {
                Issue.record("expected a stop, got \(events)")
                continue
            }
            #expect(!why.isEmpty)
        }
        #expect(harness.gh.merges.isEmpty)
        #expect(harness.requests("PUT", "/merge").isEmpty)
    }

    @Test func stagingAutomaticMergeNeedsAllEightPass() async throws {
        let harness = try EffectsHarness()
        defer { harness.stop() }
        let pr = try await Self.openPR(harness)
        var report = Self.allPass(prNumber: pr.number, head: pr.headSHA)
        report.results[6].outcome = .fail
        let order = MergeOrder(
            repository: "acme/gitops", prNumber: pr.number, expectedHeadSHA: pr.headSHA, method: "squash",
            basis: .automatic(report))
        let events = await harness.runner.perform(
            .merge(order), app: harness.app, machine: harness.machine(holding: pr))
        guard case .criticalInvariantViolated? = events.first else {
            Issue.record("expected a stop, got \(events)")
            return
        }
        #expect(harness.gh.merges.isEmpty)
    }

    @Test func productionApprovalFlowThroughReviews() async throws {
        let harness = try EffectsHarness(environment: "production")
        defer { harness.stop() }
        var driver = Driver(harness)
        await driver.degrade(harness)
        let pr = try #require(driver.machine.attempt?.pullRequest)
        harness.gh.setCheckRun(repo: "acme/gitops", sha: pr.headSHA, name: "ci", conclusion: "success")
        await driver.fire(.ciPoll)
        #expect(driver.machine.state == .awaitingMergeApproval)
        // A stranger's and the operator's own approvals do not count; an approver's does.
        harness.gh.addReview(repo: "acme/gitops", number: pr.number, user: "random-dev", state: "APPROVED")
        harness.gh.addReview(repo: "acme/gitops", number: pr.number, user: "ai-operator[bot]", state: "APPROVED")
        harness.gh.addReview(repo: "acme/gitops", number: pr.number, user: "someone", state: "COMMENTED")
        let first = await harness.runner.perform(
            .fetchReviews(prNumber: pr.number), app: harness.app, machine: driver.machine)
        let inputs = first.compactMap { event -> ReviewInput? in
            if case .reviewSubmitted(let review) = event { review } else { nil }
        }
        #expect(inputs.map(\.reviewer) == ["random-dev", "ai-operator[bot]"])
        #expect(inputs.allSatisfy { !$0.isAuthorizedApprover })
        #expect(inputs.map(\.isOperator) == [false, true])
        // The operator's own review is settled; the stranger's is asked again (a failed team read heals).
        let repeatReviewers = await harness.runner.perform(
            .fetchReviews(prNumber: pr.number), app: harness.app, machine: driver.machine
        )
        .compactMap { event -> String? in if case .reviewSubmitted(let review) = event { review.reviewer } else { nil }
        }
        #expect(repeatReviewers == ["random-dev"])
        for event in first { await driver.send(event) }
        #expect(driver.machine.attempt?.approvals.isEmpty == true)

        harness.gh.addReview(repo: "acme/gitops", number: pr.number, user: "senior-sre", state: "APPROVED")
        await driver.fire(.reviewPoll)
        #expect(driver.machine.attempt?.approvals.map(\.approver) == ["senior-sre"])
        #expect(driver.machine.state == .rollbackMerged)
        #expect(driver.machine.attempt?.merge?.confirmed == true)
        #expect(harness.gh.merges.count == 1)
        // Nothing new to report afterwards.
        let later = await harness.runner.perform(
            .fetchReviews(prNumber: pr.number), app: harness.app, machine: driver.machine)
        #expect(
            later.allSatisfy {
                if case .reviewSubmitted(let review) = $0 { review.reviewer != "senior-sre" } else { true }
            })
    }

    @Test func closePullRequestCommentsOnceAndCloses() async throws {
        let harness = try EffectsHarness()
        defer { harness.stop() }
        let pr = try await Self.openPR(harness)
        for _ in 0..<2 {
            _ = await harness.runner.perform(
                .closePullRequest(number: pr.number, comment: "Health restored before merge."),
                app: harness.app, machine: harness.newMachine())
        }
        #expect(harness.gh.pulls(repo: "acme/gitops").first?.state == "closed")
        #expect(
            harness.gh.comments(repo: "acme/gitops", issue: pr.number).map(\.body) == ["Health restored before merge."])
        #expect(harness.gh.merges.isEmpty)
    }

    @Test func gatherMergeFactsReadsEverything() async throws {
        let harness = try EffectsHarness()
        defer { harness.stop() }
        let pr = try await Self.openPR(harness)
        harness.gh.setCheckRun(repo: "acme/gitops", sha: pr.headSHA, name: "ci", conclusion: "success")
        let events = await harness.runner.perform(
            .gatherMergeFacts(prNumber: pr.number, read: 1), app: harness.app, machine: harness.newMachine())
        guard case .mergeFactsGathered(let facts)? = events.first else {
            Issue.record("expected facts")
            return
        }
        #expect(facts.health == .degraded)
        #expect(facts.replicas == ReplicaCounts(desired: 3, available: 1, ready: 1))
        #expect(facts.headSHA == pr.headSHA && facts.headCI.verdict == .passed)
        #expect(facts.openOperatorPRs == [pr.number])
        #expect(facts.mergeable == true)

        // Kubernetes down: replicas unknown (I3 FAIL), the rest still read.
        harness.sims.kubernetes.faults.inject(.status(500), path: "/apis", count: nil)
        let again = await harness.runner.perform(
            .gatherMergeFacts(prNumber: pr.number, read: 1), app: harness.app, machine: harness.newMachine())
        guard case .mergeFactsGathered(let factsWithoutKubernetes)? = again.first else {
            Issue.record("expected facts")
            return
        }
        #expect(factsWithoutKubernetes.replicas == nil && factsWithoutKubernetes.health == .degraded)
    }
}
