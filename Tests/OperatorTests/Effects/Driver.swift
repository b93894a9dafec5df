// The effects tests' stand-in for the engine: it steps the real state machine and runs its
// effect actions through the harness's runner.
import Foundation
import Operator

@testable import RollbackCore

/// A minimal engine for the tests: steps the real machine, performs its effect actions with
/// the runner, and feeds the resulting events back, in order (timers are not fired).
struct Driver {
    var machine: RollbackStateMachine
    var context = StepContext(configuration: EffectsHarness.configuration)
    let runner: EffectRunner
    let app: MonitoredApp
    var performed: [RollbackAction] = []
    var events: [RollbackEvent] = []
    /// How far the driver's clock runs ahead of the wall clock: health checks count toward
    /// persistence only when a poll interval apart.
    var clockOffset: Double = 0

    init(_ harness: EffectsHarness) {
        machine = harness.newMachine()
        runner = harness.runner
        app = harness.app
    }

    static func isEffect(_ action: RollbackAction) -> Bool {
        switch action {
        case .persist, .audit, .publish, .scheduleTimer, .cancelTimer, .recordMetric, .recordQuota, .archiveAttempt:
            false
        case .reply(let reply): if case .chatOps = reply.channel { true } else { false }
        default: true
        }
    }

    mutating func send(_ event: RollbackEvent) async {
        var queue = [event]
        while !queue.isEmpty {
            let queued = queue.removeFirst()
            events.append(queued)
            let now = Date().addingTimeInterval(clockOffset)
            let transition = machine.handle(queued, now: now, context: context)
            for action in transition.actions {
                if case .recordQuota(let usage) = action { context.quotas.record(usage, now: now) }
            }
            for action in transition.actions where Self.isEffect(action) {
                performed.append(action)
                queue += await runner.perform(action, app: app, machine: machine)
            }
        }
    }

    /// Fires the pending timer of `kind` now.
    mutating func fire(_ kind: TimerKind) async {
        guard let timer = machine.pendingTimer(kind) else { return }
        await send(.timerFired(timer.token))
    }

    /// Three degraded checks: the attempt starts and the candidate search runs (and the rest follows).
    mutating func degrade(_ harness: EffectsHarness) async {
        for _ in 0..<3 {
            clockOffset += context.configuration.pollInterval
            await send(.healthChecked(harness.degradedCheck))
        }
    }
}
