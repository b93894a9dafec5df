import Foundation

@testable import RollbackCore

let t0 = Date(timeIntervalSince1970: 1_772_188_200)  // 2026-02-27T10:30:00Z
let currentSHA = "def456abc789def456abc789def456abc789def4"
let targetSHA = "abc123def456abc123def456abc123def456abc1"
let newHeadSHA = "fff999fff999fff999fff999fff999fff999fff9"

func appInfo(_ env: DeploymentEnvironment) -> ApplicationInfo {
    ApplicationInfo(name: "payment-service", environment: env, manifestRepository: "acme/gitops")
}

func degraded(_ a: Int = 1, _ d: Int = 3, rev: String = currentSHA) -> HealthObservation {
    HealthObservation(
        health: .degraded, message: "Deployment has minimum availability", syncRevision: rev,
        replicas: ReplicaCounts(desired: d, available: a),
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
func found(_ c: Candidate = winner) -> CandidateSelection {
    CandidateSelection(
        outcome: .found, currentRevision: currentSHA, winner: c,
        considered: [CandidateVerdict(sha: c.sha, taken: true, reason: "ok")])
}
let prHead = "1111111aaaaaaa1111111aaaaaaa1111111aaaaa"
let prRef = PullRequestRef(
    number: 42, url: "https://github.com/acme/gitops/pull/42",
    headBranch: "rollback/payment-service-abc123d", headSHA: prHead)

func facts(
    health: ArgoHealthStatus = .degraded, replicas: ReplicaCounts? = ReplicaCounts(desired: 3, available: 1),
    head: String = prHead, ci: CIReport? = nil, open: [Int] = [42], mergeable: Bool? = true,
    state: String? = "clean"
) -> MergeFacts {
    MergeFacts(
        prNumber: 42, health: health, replicas: replicas, headSHA: head, headCI: ci ?? passedCI(head),
        openOperatorPRs: open, mergeable: mergeable, mergeableState: state)
}

/// Drives one machine the way the shell would: a clock, the shared quota ledger, a log.
struct Harness {
    var m: RollbackStateMachine
    var now = t0
    var context = StepContext()
    var log: [Transition] = []

    init(_ env: DeploymentEnvironment = .staging, seed: UInt64 = 1) {
        m = RollbackStateMachine(app: appInfo(env), seed: seed)
    }

    @discardableResult
    mutating func send(_ e: RollbackEvent, after dt: Double = 0) -> Transition {
        now = now.addingTimeInterval(dt)
        let t = m.handle(e, now: now, context: context)
        for a in t.actions { if case .recordQuota(let u) = a { context.quotas.record(u, now: now) } }
        log.append(t)
        return t
    }
    func token(_ k: TimerKind) -> TimerToken { m.pendingTimer(k)!.token }
    @discardableResult
    mutating func fire(_ k: TimerKind) -> Transition {
        let p = m.pendingTimer(k)!
        return send(.timerFired(p.token), after: max(0, p.fireAt.timeIntervalSince(now)))
    }

    mutating func toDegradationDetected() {
        send(.healthChecked(degraded()), after: 10)
        send(.healthChecked(degraded()), after: 10)
        send(.healthChecked(degraded()), after: 10)
    }
    mutating func toCandidateResolved() {
        toDegradationDetected()
        send(.candidateSearchFinished(found()), after: 5)
    }
    mutating func toPRCreated() {
        toCandidateResolved()
        send(.pullRequestCreated(prRef), after: 5)
    }
    mutating func toAwaitingMergeApproval() {
        toPRCreated()
        send(.ciReported(passedCI(prHead)), after: 60)
    }
    mutating func toAwaitingHumanReview() {
        toAwaitingMergeApproval()
        send(.mergeFactsGathered(facts(open: [41, 42])))
    }
    mutating func toRollbackMerged() {
        if m.app.environment == .staging {
            toAwaitingMergeApproval()
            send(.mergeFactsGathered(facts()))
        } else {
            toAwaitingMergeApproval()
            send(
                .reviewSubmitted(
                    ReviewInput(reviewer: "alice", state: .approved, commitSHA: prHead, isAuthorizedApprover: true)))
            send(.mergeFactsGathered(facts()))
        }
        send(.mergeSucceeded(mergeCommitSHA: "m"))
    }
}

extension Transition {
    var merges: [MergeOrder] { actions.compactMap { if case .merge(let o) = $0 { o } else { nil } } }
    var escalations: [Escalation] { actions.compactMap { if case .escalate(let e) = $0 { e } else { nil } } }
    var closes: [Int] { actions.compactMap { if case .closePullRequest(let n, _) = $0 { n } else { nil } } }
    var replies: [CommandReply] { actions.compactMap { if case .reply(let r) = $0 { r } else { nil } } }
    var openPRs: [PullRequestPlan] { actions.compactMap { if case .openPullRequest(let p) = $0 { p } else { nil } } }
    func has(_ pred: (RollbackAction) -> Bool) -> Bool { actions.contains(where: pred) }
}

func approve(
    _ who: String = "alice", authorized: Bool = true,
    channel: CommandChannel = .chatOps(repository: "acme/alerts", issueNumber: 7)
) -> RollbackEvent {
    .command(CommandInput(kind: .approve, sender: who, isAuthorized: authorized, channel: channel))
}
func cmd(_ k: CommandKind, _ who: String = "alice", authorized: Bool = true) -> RollbackEvent {
    .command(CommandInput(kind: k, sender: who, isAuthorized: authorized, channel: .rest))
}
