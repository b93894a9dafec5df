import Foundation
import Testing

@testable import RollbackCore

/// One test per invariant PASS and FAIL (SPEC 9).
@Suite struct InvariantsTests {
    static func base() -> InvariantFacts {
        InvariantFacts(
            environment: .staging, health: .degraded, replicas: ReplicaCounts(desired: 3, available: 1),
            consecutiveDegradedChecks: 3, targetUptime: 0.998, targetCIPassed: true, headSHA: prHead,
            headCI: .passed, openOperatorPRs: [42], prNumber: 42, mergeable: true, mergeableState: "clean")
    }
    static func outcome(_ id: InvariantID, _ change: (inout InvariantFacts) -> Void = { _ in }) -> InvariantOutcome {
        var facts = base()
        change(&facts)
        return InvariantReport.evaluate(facts).outcome(id)
    }

    @Test func allPassAndOrderedResultMap() {
        let report = InvariantReport.evaluate(Self.base())
        #expect(report.allPass && report.results.map(\.id) == InvariantID.allCases)
        #expect(report.orderedJSON.hasPrefix("{\"I1_environment\": \"PASS\", \"I2_health_degraded\": \"PASS\""))
        #expect(report.map["I8_branch_protection"] == "PASS" && report.evidence.count == 8)
    }
    @Test func i1_environment_pass() { #expect(Self.outcome(.environment) == .pass) }
    @Test func i1_environment_fail() { #expect(Self.outcome(.environment) { $0.environment = .production } == .fail) }
    @Test func i2_healthDegraded_pass() { #expect(Self.outcome(.healthDegraded) == .pass) }
    @Test func i2_healthDegraded_fail() { #expect(Self.outcome(.healthDegraded) { $0.health = .healthy } == .fail) }
    @Test func i3_replicaShortage_pass() { #expect(Self.outcome(.replicaShortage) == .pass) }
    @Test func i3_replicaShortage_fail() {
        #expect(Self.outcome(.replicaShortage) { $0.replicas = ReplicaCounts(desired: 3, available: 3) } == .fail)
        #expect(Self.outcome(.replicaShortage) { $0.replicas = nil } == .fail)
    }
    @Test func i4_persistence_pass() { #expect(Self.outcome(.persistence) == .pass) }
    @Test func i4_persistence_fail() {
        #expect(Self.outcome(.persistence) { $0.consecutiveDegradedChecks = 2 } == .fail)
    }
    @Test func i5_stablePrevious_pass() {
        #expect(Self.outcome(.stablePrevious) == .pass)
        #expect(Self.outcome(.stablePrevious) { $0.targetUptime = nil } == .pass, "no metrics and CI passed")
    }
    @Test func i5_stablePrevious_fail() {
        #expect(Self.outcome(.stablePrevious) { $0.targetUptime = 0.95 } == .fail)
        #expect(
            Self.outcome(.stablePrevious) {
                $0.targetUptime = nil
                $0.targetCIPassed = false
            } == .fail)
    }
    @Test func i6_ciSuccess_pass() { #expect(Self.outcome(.ciSuccess) == .pass) }
    @Test func i6_ciSuccess_fail() {
        #expect(Self.outcome(.ciSuccess) { $0.headCI = .pending } == .fail)
        #expect(Self.outcome(.ciSuccess) { $0.headCI = .failed } == .fail)
    }
    @Test func i7_noConflicts_pass() { #expect(Self.outcome(.noConflicts) == .pass) }
    @Test func i7_noConflicts_fail() {
        #expect(Self.outcome(.noConflicts) { $0.openOperatorPRs = [41, 42] } == .fail)
        #expect(Self.outcome(.noConflicts) { $0.openOperatorPRs = [] } == .fail)
    }
    @Test func i8_branchProtection_pass() {
        for state in ["clean", "has_hooks", "unstable"] {
            #expect(Self.outcome(.branchProtection) { $0.mergeableState = state } == .pass)
        }
    }
    @Test func i8_branchProtection_fail() {
        #expect(Self.outcome(.branchProtection) { $0.mergeableState = "blocked" } == .fail)
        #expect(Self.outcome(.branchProtection) { $0.mergeable = false } == .fail)
    }
    @Test func i8_mergeableNull_asksForRereadThenFails() {
        var facts = Self.base()
        facts.mergeable = nil
        facts.mergeableState = nil
        facts.mergeableReads = 1
        #expect(InvariantReport.evaluate(facts).needsMergeableReread)
        facts.mergeableReads = 3
        let report = InvariantReport.evaluate(facts)
        #expect(!report.needsMergeableReread && report.outcome(.branchProtection) == .fail)
    }
}
