import Foundation
import Testing

@testable import RollbackCore

@Suite struct QuotaLedgerTests {
    let c = RollbackConfiguration.default
    @Test func tenAttemptsInFlightAtMost() {
        var q = QuotaLedger()
        for i in 0..<9 { q.record(.attemptStarted(app: "a\(i)", correlationId: "\(i)"), now: t0) }
        #expect(q.check(.startAttempt(app: "z"), now: t0, configuration: c).isAllowed)
        q.record(.attemptStarted(app: "a9", correlationId: "9"), now: t0)
        #expect(!q.check(.startAttempt(app: "z"), now: t0, configuration: c).isAllowed)
        q.record(.attemptEnded(correlationId: "3"), now: t0)
        #expect(q.check(.startAttempt(app: "z"), now: t0, configuration: c).isAllowed)
    }
    @Test func fiveAttemptsPerAppPerDay() {
        var q = QuotaLedger()
        for i in 0..<5 {
            q.record(.attemptStarted(app: "a", correlationId: "\(i)"), now: t0.addingTimeInterval(Double(i) * 3600))
            q.record(.attemptEnded(correlationId: "\(i)"), now: t0)
        }
        #expect(!q.check(.startAttempt(app: "a"), now: t0.addingTimeInterval(5 * 3600), configuration: c).isAllowed)
        #expect(q.check(.startAttempt(app: "a"), now: t0.addingTimeInterval(86400 + 1), configuration: c).isAllowed)
    }
    @Test func tenPRsAndFiveMergesPerRepoPerHour() {
        var q = QuotaLedger()
        for _ in 0..<10 { q.record(.pullRequestOpened(repository: "r"), now: t0) }
        for _ in 0..<5 { q.record(.merged(repository: "r"), now: t0) }
        #expect(!q.check(.openPullRequest(repository: "r"), now: t0, configuration: c).isAllowed)
        #expect(!q.check(.merge(repository: "r"), now: t0, configuration: c).isAllowed)
        #expect(q.check(.merge(repository: "other"), now: t0, configuration: c).isAllowed)
        #expect(q.check(.merge(repository: "r"), now: t0.addingTimeInterval(3601), configuration: c).isAllowed)
    }
    @Test func mergeQuotaEscalatesInsteadOfMerging() {
        var h = Harness()
        for _ in 0..<5 { h.context.quotas.record(.merged(repository: "acme/gitops"), now: t0) }
        h.toAwaitingMergeApproval()
        let t = h.send(.mergeFactsGathered(facts()))
        #expect(t.merges.isEmpty && t.escalations.first?.code == .quotaExceeded && h.m.state == .awaitingHumanReview)
    }
    @Test func ledgerRoundTripsThroughJSON() throws {
        var q = QuotaLedger()
        q.record(.attemptStarted(app: "a", correlationId: "1"), now: t0)
        #expect(try JSONDecoder().decode(QuotaLedger.self, from: JSONEncoder().encode(q)) == q)
    }
    @Test func configurationDefaultsMatchTheSpec() {
        #expect(c.pollInterval == 10 && c.persistenceChecks == 3 && c.healthRestorationDuration == 60)
        #expect(c.candidateSearchTimeout == 120 && c.ciWaitTimeout == 300 && c.mergeApprovalTimeout == 3600)
        #expect(
            c.healthRecoveryTimeout == 600 && c.rollbackCooldown == 600 && c.humanReviewTimeout == 14400
                && c.argoSkip == 300)
    }
}
