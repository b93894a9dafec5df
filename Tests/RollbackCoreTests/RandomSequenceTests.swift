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
        mutating func add(_ other: Stats) {
            autoMerges += other.autoMerges
            approvedMerges += other.approvedMerges
            openPRs += other.openPRs
        }
    }

    /// Runs one sequence; returns the first property violation, if any.
    static func run(seed: UInt64, verbose: Bool, stats: inout Stats) -> String? {
        var rng = SplitMix64(seed: seed &* 0x9E37_79B9 &+ 7)
        let env: DeploymentEnvironment = rng.next() % 2 == 0 ? .staging : .production
        var machine = RollbackStateMachine(app: appInfo(env), seed: seed)
        var now = t0
        var context = StepContext()
        var approvedHeads: [String: Set<String>] = [:]  // correlationId -> approved head SHAs
        var openPRActions: [String: Int] = [:]
        var shellTimers: Set<TimerToken> = []
        // Start most sequences near the interesting part.
        var steps = stepsPerSequence
        if rng.next() % 4 != 0 {
            for _ in 0..<3 {
                now += 10
                _ = machine.handle(.healthChecked(degraded()), now: now, context: context)
            }
            steps -= 3
        }
        for timer in machine.timers { shellTimers.insert(timer.token) }
        for step in 0..<steps {
            let event = randomEvent(&rng, machine)
            now += Double(rng.next() % 40)
            let before = machine
            let correlationBefore = machine.attempt?.correlationId
            let headBefore = machine.attempt?.pullRequest?.headSHA
            let transition = machine.handle(event, now: now, context: context)
            if verbose {
                print(
                    "#\(step) \(transition.from.rawValue) --\(transition.event)--> \(transition.to.rawValue) \(transition.outcome)"
                )
            }
            for action in transition.actions {
                if case .recordQuota(let usage) = action { context.quotas.record(usage, now: now) }
            }
            // Approvals observed by the shell (authorization is an input fact).
            if let correlationId = correlationBefore, let head = headBefore {
                switch event {
                case .reviewSubmitted(let review)
                where review.state == .approved && review.isAuthorizedApprover && !review.isOperator
                    && review.commitSHA == head:
                    approvedHeads[correlationId, default: []].insert(head)
                case .command(let command) where command.kind == .approve && command.isAuthorized:
                    approvedHeads[correlationId, default: []].insert(head)
                default: break
                }
            }
            if transition.isIgnored {
                guard machine == before else {
                    return "step \(step): ignored event \(transition.event) changed the state"
                }
                guard transition.actions.allSatisfy({ if case .reply = $0 { true } else { false } }) else {
                    return "step \(step): ignored event produced actions"
                }
            }
            if case .timerFired(let token) = event { shellTimers.remove(token) }  // a fired timer is no longer pending
            for action in transition.actions {
                switch action {
                case .scheduleTimer(let token, _): shellTimers.insert(token)
                case .cancelTimer(let token): shellTimers.remove(token)
                case .openPullRequest:
                    if case .resumed = event { continue }
                    let id = machine.attempt?.correlationId ?? "?"
                    openPRActions[id, default: 0] += 1
                    stats.openPRs += 1
                    if openPRActions[id]! > 1 { return "step \(step): a second open-PR action in attempt \(id)" }
                case .merge(let order):
                    let id = machine.attempt?.correlationId ?? "?"
                    let approved = approvedHeads[id]?.contains(order.expectedHeadSHA) ?? false
                    if case .resumed = event { continue }
                    // SPEC 19: the operator wrote only `prHead`; nothing else is ever merged.
                    guard order.expectedHeadSHA == prHead else {
                        return "step \(step): merge of \(order.expectedHeadSHA), a head the operator did not write"
                    }
                    // A PR into the production branch is merged only on an authorized approval of its head.
                    if machine.app.baseBranch == context.configuration.writePolicy.productionBranch {
                        guard case .humanApproval = order.basis, approved else {
                            return "step \(step): merge into the production branch without an authorized approval"
                        }
                    }
                    switch order.basis {
                    case .humanApproval(_, let sha):
                        guard approved && sha == order.expectedHeadSHA else {
                            return
                                "step \(step): merge of \(order.expectedHeadSHA) without a prior authorized approval of that head"
                        }
                    case .automatic:
                        guard env == .staging else { return "step \(step): automatic merge in production" }
                        guard case .mergeFactsGathered(let mergeFacts) = event else {
                            return "step \(step): automatic merge outside an invariant evaluation"
                        }
                        let evaluatedReport = transition.actions.lazy.compactMap { action -> InvariantReport? in
                            if case .audit(let record) = action, record.actionType == .invariantCheck {
                                record.invariants
                            } else {
                                nil
                            }
                        }.first
                        guard let report = evaluatedReport, report.results.count == 8, report.allPass else {
                            return "step \(step): staging merge without all 8 invariants PASS in the same step"
                        }
                        // Independent check of the facts that were evaluated.
                        let okFacts =
                            mergeFacts.health == .degraded
                            && (mergeFacts.replicas.map { $0.available < $0.desired } ?? false)
                            && mergeFacts.headCI.verdict == .passed && mergeFacts.headCI.sha == mergeFacts.headSHA
                            && mergeFacts.openOperatorPRs == [42]
                            && mergeFacts.mergeable == true
                            && ["clean", "has_hooks", "unstable"].contains(mergeFacts.mergeableState ?? "")
                            && mergeFacts.headSHA == order.expectedHeadSHA
                            && mergeFacts.headChanges == operatorChange
                        guard okFacts else { return "step \(step): staging merge although the facts fail an invariant" }
                    }
                    if env == .production, case .automatic = order.basis {
                        return "step \(step): production auto-merge"
                    }
                    if case .automatic = order.basis { stats.autoMerges += 1 } else { stats.approvedMerges += 1 }
                default: break
                }
            }
            if !machine.state.isTerminal {
                guard machine.timers.contains(where: { $0.token.kind.deadlineOf == machine.state }) else {
                    return "step \(step): \(machine.state.rawValue) has no pending timeout"
                }
            }
            guard Set(machine.timers.map(\.token)) == shellTimers else {
                return "step \(step): shell timers diverge from the machine's"
            }
        }
        return nil
    }

    static func randomEvent(_ rng: inout SplitMix64, _ machine: RollbackStateMachine) -> RollbackEvent {
        let head = machine.attempt?.pullRequest?.headSHA ?? prHead
        func pick(_ count: UInt64) -> UInt64 { rng.next() % count }
        let heads = [head, prHead, newHeadSHA]
        if pick(2) == 0 {
            // Progress for the current state, so short sequences reach the merge decisions.
            switch machine.state {
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
                    let factsHead = pick(4) == 0 ? newHeadSHA : head
                    return .mergeFactsGathered(
                        facts(
                            head: factsHead, ci: passedCI(pick(4) == 0 ? newHeadSHA : factsHead),
                            changes: pick(6) == 0 ? foreignChange : operatorChange))
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
                var candidate = winner
                candidate.sha = currentSHA
                return .candidateSearchFinished(found(candidate))
            default: return .candidateSearchFinished(found())
            }
        case 3:
            var pr = prRef
            if pick(5) == 0 { pr.headBranch = "other" }
            // A PR found with someone else's head: the operator commit is not its head.
            if pick(6) == 0 { pr.headSHA = newHeadSHA }
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
            let healthOptions: [(ArgoHealthStatus, ReplicaCounts?)] = [
                (.degraded, ReplicaCounts(desired: 3, available: 1)),
                (.degraded, ReplicaCounts(desired: 3, available: 1)),
                (.healthy, ReplicaCounts(desired: 3, available: 3)),
                (.degraded, ReplicaCounts(desired: 3, available: 3)), (.progressing, nil),
            ]
            let (health, replicas) = healthOptions[Int(pick(5))]
            let mergeabilities: [(Bool?, String?)] = [
                (true, "clean"), (true, "clean"), (true, "unstable"), (true, "dirty"), (false, "blocked"), (nil, nil),
            ]
            let (mergeable, mergeableState) = mergeabilities[Int(pick(6))]
            let changes: [HeadChange]? = [operatorChange, operatorChange, foreignChange, nil][Int(pick(4))]
            return .mergeFactsGathered(
                MergeFacts(
                    prNumber: pick(8) == 0 ? 7 : 42, health: health, replicas: replicas, headSHA: sha, headCI: ci,
                    openOperatorPRs: pick(4) == 0 ? [41, 42] : [42], mergeable: mergeable,
                    mergeableState: mergeableState, headChanges: changes))
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
            return .pullRequestHeadChanged(number: 42, headSHA: heads[Int(pick(3))], pushedBy: "mallory")
        case 10:
            return pick(2) == 0
                ? .mergeSucceeded(mergeCommitSHA: nil)
                : .mergeFailed(
                    ExternalCallFailure(
                        code: [.alreadyMerged, .notMergeable, .networkError][Int(pick(3))], message: "",
                        retriesExhausted: pick(2) == 0))
        case 11, 12, 13:
            if !machine.timers.isEmpty && pick(6) != 0 {
                return .timerFired(machine.timers[Int(pick(UInt64(machine.timers.count)))].token)
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
            var rng = SplitMix64(seed: seed)
            var machine = RollbackStateMachine(app: appInfo(.staging), seed: seed)
            var now = t0
            for _ in 0..<50 {
                now += 7
                _ = machine.handle(Self.randomEvent(&rng, machine), now: now, context: StepContext())
            }
            return machine
        }
        #expect(final(42) == final(42))
        var stats = Stats()
        #expect(Self.run(seed: 42, verbose: false, stats: &stats) == nil)
    }
}
