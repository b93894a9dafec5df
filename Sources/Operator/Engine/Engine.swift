import Foundation
import Logging
import RollbackCore
import Synchronization

/// The shared quota ledger (SPEC 12): every app's steps read it, `recordQuota` updates it,
/// and it is committed with the step that changed it.
final class QuotaBox: @unchecked Sendable {
    // Safe: `ledger` is only touched under `lock`.
    private let lock = NSLock()
    private var ledger: QuotaLedger
    init(_ l: QuotaLedger) { ledger = l }
    var snapshot: QuotaLedger {
        lock.lock()
        defer { lock.unlock() }
        return ledger
    }
    func replace(_ l: QuotaLedger) {
        lock.lock()
        ledger = l
        lock.unlock()
    }
    func apply(_ u: QuotaLedger.Usage, now: Date) -> QuotaLedger {
        lock.lock()
        defer { lock.unlock() }
        ledger.record(u, now: now)
        ledger.prune(now: now)
        return ledger
    }
}

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

    func record(_ m: MetricEvent, app: MonitoredApp, machine: RollbackStateMachine) {
        let name = app.name
        let env = app.info.environment.rawValue
        switch m {
        case .degradationDetected: metrics.degradationsDetected.inc([name, env])
        case .rollbackProposed(let success): metrics.rollbacksProposed.inc([name, env, String(success)])
        case .rollbackMerged(let auto): metrics.rollbacksMerged.inc([name, env, String(auto)])
        case .rollbackAborted(let reason): metrics.rollbacksAborted.inc([name, env, reason.rawValue])
        case .invariantViolation(let id): metrics.invariantViolations.inc([id.rawValue])
        case .timeToRecovery(let s): metrics.meanTimeToRecovery.observe([name, env], s)
        case .candidateResolutionDuration(let s): metrics.candidateResolutionDuration.observe([name], s)
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

/// The engine: one serial worker per application, fed by the poller, the inbox router,
/// timers and commands.
public final class Engine: @unchecked Sendable {
    // Safe: `workers` is only touched under `lock`.
    let core: EngineCore
    private let lock = NSLock()
    private var workers: [String: AppWorker] = [:]
    /// Set once `recover()` has loaded the stored applications (and their attempts).
    private let recovered = Atomic<Bool>(false)

    init(core: EngineCore) { self.core = core }

    /// Loads every application from the store and resumes the ones with work in progress
    /// (SPEC 13: re-read the truth, re-arm timers, abort stale attempts).
    func recover() throws -> Int {
        let (rows, quotas) = try core.store.loadAll()
        core.quotas.replace(quotas)
        var resumed = 0
        lock.lock()
        for row in rows {
            let w = AppWorker(app: row.app, machine: row.machine, engine: core, persisted: true)
            workers[row.app.name] = w
            core.metrics.fsmState.set([row.app.name, row.machine.state.rawValue], 1)
            if row.machine.state.hasOpenAttempt {
                core.metrics.activeRollbacks.add([row.app.info.environment.rawValue], 1)
            }
            if row.machine.state.hasOpenAttempt || !row.machine.timers.isEmpty || row.machine.state == .abort {
                w.enqueue(.resumed)
                resumed += 1
            }
        }
        lock.unlock()
        recovered.store(true, ordering: .releasing)
        return resumed
    }

    /// The worker of `app`, created on first sight.
    func worker(for app: MonitoredApp) async -> AppWorker {
        let (w, created) = workerOrCreate(app)
        if !created { await w.update(app) }
        return w
    }

    private func workerOrCreate(_ app: MonitoredApp) -> (AppWorker, Bool) {
        lock.lock()
        defer { lock.unlock() }
        if let w = workers[app.name] { return (w, false) }
        let w = AppWorker(
            app: app, machine: RollbackStateMachine(app: app.info, seed: UInt64.random(in: 1...UInt64.max)),
            engine: core)
        workers[app.name] = w
        core.metrics.fsmState.set([app.name, RollbackState.idle.rawValue], 1)
        return (w, true)
    }

    func existingWorker(_ name: String) -> AppWorker? {
        lock.lock()
        defer { lock.unlock() }
        return workers[name]
    }

    /// Whether no application holds an attempt, as far as the engine knows: false until the
    /// stored applications are loaded. GitHub deliveries (an App installation change aside)
    /// only ever concern an attempt, so while this holds they are done with as they arrive.
    var holdsNoAttempt: Bool {
        recovered.load(ordering: .acquiring) && core.attemptsHeld.value == 0
    }

    var allWorkers: [AppWorker] {
        lock.lock()
        defer { lock.unlock() }
        return Array(workers.values)
    }

    /// The state machine of `app` right now (for the demo, tests and diagnostics).
    public func machine(of app: String) -> RollbackStateMachine? { existingWorker(app)?.snapshot.machine }

    /// A health observation from the poller (or an Argo CD notification's immediate check).
    func observe(_ app: MonitoredApp, _ observation: HealthObservation, deliveryID: String? = nil) async {
        let w = await worker(for: app)
        w.enqueue(.healthChecked(observation), deliveryID: deliveryID)
    }

    /// The worker whose current attempt has `correlationId`.
    func worker(correlationId: String) -> AppWorker? {
        allWorkers.first { $0.snapshot.machine.attempt?.correlationId == correlationId }
    }

    /// Feeds an event and waits for its step's report (REST commands).
    func submitAndWait(_ event: RollbackEvent, to worker: AppWorker, timeout: Double = 30) async -> StepReport? {
        await withCheckedContinuation { (c: CheckedContinuation<StepReport?, Never>) in
            let once = Once(c)
            worker.enqueue(Envelope(event: event, deliveryID: nil, completion: { once.resume($0) }))
            Task {
                try? await Task.sleep(nanoseconds: UInt64(timeout * 1e9))
                once.resume(nil)
            }
        }
    }

    func stop() {
        for w in allWorkers { w.stop() }
    }

    /// Resumes a continuation exactly once.
    final class Once: @unchecked Sendable {
        // Safe: `c` is only touched under `lock`.
        private let lock = NSLock()
        private var c: CheckedContinuation<StepReport?, Never>?
        init(_ c: CheckedContinuation<StepReport?, Never>) { self.c = c }
        func resume(_ r: StepReport?) {
            lock.lock()
            let k = c
            c = nil
            lock.unlock()
            k?.resume(returning: r)
        }
    }
}
