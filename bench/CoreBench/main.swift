// CoreBench: state-machine steps per second on a realistic event mix, on one core.
// Run: swift run -c release CoreBench
// Prints the median of several runs, and the ratio against a trivial baseline measured in
// the same run (a loop that only copies the machine state per event), so numbers compare
// across machines.
import Foundation
import RollbackCore

let t0 = Date(timeIntervalSince1970: 1_772_188_200)
let current = "def456abc789def456abc789def456abc789def4"
let target = "abc123def456abc123def456abc123def456abc1"
let head = "1111111aaaaaaa1111111aaaaaaa1111111aaaaa"

func degraded() -> HealthObservation {
    HealthObservation(
        health: .degraded, message: "Deployment has minimum availability", syncRevision: current,
        replicas: ReplicaCounts(desired: 3, available: 1),
        unhealthyPods: [PodIssue(name: "p-1", reason: "CrashLoopBackOff")])
}
let healthyCurrent = HealthObservation(
    health: .healthy, syncRevision: current, replicas: ReplicaCounts(desired: 3, available: 3))
let healthyTarget = HealthObservation(
    health: .healthy, syncRevision: target, replicas: ReplicaCounts(desired: 3, available: 3))
let winner = Candidate(
    sha: target,
    commit: CommitInfo(
        sha: target, message: "Fix payment processing bug", author: "jane@example.com",
        date: t0), uptime: 0.998, isStrictAncestor: true, ciPassed: true)
let selection = CandidateSelection(
    outcome: .found, currentRevision: current, winner: winner,
    considered: [CandidateVerdict(sha: target, taken: true, reason: "ok")])
let passed = CIReport(sha: head, checkRuns: [.init(name: "unit", conclusion: .success)])
let pending = CIReport(sha: head, checkRuns: [.init(name: "unit", conclusion: nil)])
let facts = MergeFacts(
    prNumber: 42, health: .degraded, replicas: ReplicaCounts(desired: 3, available: 1), headSHA: head,
    headCI: passed, openOperatorPRs: [42], mergeable: true, mergeableState: "clean",
    headChanges: [
        HeadChange(
            path: ".argocd/application.yaml", additions: 1, deletions: 1,
            patch: "@@ -5,1 +5,1 @@\n-    targetRevision: \(current)\n+    targetRevision: \(target)")
    ])

enum Step {
    case event(RollbackEvent)
    case timer(TimerKind)
}

/// One "hour" of one app: 360 health checks every 10 s, 1 in 3 hours with a full rollback
/// attempt (staging auto-merge or production approval), plus stale timer firings and
/// ignored webhooks that a real inbox delivers.
func script(env: DeploymentEnvironment, withAttempt: Bool) -> [(Double, Step)] {
    var timeline: [(Double, Step)] = []
    for i in 0..<300 {
        timeline.append((10, .event(.healthChecked(healthyCurrent))))
        if i % 50 == 0 { timeline.append((0, .event(.ciReported(passed)))) }  // webhook for nothing open: ignored
    }
    guard withAttempt else { return timeline }
    for _ in 0..<3 { timeline.append((10, .event(.healthChecked(degraded())))) }
    timeline.append((4, .event(.candidateSearchFinished(selection))))
    timeline.append(
        (
            3,
            .event(
                .pullRequestCreated(
                    PullRequestRef(
                        number: 42, url: "https://github.com/acme/gitops/pull/42",
                        headBranch: "rollback/payment-service-abc123d", headSHA: head, operatorCommitSHA: head)))
        ))
    for _ in 0..<4 {
        timeline.append((10, .event(.healthChecked(degraded()))))
        timeline.append((5, .timer(.ciPoll)))
        timeline.append((0, .event(.ciReported(pending))))
    }
    timeline.append((20, .event(.ciReported(passed))))
    if env == .production {
        timeline.append(
            (
                60,
                .event(
                    .reviewSubmitted(
                        ReviewInput(reviewer: "alice", state: .approved, commitSHA: head, isAuthorizedApprover: true)))
            ))
    }
    timeline.append((1, .event(.mergeFactsGathered(facts))))
    timeline.append((1, .event(.mergeSucceeded(mergeCommitSHA: "m"))))
    for _ in 0..<10 { timeline.append((10, .event(.healthChecked(healthyTarget)))) }
    timeline.append((60, .timer(.completeHold)))
    for _ in 0..<50 { timeline.append((10, .event(.healthChecked(healthyTarget)))) }
    return timeline
}

let staging =
    script(env: .staging, withAttempt: true) + script(env: .staging, withAttempt: false)
    + script(env: .staging, withAttempt: false)
let production =
    script(env: .production, withAttempt: true) + script(env: .production, withAttempt: false)
    + script(env: .production, withAttempt: false)

@inline(never) func blackHole<T>(_ value: T) { withExtendedLifetime(value) {} }

/// Runs the mix `rounds` times; returns (steps, seconds, actions).
func runMachine(rounds: Int) -> (Int, Double, Int) {
    var steps = 0
    var actions = 0
    let context = StepContext()
    let clock = ContinuousClock()
    let start = clock.now
    for (appIndex, env) in [DeploymentEnvironment.staging, .production].enumerated() {
        var machine = RollbackStateMachine(
            app: ApplicationInfo(
                name: "payment-service", environment: env, manifestRepository: "acme/gitops",
                sourceRepository: "acme/gitops"),
            seed: UInt64(appIndex + 1))
        var now = t0
        let mix = env == .staging ? staging : production
        for _ in 0..<rounds {
            for (delay, step) in mix {
                now = now.addingTimeInterval(delay)
                let event: RollbackEvent
                switch step {
                case .event(let scripted): event = scripted
                case .timer(let kind):
                    guard let timer = machine.pendingTimer(kind) else { continue }
                    if timer.fireAt > now { now = timer.fireAt }
                    event = .timerFired(timer.token)
                }
                let transition = machine.handle(event, now: now, context: context)
                actions &+= transition.actions.count
                steps += 1
            }
            precondition(machine.state == .idle, "the mix must end each round in Idle (got \(machine.state))")
        }
        blackHole(machine)
    }
    let elapsed = clock.now - start
    return (steps, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18, actions)
}

/// The baseline: the same loop, but each step only copies the machine state and reads the event.
func runBaseline(rounds: Int) -> (Int, Double) {
    var steps = 0
    let clock = ContinuousClock()
    let start = clock.now
    for env in [DeploymentEnvironment.staging, .production] {
        let machine = RollbackStateMachine(
            app: ApplicationInfo(
                name: "payment-service", environment: env, manifestRepository: "acme/gitops",
                sourceRepository: "acme/gitops"), seed: 1)
        var copy = machine
        var now = t0
        let mix = env == .staging ? staging : production
        for _ in 0..<rounds {
            for (delay, step) in mix {
                now = now.addingTimeInterval(delay)
                var scratch = copy
                if case .event(let event) = step { blackHole(event) }
                blackHole(scratch.state)
                scratch = copy
                copy = scratch
                steps += 1
            }
        }
        blackHole((copy, now))
    }
    let elapsed = clock.now - start
    return (steps, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted[sorted.count / 2]
}

let runs = Int(CommandLine.arguments.dropFirst().first ?? "") ?? 7
let rounds = 40
_ = runMachine(rounds: 2)
_ = runBaseline(rounds: 2)  // warm up
var rates: [Double] = []
var baseRates: [Double] = []
var ratios: [Double] = []
var totalActions = 0
for _ in 0..<runs {
    let (machineSteps, machineSeconds, emittedActions) = runMachine(rounds: rounds)
    let (baselineSteps, baselineSeconds) = runBaseline(rounds: rounds)
    totalActions += emittedActions
    rates.append(Double(machineSteps) / machineSeconds)
    baseRates.append(Double(baselineSteps) / baselineSeconds)
    ratios.append((machineSeconds / Double(machineSteps)) / (baselineSeconds / Double(baselineSteps)))
}
let stepsPerRun = (staging.count + production.count) * rounds
print(
    "CoreBench: \(runs) runs x \(stepsPerRun) steps (mix: \(staging.count + production.count) events per round, 2 apps: staging auto-merge and production approval, 1 attempt per 3 h each)"
)
print(
    String(format: "state machine: median %.0f steps/s (min %.0f, max %.0f)", median(rates), rates.min()!, rates.max()!)
)
print(String(format: "baseline (copy state only): median %.0f steps/s", median(baseRates)))
print(String(format: "ratio (machine step time / baseline step time): median %.1f", median(ratios)))
print("actions emitted: \(totalActions / runs) per run")
