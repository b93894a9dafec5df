// What every application's worker shares: the store, effects, audit, metrics, configuration
// and clock, plus the step gate and the count of attempts held.
import Foundation
import Logging
import RollbackCore

/// What every worker shares.
final class EngineCore: Sendable {
    let store: EngineStore
    let effects: EffectPerforming
    let audit: AuditWriting
    let metrics: OperatorMetrics
    let configuration: RollbackConfiguration
    let clock: @Sendable () -> Date
    let logger: Logger
    let quotas: QuotaBox
    let observer: (@Sendable (StepReport) -> Void)?
    /// Bounds the application steps in flight at once (see `AsyncGate`).
    let stepGate = AsyncGate(permits: 64)
    /// How many applications hold an attempt (their snapshot's `machine.attempt` is set), kept
    /// by the snapshots themselves: read in O(1) where every delivery would otherwise scan every
    /// application.
    let attemptsHeld = AttemptCount()

    init(
        store: EngineStore, effects: EffectPerforming, audit: AuditWriting, metrics: OperatorMetrics,
        configuration: RollbackConfiguration, clock: @escaping @Sendable () -> Date, logger: Logger,
        quotas: QuotaLedger, observer: (@Sendable (StepReport) -> Void)?
    ) {
        self.store = store
        self.effects = effects
        self.audit = audit
        self.metrics = metrics
        self.configuration = configuration
        self.clock = clock
        self.logger = logger
        self.quotas = QuotaBox(quotas)
        self.observer = observer
    }

    func markProcessed(_ ids: [String], at: Date) async {
        do { try await store.markProcessed(ids, at: at) } catch {
            logger.error("could not mark deliveries processed", metadata: ["error": "\(error)"])
        }
    }

    func markProcessed(rows: [(seq: Int64, id: String)], at: Date) async {
        do { try await store.markProcessed(rows: rows, at: at) } catch {
            logger.error("could not mark deliveries processed", metadata: ["error": "\(error)"])
        }
    }

    func record(_ metric: MetricEvent, app: MonitoredApp, machine: RollbackStateMachine) {
        let name = app.name
        let env = app.info.environment.rawValue
        switch metric {
        case .degradationDetected: metrics.degradationsDetected.inc([name, env])
        case .rollbackProposed(let success): metrics.rollbacksProposed.inc([name, env, String(success)])
        case .rollbackMerged(let auto): metrics.rollbacksMerged.inc([name, env, String(auto)])
        case .rollbackAborted(let reason): metrics.rollbacksAborted.inc([name, env, reason.rawValue])
        case .invariantViolation(let id): metrics.invariantViolations.inc([id.rawValue])
        case .timeToRecovery(let seconds): metrics.meanTimeToRecovery.observe([name, env], seconds)
        case .candidateResolutionDuration(let seconds): metrics.candidateResolutionDuration.observe([name], seconds)
        case .fsmState: break  // kept by `stateChanged`
        }
    }

    func stateChanged(app: MonitoredApp, from: RollbackState, to: RollbackState) {
        metrics.fsmState.set([app.name, from.rawValue], 0)
        metrics.fsmState.set([app.name, to.rawValue], 1)
        let env = [app.info.environment.rawValue]
        if from.hasOpenAttempt && !to.hasOpenAttempt { metrics.activeRollbacks.add(env, -1) }
        if !from.hasOpenAttempt && to.hasOpenAttempt { metrics.activeRollbacks.add(env, 1) }
    }
}
