import Foundation
import Logging
import RollbackCore
import Synchronization

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
            let worker = AppWorker(app: row.app, machine: row.machine, engine: core, persisted: true)
            workers[row.app.name] = worker
            core.metrics.fsmState.set([row.app.name, row.machine.state.rawValue], 1)
            if row.machine.state.hasOpenAttempt {
                core.metrics.activeRollbacks.add([row.app.info.environment.rawValue], 1)
            }
            if row.machine.state.hasOpenAttempt || !row.machine.timers.isEmpty || row.machine.state == .abort {
                worker.enqueue(.resumed)
                resumed += 1
            }
        }
        lock.unlock()
        recovered.store(true, ordering: .releasing)
        return resumed
    }

    /// The worker of `app`, created on first sight.
    func worker(for app: MonitoredApp) async -> AppWorker {
        let (worker, created) = workerOrCreate(app)
        if !created { await worker.update(app) }
        return worker
    }

    private func workerOrCreate(_ app: MonitoredApp) -> (AppWorker, Bool) {
        lock.lock()
        defer { lock.unlock() }
        if let worker = workers[app.name] { return (worker, false) }
        let worker = AppWorker(
            app: app, machine: RollbackStateMachine(app: app.info, seed: UInt64.random(in: 1...UInt64.max)),
            engine: core)
        workers[app.name] = worker
        core.metrics.fsmState.set([app.name, RollbackState.idle.rawValue], 1)
        return (worker, true)
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
        let appWorker = await worker(for: app)
        appWorker.enqueue(.healthChecked(observation), deliveryID: deliveryID)
    }

    /// The worker whose current attempt has `correlationId`.
    func worker(correlationId: String) -> AppWorker? {
        allWorkers.first { $0.snapshot.machine.attempt?.correlationId == correlationId }
    }

    /// Feeds an event and waits for its step's report (REST commands).
    func submitAndWait(_ event: RollbackEvent, to worker: AppWorker, timeout: Double = 30) async -> StepReport? {
        await withCheckedContinuation { (continuation: CheckedContinuation<StepReport?, Never>) in
            let once = Once(continuation)
            worker.enqueue(Envelope(event: event, deliveryID: nil, completion: { once.resume($0) }))
            Task {
                try? await Task.sleep(nanoseconds: UInt64(timeout * 1e9))
                once.resume(nil)
            }
        }
    }

    func stop() {
        for worker in allWorkers { worker.stop() }
    }

    /// Resumes a continuation exactly once.
    final class Once: @unchecked Sendable {
        // Safe: `continuation` is only touched under `lock`.
        private let lock = NSLock()
        private var continuation: CheckedContinuation<StepReport?, Never>?
        init(_ continuation: CheckedContinuation<StepReport?, Never>) { self.continuation = continuation }
        func resume(_ report: StepReport?) {
            lock.lock()
            let pending = continuation
            continuation = nil
            lock.unlock()
            pending?.resume(returning: report)
        }
    }
}
