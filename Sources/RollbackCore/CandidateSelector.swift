import Foundation

/// A commit that may become the rollback target.
public struct CommitInfo: Sendable, Equatable, Codable {
    public var sha: String
    public var message: String
    public var author: String
    public var date: Date
    public init(sha: String, message: String, author: String, date: Date) {
        self.sha = sha
        self.message = message
        self.author = author
        self.date = date
    }
}

/// A revision Argo CD deployed (`status.history`).
public struct DeployedRevision: Sendable, Equatable, Codable {
    public var sha: String
    public var deployedAt: Date
    public init(sha: String, deployedAt: Date) {
        self.sha = sha
        self.deployedAt = deployedAt
    }
}

/// GitHub compare `current...candidate` status.
public enum AncestryStatus: String, Sendable, Equatable, Codable { case behind, ahead, identical, diverged }

/// What Prometheus answered for a candidate.
public enum UptimeFact: Sendable, Equatable, Codable {
    case value(Double)
    /// No series, or Prometheus unreachable / not configured: stability falls back to CI.
    case noMetrics
}

/// Every fact the candidate choice reads (SPEC 6), gathered by the shell.
public struct CandidateFacts: Sendable, Equatable, Codable {
    /// The app's `status.sync.revision`.
    public var currentRevision: String
    /// The manifest's `targetRevision` on the environment branch.
    public var manifestRevision: String
    /// `status.history`, any order (sorted newest first here).
    public var history: [DeployedRevision]
    /// Commits listed backwards from the current revision, newest first.
    public var commits: [CommitInfo]
    public var ancestry: [String: AncestryStatus]
    public var ci: [String: CIReport]
    public var uptime: [String: UptimeFact]

    public init(
        currentRevision: String, manifestRevision: String, history: [DeployedRevision], commits: [CommitInfo],
        ancestry: [String: AncestryStatus], ci: [String: CIReport], uptime: [String: UptimeFact]
    ) {
        self.currentRevision = currentRevision
        self.manifestRevision = manifestRevision
        self.history = history
        self.commits = commits
        self.ancestry = ancestry
        self.ci = ci
        self.uptime = uptime
    }
}

/// One candidate the selector looked at, with why it was taken or skipped.
public struct CandidateVerdict: Sendable, Equatable, Codable {
    public var sha: String
    public var taken: Bool
    public var reason: String
    public init(sha: String, taken: Bool, reason: String) {
        self.sha = sha
        self.taken = taken
        self.reason = reason
    }
}

/// The chosen target.
public struct Candidate: Sendable, Equatable, Codable {
    public var sha: String
    public var commit: CommitInfo?
    /// `nil` means "no metrics" (stable because CI passed).
    public var uptime: Double?
    public var isStrictAncestor: Bool
    public var ciPassed: Bool
    public init(sha: String, commit: CommitInfo?, uptime: Double?, isStrictAncestor: Bool, ciPassed: Bool) {
        self.sha = sha
        self.commit = commit
        self.uptime = uptime
        self.isStrictAncestor = isStrictAncestor
        self.ciPassed = ciPassed
    }
}

/// The answer of the candidate choice.
public struct CandidateSelection: Sendable, Equatable, Codable {
    public enum Outcome: String, Sendable, Equatable, Codable { case found, noCandidate, revisionMismatch }
    public var outcome: Outcome
    public var currentRevision: String
    public var winner: Candidate?
    /// Every candidate looked at, in the order looked at.
    public var considered: [CandidateVerdict]
    public init(outcome: Outcome, currentRevision: String, winner: Candidate?, considered: [CandidateVerdict]) {
        self.outcome = outcome
        self.currentRevision = currentRevision
        self.winner = winner
        self.considered = considered
    }
}

/// Candidate choice of SPEC 6.
public enum CandidateSelector {
    /// A revision to consider, with the instant at which its uptime must be evaluated.
    public struct Planned: Sendable, Equatable {
        public var sha: String
        public var date: Date
        public var fromHistory: Bool
        /// End of its deployed period: the next history entry's `deployedAt`, else 24 h after
        /// its own date, capped at `now`.
        public var uptimeEvaluatedAt: Date
    }

    /// The candidates in the order they are looked at: deployed revisions newest first,
    /// then commits backwards from current; the current revision left out; at most
    /// `maxCandidates`, none older than `candidateMaxAge`.
    public static func plan(
        history: [DeployedRevision], commits: [CommitInfo], currentRevision: String,
        now: Date, configuration: RollbackConfiguration = .default
    ) -> [Planned] {
        let oldest = now.addingTimeInterval(-configuration.candidateMaxAge)
        let sortedHistory = history.sorted { $0.deployedAt > $1.deployedAt }
        var seen: Set<String> = [currentRevision]
        var out: [Planned] = []
        for (position, deployed) in sortedHistory.enumerated()
        where deployed.deployedAt >= oldest && !seen.contains(deployed.sha) {
            seen.insert(deployed.sha)
            let end =
                position > 0 ? sortedHistory[position - 1].deployedAt : deployed.deployedAt.addingTimeInterval(86400)
            out.append(
                Planned(
                    sha: deployed.sha, date: deployed.deployedAt, fromHistory: true, uptimeEvaluatedAt: min(end, now)))
        }
        for commit in commits where commit.date >= oldest && !seen.contains(commit.sha) {
            seen.insert(commit.sha)
            out.append(
                Planned(
                    sha: commit.sha, date: commit.date, fromHistory: false,
                    uptimeEvaluatedAt: min(commit.date.addingTimeInterval(86400), now)))
        }
        return Array(out.prefix(configuration.maxCandidates))
    }

    /// Chooses the target: the first planned candidate that is a strict ancestor of the
    /// current revision, whose CI passed, and that is stable (uptime >= 99 %, or no
    /// metrics and CI passed). Records a verdict for every candidate looked at.
    public static func select(
        _ facts: CandidateFacts, now: Date,
        configuration: RollbackConfiguration = .default
    ) -> CandidateSelection {
        guard facts.currentRevision == facts.manifestRevision else {
            return CandidateSelection(
                outcome: .revisionMismatch, currentRevision: facts.currentRevision, winner: nil,
                considered: [])
        }
        var considered: [CandidateVerdict] = []
        if facts.history.contains(where: { $0.sha == facts.currentRevision })
            || facts.commits.contains(where: { $0.sha == facts.currentRevision })
        {
            considered.append(
                CandidateVerdict(
                    sha: facts.currentRevision, taken: false,
                    reason: "it is the current revision (RB-09)"))
        }
        let commitsBySHA = Dictionary(facts.commits.map { ($0.sha, $0) }, uniquingKeysWith: { a, _ in a })
        for candidate in plan(
            history: facts.history, commits: facts.commits, currentRevision: facts.currentRevision, now: now,
            configuration: configuration)
        {
            func skip(_ why: String) {
                considered.append(CandidateVerdict(sha: candidate.sha, taken: false, reason: why))
            }
            guard let ancestry = facts.ancestry[candidate.sha] else {
                skip("its ancestry is unknown")
                continue
            }
            guard ancestry == .behind else {
                skip("it is not a strict ancestor of the current revision (compare: \(ancestry.rawValue))")
                continue
            }
            guard let report = facts.ci[candidate.sha] else {
                skip("no CI results were found")
                continue
            }
            switch report.verdict {
            case .failed:
                skip("CI failed")
                continue
            case .pending:
                skip("CI has not finished or reported nothing")
                continue
            case .passed: break
            }
            let uptime: Double?
            switch facts.uptime[candidate.sha] ?? .noMetrics {
            case .value(let measuredUptime):
                guard measuredUptime >= configuration.minimumUptime else {
                    skip(
                        "uptime \(Percent.format(measuredUptime)) is below \(Percent.format(configuration.minimumUptime))"
                    )
                    continue
                }
                uptime = measuredUptime
            case .noMetrics:
                uptime = nil
            }
            considered.append(
                CandidateVerdict(
                    sha: candidate.sha, taken: true,
                    reason: uptime.map {
                        "strict ancestor, CI passed, uptime \(Percent.format($0))"
                    } ?? "strict ancestor, CI passed, no metrics (uptime: null): stable because CI passed"))
            let winner = Candidate(
                sha: candidate.sha, commit: commitsBySHA[candidate.sha], uptime: uptime, isStrictAncestor: true,
                ciPassed: true)
            return CandidateSelection(
                outcome: .found, currentRevision: facts.currentRevision, winner: winner, considered: considered)
        }
        return CandidateSelection(
            outcome: .noCandidate, currentRevision: facts.currentRevision, winner: nil, considered: considered)
    }
}
