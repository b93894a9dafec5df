import Foundation

@testable import RollbackCore

let t0 = Date(timeIntervalSince1970: 1_772_188_200)  // 2026-02-27T10:30:00Z
let currentSHA = "def456abc789def456abc789def456abc789def4"
let targetSHA = "abc123def456abc123def456abc123def456abc1"
let newHeadSHA = "fff999fff999fff999fff999fff999fff999fff9"

func appInfo(_ env: DeploymentEnvironment) -> ApplicationInfo {
    ApplicationInfo(
        name: "payment-service", environment: env, manifestRepository: "acme/gitops", sourceRepository: "acme/gitops")
}

func degraded(_ available: Int = 1, _ desired: Int = 3, rev: String = currentSHA) -> HealthObservation {
    HealthObservation(
        health: .degraded, message: "Deployment has minimum availability", syncRevision: rev,
        replicas: ReplicaCounts(desired: desired, available: available),
        unhealthyPods: [PodIssue(name: "payment-7c9f", reason: "CrashLoopBackOff")])
}
func healthy(rev: String = currentSHA) -> HealthObservation {
    HealthObservation(health: .healthy, syncRevision: rev, replicas: ReplicaCounts(desired: 3, available: 3))
}

func passedCI(_ sha: String) -> CIReport {
    CIReport(
        sha: sha, checkRuns: [.init(name: "unit", conclusion: .success), .init(name: "scan", conclusion: .neutral)])
}
func failedCI(_ sha: String) -> CIReport { CIReport(sha: sha, checkRuns: [.init(name: "unit", conclusion: .failure)]) }
func pendingCI(_ sha: String) -> CIReport { CIReport(sha: sha, checkRuns: [.init(name: "unit", conclusion: nil)]) }

let winner = Candidate(
    sha: targetSHA,
    commit: CommitInfo(
        sha: targetSHA, message: "Fix payment processing bug",
        author: "jane.doe@example.com", date: t0.addingTimeInterval(-86400 * 2)),
    uptime: 0.998, isStrictAncestor: true, ciPassed: true)
func found(_ candidate: Candidate = winner) -> CandidateSelection {
    CandidateSelection(
        outcome: .found, currentRevision: currentSHA, winner: candidate,
        considered: [CandidateVerdict(sha: candidate.sha, taken: true, reason: "ok")])
}
let prHead = "1111111aaaaaaa1111111aaaaaaa1111111aaaaa"
let prRef = PullRequestRef(
    number: 42, url: "https://github.com/acme/gitops/pull/42",
    headBranch: "rollback/payment-service-abc123d", headSHA: prHead, operatorCommitSHA: prHead)

/// The compare of the operator's head against the base: its one-line edit of the manifest.
let operatorChange = [
    HeadChange(
        path: ".argocd/application.yaml", additions: 1, deletions: 1,
        patch: "@@ -5,1 +5,1 @@\n-    targetRevision: \(currentSHA)\n+    targetRevision: \(targetSHA)")
]
/// Someone else's change riding along on the rollback branch.
let foreignChange =
    operatorChange + [HeadChange(path: "deploy/values.yaml", additions: 1, deletions: 0, patch: "+replicas: 0")]

func facts(
    health: ArgoHealthStatus = .degraded, replicas: ReplicaCounts? = ReplicaCounts(desired: 3, available: 1),
    head: String = prHead, ci: CIReport? = nil, open: [Int] = [42], mergeable: Bool? = true,
    state: String? = "clean", changes: [HeadChange]? = operatorChange, author: String? = nil
) -> MergeFacts {
    MergeFacts(
        prNumber: 42, health: health, replicas: replicas, headSHA: head, headCI: ci ?? passedCI(head),
        openOperatorPRs: open, mergeable: mergeable, mergeableState: state, headChanges: changes, headAuthor: author)
}

func approve(
    _ who: String = "alice", authorized: Bool = true,
    channel: CommandChannel = .chatOps(repository: "acme/alerts", issueNumber: 7)
) -> RollbackEvent {
    .command(CommandInput(kind: .approve, sender: who, isAuthorized: authorized, channel: channel))
}
func cmd(_ kind: CommandKind, _ who: String = "alice", authorized: Bool = true) -> RollbackEvent {
    .command(CommandInput(kind: kind, sender: who, isAuthorized: authorized, channel: .rest))
}
