import Foundation
import Testing

@testable import RollbackCore

/// Seeded random event sequences (replayable: a failure names its seed; run
/// `RandomSequenceTests.run(seed:verbose: true)` to print every step) proving the safety properties.
@Suite struct RandomSequenceTests {
    static let chunks = 8
    static let sequencesPerChunk = 12_500  // 100,000 sequences in the normal run
    static let stepsPerSequence = 12

    @Test(arguments: 0..<chunks)
    func safetyPropertiesHoldOnRandomSequences(chunk: Int) {
        var total = Stats()
        for i in 0..<Self.sequencesPerChunk {
            let seed = UInt64(chunk * Self.sequencesPerChunk + i)
            var stats = Stats()
            if let failure = Self.run(seed: seed, verbose: false, stats: &stats) {
                Issue.record("seed \(seed): \(failure)")
                return
            }
            total.add(stats)
        }
        // The properties must have been exercised, not vacuously true.
        #expect(total.autoMerges > 100 && total.approvedMerges > 100 && total.openPRs > 1000)
    }

    struct Stats {
        var autoMerges = 0, approvedMerges = 0, openPRs = 0
        mutating func add(_ o: Stats) {
            autoMerges += o.autoMerges
            approvedMerges += o.approvedMerges
            openPRs += o.openPRs
        }
    }

    /// Runs one sequence; returns the first property violation, if any.
    static func run(seed: UInt64, verbose: Bool, stats: inout Stats) -> String? {
        var rng = SplitMix64(seed: seed &* 0x9E37_79B9 &+ 7)
        let env: DeploymentEnvironment = rng.next() % 2 == 0 ? .staging : .production
        var m = RollbackStateMachine(app: appInfo(env), seed: seed)
        var now = t0
        var ctx = StepContext()
        var approvedHeads: [String: Set<String>] = [:]  // correlationId -> approved head SHAs
        var openPRActions: [String: Int] = [:]
        var shellTimers: Set<TimerToken> = []
        // Start most sequences near the interesting part.
        var steps = stepsPerSequence
        if rng.next() % 4 != 0 {
            for _ in 0..<3 {
                now += 10
                _ = m.handle(.healthChecked(degraded()), now: now, context: ctx)
            }
            steps -= 3
        }
        for t in m.timers { shellTimers.insert(t.token) }
        for step in 0..<steps {
            let event = randomEvent(&rng, m)
            now += Double(rng.next() % 40)
            let before = m
            let corr = m.attempt?.correlationId
            let headBefore = m.attempt?.pullRequest?.headSHA
            let t = m.handle(event, now: now, context: ctx)
            if verbose { print("#\(step) \(t.from.rawValue) --\(t.event)--> \(t.to.rawValue) \(t.outcome)") }
            for a in t.actions { if case .recordQuota(let u) = a { ctx.quotas.record(u, now: now) } }
            // Approvals observed by the shell (authorization is an input fact).
            if let c = corr, let head = headBefore {
                switch event {
                case .reviewSubmitted(let r)
                where r.state == .approved && r.isAuthorizedApprover && !r.isOperator && r.commitSHA == head:
                    approvedHeads[c, default: []].insert(head)
                case .command(let ci) where ci.kind == .approve && ci.isAuthorized:
                    approvedHeads[c, default: []].insert(head)
                default: break
                }
            }
            if t.isIgnored {
                guard m == before else { return "step \(step): ignored event \(t.event) changed the state" }
                guard t.actions.allSatisfy({ if case .reply = $0 { true } else { false } }) else {
                    return "step \(step): ignored event produced actions"
                }
            }
            if case .timerFired(let tok) = event { shellTimers.remove(tok) }  // a fired timer is no longer pending
            for a in t.actions {
                switch a {
                case .scheduleTimer(let tok, _): shellTimers.insert(tok)
                case .cancelTimer(let tok): shellTimers.remove(tok)
                case .openPullRequest:
                    if case .resumed = event { continue }
                    let id = m.attempt?.correlationId ?? "?"
                    openPRActions[id, default: 0] += 1
                    stats.openPRs += 1
                    if openPRActions[id]! > 1 { return "step \(step): a second open-PR action in attempt \(id)" }
                case .merge(let o):
                    let id = m.attempt?.correlationId ?? "?"
                    let approved = approvedHeads[id]?.contains(o.expectedHeadSHA) ?? false
                    if case .resumed = event { continue }
                    switch o.basis {
                    case .humanApproval(_, let sha):
                        guard approved && sha == o.expectedHeadSHA else {
                            return
                                "step \(step): merge of \(o.expectedHeadSHA) without a prior authorized approval of that head"
                        }
                    case .automatic:
                        guard env == .staging else { return "step \(step): automatic merge in production" }
                        guard case .mergeFactsGathered(let f) = event else {
                            return "step \(step): automatic merge outside an invariant evaluation"
                        }
                        let report = t.actions.lazy.compactMap { a -> InvariantReport? in
                            if case .audit(let r) = a, r.actionType == .invariantCheck { r.invariants } else { nil }
                        }.first
                        guard let r = report, r.results.count == 8, r.allPass else {
                            return "step \(step): staging merge without all 8 invariants PASS in the same step"
                        }
                        // Independent check of the facts that were evaluated.
                        let okFacts =
                            f.health == .degraded && (f.replicas.map { $0.available < $0.desired } ?? false)
                            && f.headCI.verdict == .passed && f.headCI.sha == f.headSHA && f.openOperatorPRs == [42]
                            && f.mergeable == true
                            && ["clean", "has_hooks", "unstable"].contains(f.mergeableState ?? "")
                            && f.headSHA == o.expectedHeadSHA
                        guard okFacts else { return "step \(step): staging merge although the facts fail an invariant" }
                    }
                    if env == .production, case .automatic = o.basis { return "step \(step): production auto-merge" }
                    if case .automatic = o.basis { stats.autoMerges += 1 } else { stats.approvedMerges += 1 }
                default: break
                }
            }
            if !m.state.isTerminal {
                guard m.timers.contains(where: { $0.token.kind.deadlineOf == m.state }) else {
                    return "step \(step): \(m.state.rawValue) has no pending timeout"
                }
            }
            guard Set(m.timers.map(\.token)) == shellTimers else {
                return "step \(step): shell timers diverge from the machine's"
            }
        }
        return nil
    }

    static func randomEvent(_ r: inout SplitMix64, _ m: RollbackStateMachine) -> RollbackEvent {
        let head = m.attempt?.pullRequest?.headSHA ?? prHead
        func pick(_ n: UInt64) -> UInt64 { r.next() % n }
        let heads = [head, prHead, newHeadSHA]
        if pick(2) == 0 {
            // Progress for the current state, so short sequences reach the merge decisions.
            switch m.state {
            case .idle: return .healthChecked(degraded())
            case .degradationDetected: return .candidateSearchFinished(found())
            case .candidateResolved: return .pullRequestCreated(prRef)
            case .prCreated: return .ciReported(pick(4) == 0 ? failedCI(head) : passedCI(head))
            case .awaitingMergeApproval, .awaitingHumanReview:
                switch pick(4) {
                case 0:
                    return .reviewSubmitted(
                        ReviewInput(
                            reviewer: "alice", state: .approved, commitSHA: heads[Int(pick(3))],
                            isAuthorizedApprover: pick(4) != 0))
                case 1:
                    return .command(
                        CommandInput(kind: .approve, sender: "alice", isAuthorized: pick(4) != 0, channel: .rest))
                default:
                    return .mergeFactsGathered(
                        facts(head: pick(4) == 0 ? newHeadSHA : head, ci: passedCI(pick(4) == 0 ? newHeadSHA : head)))
                }
            case .rollbackMerged:
                return pick(2) == 0 ? .mergeSucceeded(mergeCommitSHA: nil) : .healthChecked(healthy(rev: targetSHA))
            case .rollbackComplete, .abort: break
            }
        }
        switch pick(16) {
        case 0, 1:
            switch pick(6) {
            case 0, 1: return .healthChecked(degraded())
            case 2: return .healthChecked(healthy(rev: pick(2) == 0 ? currentSHA : targetSHA))
            case 3: return .healthChecked(.argoReadFailure)
            case 4: return .healthChecked(HealthObservation(health: .missing, replicas: nil))
            default:
                return .healthChecked(HealthObservation(health: .degraded, syncRevision: currentSHA, replicas: nil))
            }
        case 2:
            switch pick(4) {
            case 0:
                return .candidateSearchFinished(
                    CandidateSelection(outcome: .noCandidate, currentRevision: currentSHA, winner: nil, considered: []))
            case 1:
                var c = winner
                c.sha = currentSHA
                return .candidateSearchFinished(found(c))
            default: return .candidateSearchFinished(found())
            }
        case 3:
            var pr = prRef
            if pick(5) == 0 { pr.headBranch = "other" }
            return pick(5) == 0
                ? .pullRequestCreationFailed(
                    ExternalCallFailure(
                        code: pick(2) == 0 ? .networkError : .validationError, message: "x",
                        retriesExhausted: pick(2) == 0))
                : .pullRequestCreated(pr)
        case 4:
            let sha = heads[Int(pick(3))]
            switch pick(4) {
            case 0: return .ciReported(failedCI(sha))
            case 1: return .ciReported(pendingCI(sha))
            default: return .ciReported(passedCI(sha))
            }
        case 5, 6:
            let sha = heads[Int(pick(3))]
            let ci: CIReport = [passedCI(sha), passedCI(sha), pendingCI(sha), failedCI(sha), passedCI("other")][
                Int(pick(5))]
            let healthOpt: [(ArgoHealthStatus, ReplicaCounts?)] = [
                (.degraded, ReplicaCounts(desired: 3, available: 1)),
                (.degraded, ReplicaCounts(desired: 3, available: 1)),
                (.healthy, ReplicaCounts(desired: 3, available: 3)),
                (.degraded, ReplicaCounts(desired: 3, available: 3)), (.progressing, nil),
            ]
            let (hs, rep) = healthOpt[Int(pick(5))]
            let mer: [(Bool?, String?)] = [
                (true, "clean"), (true, "clean"), (true, "unstable"), (true, "dirty"), (false, "blocked"), (nil, nil),
            ]
            let (mg, ms) = mer[Int(pick(6))]
            return .mergeFactsGathered(
                MergeFacts(
                    prNumber: pick(8) == 0 ? 7 : 42, health: hs, replicas: rep, headSHA: sha, headCI: ci,
                    openOperatorPRs: pick(4) == 0 ? [41, 42] : [42], mergeable: mg, mergeableState: ms))
        case 7:
            let states: [GitHubSignal.Review.State] = [.approved, .approved, .dismissed, .commented]
            return .reviewSubmitted(
                ReviewInput(
                    reviewer: ["alice", "bob", "mallory"][Int(pick(3))], state: states[Int(pick(4))],
                    commitSHA: heads[Int(pick(3))], isAuthorizedApprover: pick(3) != 0, isOperator: pick(10) == 0))
        case 8:
            return .command(
                CommandInput(
                    kind: CommandKind.allCases[Int(pick(4))], sender: "alice", isAuthorized: pick(4) != 0,
                    channel: .chatOps(repository: "acme/alerts", issueNumber: 1)))
        case 9:
            if pick(3) == 0 {
                return .pullRequestClosed(
                    PullRequestClosure(number: 42, merged: pick(2) == 0, closedBy: "bob", byOperator: pick(3) == 0))
            }
            return .pullRequestHeadChanged(number: 42, headSHA: heads[Int(pick(3))])
        case 10:
            return pick(2) == 0
                ? .mergeSucceeded(mergeCommitSHA: nil)
                : .mergeFailed(
                    ExternalCallFailure(
                        code: [.alreadyMerged, .notMergeable, .networkError][Int(pick(3))], message: "",
                        retriesExhausted: pick(2) == 0))
        case 11, 12, 13:
            if !m.timers.isEmpty && pick(6) != 0 {
                return .timerFired(m.timers[Int(pick(UInt64(m.timers.count)))].token)
            }
            return .timerFired(
                TimerToken(kind: TimerKind.allCases[Int(pick(UInt64(TimerKind.allCases.count)))], generation: pick(50)))
        case 14:
            return pick(20) == 0
                ? .criticalInvariantViolated("test")
                : .escalationIssueOpened(url: "https://github.com/acme/alerts/issues/1")
        default:
            return pick(3) == 0 ? .resumed : .healthChecked(healthy(rev: targetSHA))
        }
    }

    @Test func sequencesAreReplayableBySeed() {
        // The same seed gives the same run: compare two runs' final machines.
        func final(_ seed: UInt64) -> RollbackStateMachine {
            var r = SplitMix64(seed: seed)
            var m = RollbackStateMachine(app: appInfo(.staging), seed: seed)
            var now = t0
            for _ in 0..<50 {
                now += 7
                _ = m.handle(Self.randomEvent(&r, m), now: now, context: StepContext())
            }
            return m
        }
        #expect(final(42) == final(42))
        var stats = Stats()
        #expect(Self.run(seed: 42, verbose: false, stats: &stats) == nil)
    }
}
