// The test driver of the transition tables: a machine fed events the way the shell feeds them,
// and short queries over the actions a transition returned.
import Foundation

@testable import RollbackCore

/// Drives one machine the way the shell would: a clock, the shared quota ledger, a log.
struct Harness {
    var machine: RollbackStateMachine
    var now = t0
    var context = StepContext()
    var log: [Transition] = []

    init(_ env: DeploymentEnvironment = .staging, seed: UInt64 = 1) {
        machine = RollbackStateMachine(app: appInfo(env), seed: seed)
    }

    @discardableResult
    mutating func send(_ event: RollbackEvent, after seconds: Double = 0) -> Transition {
        now = now.addingTimeInterval(seconds)
        let transition = machine.handle(event, now: now, context: context)
        for action in transition.actions {
            if case .recordQuota(let usage) = action { context.quotas.record(usage, now: now) }
        }
        log.append(transition)
        return transition
    }
    func token(_ kind: TimerKind) -> TimerToken { machine.pendingTimer(kind)!.token }
    @discardableResult
    mutating func fire(_ kind: TimerKind) -> Transition {
        let timer = machine.pendingTimer(kind)!
        return send(.timerFired(timer.token), after: max(0, timer.fireAt.timeIntervalSince(now)))
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
        if machine.app.environment == .staging {
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
    var merges: [MergeOrder] { actions.compactMap { if case .merge(let order) = $0 { order } else { nil } } }
    var escalations: [Escalation] {
        actions.compactMap { if case .escalate(let escalation) = $0 { escalation } else { nil } }
    }
    var closes: [Int] { actions.compactMap { if case .closePullRequest(let number, _) = $0 { number } else { nil } } }
    var replies: [CommandReply] { actions.compactMap { if case .reply(let reply) = $0 { reply } else { nil } } }
    var openPRs: [PullRequestPlan] {
        actions.compactMap { if case .openPullRequest(let plan) = $0 { plan } else { nil } }
    }
    func has(_ predicate: (RollbackAction) -> Bool) -> Bool { actions.contains(where: predicate) }
}
