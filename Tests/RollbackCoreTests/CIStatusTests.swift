import Testing

@testable import RollbackCore

/// The "CI passed" rule of SPEC 6.
@Suite struct CIStatusTests {
    @Test func checkRunsOnlyWithPendingCombinedAndZeroStatusesPasses() {
        #expect(
            CIReport(
                sha: "a", checkRuns: [.init(name: "u", conclusion: .success), .init(name: "s", conclusion: .skipped)],
                combinedState: .pending, statuses: []
            ).verdict == .passed)
    }
    @Test func nothingReportedIsPending() { #expect(CIReport(sha: "a", checkRuns: []).verdict == .pending) }
    @Test func runningRunIsPending() {
        #expect(CIReport(sha: "a", checkRuns: [.init(name: "u", conclusion: nil)]).verdict == .pending)
    }
    @Test func badConclusionsFail() {
        for conclusion in [CheckConclusion.failure, .cancelled, .timedOut, .actionRequired, .stale] {
            #expect(CIReport(sha: "a", checkRuns: [.init(name: "u", conclusion: conclusion)]).verdict == .failed)
        }
    }
    @Test func statusesDecideWithCombinedState() {
        #expect(
            CIReport(
                sha: "a", checkRuns: [], combinedState: .success, statuses: [.init(context: "ci", state: .success)]
            ).verdict == .passed)
        #expect(
            CIReport(
                sha: "a", checkRuns: [], combinedState: .pending, statuses: [.init(context: "ci", state: .pending)]
            ).verdict == .pending)
        #expect(
            CIReport(
                sha: "a", checkRuns: [.init(name: "u", conclusion: .success)], combinedState: .error,
                statuses: [.init(context: "ci", state: .error)]
            ).verdict == .failed)
    }
}
