import Foundation
import Testing

@testable import RollbackCore

@Suite struct CandidateSelectorTests {
    let now = t0
    func commit(_ sha: String, daysAgo: Double) -> CommitInfo {
        CommitInfo(
            sha: sha, message: "commit \(sha)", author: "dev@example.com", date: t0.addingTimeInterval(-daysAgo * 86400)
        )
    }
    /// The seeds' worked example: `ccc111` CI failed, `bbb222` uptime 95 %, `abc123` uptime 99.8 % is chosen.
    func seedFacts(uptime abcUptime: UptimeFact = .value(0.998)) -> CandidateFacts {
        CandidateFacts(
            currentRevision: "def456", manifestRevision: "def456",
            history: [
                DeployedRevision(sha: "def456", deployedAt: t0.addingTimeInterval(-7200)),
                DeployedRevision(sha: "ccc111", deployedAt: t0.addingTimeInterval(-86400)),
                DeployedRevision(sha: "bbb222", deployedAt: t0.addingTimeInterval(-86400 * 1.5)),
                DeployedRevision(sha: "abc123", deployedAt: t0.addingTimeInterval(-86400 * 2)),
            ],
            commits: [
                commit("def456", daysAgo: 0.1), commit("ccc111", daysAgo: 1), commit("bbb222", daysAgo: 1.5),
                commit("abc123", daysAgo: 2),
            ],
            ancestry: ["ccc111": .behind, "bbb222": .behind, "abc123": .behind],
            ci: ["ccc111": failedCI("ccc111"), "bbb222": passedCI("bbb222"), "abc123": passedCI("abc123")],
            uptime: ["ccc111": .value(0.999), "bbb222": .value(0.95), "abc123": abcUptime])
    }

    @Test func seedWorkedExampleChoosesAbc123AndExplainsEveryCandidate() {
        let selection = CandidateSelector.select(seedFacts(), now: now)
        #expect(selection.outcome == .found && selection.winner?.sha == "abc123" && selection.winner?.uptime == 0.998)
        #expect(selection.considered.map(\.sha) == ["def456", "ccc111", "bbb222", "abc123"])
        #expect(selection.considered.map(\.taken) == [false, false, false, true])
        #expect(selection.considered[1].reason == "CI failed")
        #expect(selection.considered[2].reason.contains("95 %"))
        #expect(selection.winner?.commit?.message == "commit abc123")
    }

    @Test func noMetricsFallbackIsStableWhenCIPassed() {
        let selection = CandidateSelector.select(seedFacts(uptime: .noMetrics), now: now)
        #expect(selection.winner?.sha == "abc123" && selection.winner?.uptime == nil)
        #expect(selection.considered.last?.reason.contains("uptime: null") == true)
    }

    @Test func neverTheCurrentRevisionAndOnlyStrictAncestors() {
        var facts = seedFacts()
        facts.ancestry["abc123"] = .diverged
        let selection = CandidateSelector.select(facts, now: now)
        #expect(selection.outcome == .noCandidate && selection.winner == nil)
        #expect(!selection.considered.contains { $0.taken })
        #expect(selection.considered.first { $0.sha == "def456" }?.taken == false)
    }

    @Test func revisionMismatchWhenArgoAndManifestDisagree() {
        var facts = seedFacts()
        facts.manifestRevision = "zzz999"
        #expect(CandidateSelector.select(facts, now: now).outcome == .revisionMismatch)
    }

    @Test func planCapsAt50AndDropsOlderThan30Days() {
        let commits = (1...80).map { commit("c\($0)", daysAgo: Double($0) * 0.3) }
        let planned = CandidateSelector.plan(history: [], commits: commits, currentRevision: "x", now: now)
        #expect(planned.count == 50)
        let old = CandidateSelector.plan(
            history: [], commits: [commit("o", daysAgo: 31), commit("n", daysAgo: 29)], currentRevision: "x", now: now)
        #expect(old.map(\.sha) == ["n"])
    }

    @Test func uptimeIsEvaluatedAtTheEndOfTheDeployedPeriodCappedAtNow() {
        let facts = seedFacts()
        let planned = CandidateSelector.plan(
            history: facts.history, commits: facts.commits, currentRevision: "def456", now: now)
        #expect(
            planned[0].sha == "ccc111" && planned[0].uptimeEvaluatedAt == t0.addingTimeInterval(-7200),
            "next history entry's deployedAt")
        #expect(planned[1].uptimeEvaluatedAt == t0.addingTimeInterval(-86400))
        let single = CandidateSelector.plan(
            history: [DeployedRevision(sha: "r", deployedAt: t0.addingTimeInterval(-3600))], commits: [],
            currentRevision: "x", now: now)
        #expect(single[0].uptimeEvaluatedAt == now, "24 h after, capped at now")
    }
}
