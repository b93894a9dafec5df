/// The 8 safety invariants of SPEC 9, in their contract order.
public enum InvariantID: String, Sendable, Equatable, Codable, CaseIterable, Comparable {
    case environment = "I1_environment"
    case healthDegraded = "I2_health_degraded"
    case replicaShortage = "I3_replica_shortage"
    case persistence = "I4_persistence"
    case stablePrevious = "I5_stable_previous"
    case ciSuccess = "I6_ci_success"
    case noConflicts = "I7_no_conflicts"
    case branchProtection = "I8_branch_protection"

    public static func < (a: Self, b: Self) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// `"PASS"` or `"FAIL"`.
public enum InvariantOutcome: String, Sendable, Equatable, Codable {
    case pass = "PASS"
    case fail = "FAIL"
}

/// One snapshot of every fact the invariants read, taken immediately before a merge decision.
public struct InvariantFacts: Sendable, Equatable, Codable {
    public var environment: DeploymentEnvironment
    public var health: ArgoHealthStatus
    /// `nil` when the Kubernetes read failed (I3 then FAILs: it cannot be shown).
    public var replicas: ReplicaCounts?
    /// Consecutive degraded checks in the attempt's check history.
    public var consecutiveDegradedChecks: Int
    public var requiredDegradedChecks: Int
    /// Target uptime as a fraction, `nil` for "no metrics".
    public var targetUptime: Double?
    public var targetCIPassed: Bool
    public var minimumUptime: Double
    /// CI verdict of the PR's head SHA.
    public var headSHA: String
    public var headCI: CIVerdict
    /// Numbers of the open PRs labelled `ai-operator` on the base branch.
    public var openOperatorPRs: [Int]
    public var prNumber: Int
    /// GitHub's `mergeable` (`nil` while computing) and `mergeable_state`.
    public var mergeable: Bool?
    public var mergeableState: String?
    /// How many times the PR has been read so far for this decision (1 for the first read).
    public var mergeableReads: Int
    public var maxMergeableReads: Int

    public init(
        environment: DeploymentEnvironment, health: ArgoHealthStatus, replicas: ReplicaCounts?,
        consecutiveDegradedChecks: Int, requiredDegradedChecks: Int = 3,
        targetUptime: Double?, targetCIPassed: Bool, minimumUptime: Double = 0.99,
        headSHA: String, headCI: CIVerdict, openOperatorPRs: [Int], prNumber: Int,
        mergeable: Bool?, mergeableState: String?, mergeableReads: Int = 1, maxMergeableReads: Int = 3
    ) {
        self.environment = environment
        self.health = health
        self.replicas = replicas
        self.consecutiveDegradedChecks = consecutiveDegradedChecks
        self.requiredDegradedChecks = requiredDegradedChecks
        self.targetUptime = targetUptime
        self.targetCIPassed = targetCIPassed
        self.minimumUptime = minimumUptime
        self.headSHA = headSHA
        self.headCI = headCI
        self.openOperatorPRs = openOperatorPRs
        self.prNumber = prNumber
        self.mergeable = mergeable
        self.mergeableState = mergeableState
        self.mergeableReads = mergeableReads
        self.maxMergeableReads = maxMergeableReads
    }
}

/// One invariant's result with the sentence that justifies it.
public struct InvariantResult: Sendable, Equatable, Codable {
    public var id: InvariantID
    public var outcome: InvariantOutcome
    public var evidence: String
}

/// The evaluation of all 8 invariants from one snapshot (SPEC 9).
public struct InvariantReport: Sendable, Equatable, Codable {
    /// In contract order, I1 to I8.
    public var results: [InvariantResult]
    /// I8 saw `mergeable: null` and fewer than the allowed reads were made: read again
    /// after `mergeableRereadDelay` instead of deciding.
    public var needsMergeableReread: Bool

    public var allPass: Bool { results.allSatisfy { $0.outcome == .pass } }
    public func outcome(_ id: InvariantID) -> InvariantOutcome { results.first { $0.id == id }!.outcome }
    public func passes(_ ids: [InvariantID]) -> Bool { ids.allSatisfy { outcome($0) == .pass } }
    public var failed: [InvariantID] { results.filter { $0.outcome == .fail }.map(\.id) }
    /// `{"I1_environment": "PASS", ...}` as a dictionary (unordered; see `orderedJSON`).
    public var map: [String: String] {
        Dictionary(uniqueKeysWithValues: results.map { ($0.id.rawValue, $0.outcome.rawValue) })
    }
    /// The result map as JSON text with the keys in contract order.
    public var orderedJSON: String {
        "{" + results.map { "\"\($0.id.rawValue)\": \"\($0.outcome.rawValue)\"" }.joined(separator: ", ") + "}"
    }
    public var evidence: [String: String] {
        Dictionary(uniqueKeysWithValues: results.map { ($0.id.rawValue, $0.evidence) })
    }

    /// Evaluates I1 to I8 from `facts`.
    public static func evaluate(_ facts: InvariantFacts) -> InvariantReport {
        var results: [InvariantResult] = []
        results.reserveCapacity(8)
        func add(_ id: InvariantID, _ ok: Bool, _ evidence: String) {
            results.append(InvariantResult(id: id, outcome: ok ? .pass : .fail, evidence: evidence))
        }
        add(
            .environment, facts.environment == .staging,
            "The application's environment is \(facts.environment.rawValue).")
        add(.healthDegraded, facts.health == .degraded, "Argo CD health is \(facts.health.rawValue) now.")
        if let replicas = facts.replicas {
            add(
                .replicaShortage, replicas.isShort,
                "\(replicas.available) of \(replicas.desired) replicas are available.")
        } else {
            add(.replicaShortage, false, "The replica counts could not be read from Kubernetes.")
        }
        add(
            .persistence, facts.consecutiveDegradedChecks >= facts.requiredDegradedChecks,
            "The attempt's history holds \(facts.consecutiveDegradedChecks) consecutive degraded checks (\(facts.requiredDegradedChecks) required)."
        )
        if let uptime = facts.targetUptime {
            add(
                .stablePrevious, uptime >= facts.minimumUptime,
                "The target's uptime was \(Percent.format(uptime)) (at least \(Percent.format(facts.minimumUptime)) required)."
            )
        } else {
            add(
                .stablePrevious, facts.targetCIPassed,
                facts.targetCIPassed
                    ? "No uptime metrics for the target; its CI passed."
                    : "No uptime metrics for the target and its CI did not pass.")
        }
        add(
            .ciSuccess, facts.headCI == .passed,
            "CI of the PR head \(ShortSHA.of(facts.headSHA)) is \(facts.headCI.rawValue).")
        let others = facts.openOperatorPRs.filter { $0 != facts.prNumber }
        let conflictFree = others.isEmpty && facts.openOperatorPRs.contains(facts.prNumber)
        add(
            .noConflicts, conflictFree,
            conflictFree
                ? "PR #\(facts.prNumber) is the only open ai-operator PR on the base branch."
                : "Open ai-operator PRs on the base branch: \(facts.openOperatorPRs.map { "#\($0)" }.joined(separator: ", ")), expected only #\(facts.prNumber)."
        )
        var reread = false
        switch facts.mergeable {
        case .some(true):
            let okStates: Set<String> = ["clean", "has_hooks", "unstable"]
            let state = facts.mergeableState ?? "unknown"
            add(.branchProtection, okStates.contains(state), "GitHub says mergeable with state \(state).")
        case .some(false):
            add(
                .branchProtection, false,
                "GitHub says the PR is not mergeable (state \(facts.mergeableState ?? "unknown")).")
        case .none:
            reread = facts.mergeableReads < facts.maxMergeableReads
            add(
                .branchProtection, false,
                "GitHub is still computing mergeability after \(facts.mergeableReads) read(s).")
        }
        return InvariantReport(results: results, needsMergeableReread: reread)
    }
}
