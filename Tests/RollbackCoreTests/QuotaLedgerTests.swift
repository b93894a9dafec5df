import Foundation
import Testing

@testable import RollbackCore

@Suite struct QuotaLedgerTests {
    let configuration = RollbackConfiguration.default
    @Test func tenAttemptsInFlightAtMost() {
        var ledger = QuotaLedger()
        for i in 0..<9 { ledger.record(.attemptStarted(app: "a\(i)", correlationId: "\(i)"), now: t0) }
        #expect(ledger.check(.startAttempt(app: "z"), now: t0, configuration: configuration).isAllowed)
        ledger.record(.attemptStarted(app: "a9", correlationId: "9"), now: t0)
        #expect(!ledger.check(.startAttempt(app: "z"), now: t0, configuration: configuration).isAllowed)
        ledger.record(.attemptEnded(correlationId: "3"), now: t0)
        #expect(ledger.check(.startAttempt(app: "z"), now: t0, configuration: configuration).isAllowed)
    }
    @Test func fiveAttemptsPerAppPerDay() {
        var ledger = QuotaLedger()
        for i in 0..<5 {
            ledger.record(
                .attemptStarted(app: "a", correlationId: "\(i)"), now: t0.addingTimeInterval(Double(i) * 3600))
            ledger.record(.attemptEnded(correlationId: "\(i)"), now: t0)
        }
        #expect(
            !ledger.check(.startAttempt(app: "a"), now: t0.addingTimeInterval(5 * 3600), configuration: configuration)
                .isAllowed)
        #expect(
            ledger.check(.startAttempt(app: "a"), now: t0.addingTimeInterval(86400 + 1), configuration: configuration)
                .isAllowed)
    }
    @Test func tenPRsAndFiveMergesPerRepoPerHour() {
        var ledger = QuotaLedger()
        for _ in 0..<10 { ledger.record(.pullRequestOpened(repository: "r"), now: t0) }
        for _ in 0..<5 { ledger.record(.merged(repository: "r"), now: t0) }
        #expect(!ledger.check(.openPullRequest(repository: "r"), now: t0, configuration: configuration).isAllowed)
        #expect(!ledger.check(.merge(repository: "r"), now: t0, configuration: configuration).isAllowed)
        #expect(ledger.check(.merge(repository: "other"), now: t0, configuration: configuration).isAllowed)
        #expect(
            ledger.check(.merge(repository: "r"), now: t0.addingTimeInterval(3601), configuration: configuration)
                .isAllowed)
    }
    @Test func mergeQuotaEscalatesInsteadOfMerging() {
        var harness = Harness()
        for _ in 0..<5 { harness.context.quotas.record(.merged(repository: "acme/gitops"), now: t0) }
        harness.toAwaitingMergeApproval()
        let transition = harness.send(.mergeFactsGathered(facts()))
        #expect(
            transition.merges.isEmpty && transition.escalations.first?.code == .quotaExceeded
                && harness.machine.state == .awaitingHumanReview)
    }
    @Test func ledgerRoundTripsThroughJSON() throws {
        var ledger = QuotaLedger()
        ledger.record(.attemptStarted(app: "a", correlationId: "1"), now: t0)
        #expect(try JSONDecoder().decode(QuotaLedger.self, from: JSONEncoder().encode(ledger)) == ledger)
    }
    @Test func configurationDefaultsMatchTheSpec() {
        #expect(
            configuration.pollInterval == 10 && configuration.persistenceChecks == 3
                && configuration.healthRestorationDuration == 60)
        #expect(
            configuration.candidateSearchTimeout == 120 && configuration.ciWaitTimeout == 300
                && configuration.mergeApprovalTimeout == 3600)
        #expect(
            configuration.healthRecoveryTimeout == 600 && configuration.rollbackCooldown == 600
                && configuration.humanReviewTimeout == 14400
                && configuration.argoSkip == 300)
    }
}
