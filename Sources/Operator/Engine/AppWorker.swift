import Foundation
import Logging
import RollbackCore

/// One application's serial loop: events are handled one at a time, in order. Each step
/// runs the pure state machine, commits the new state (with the deliveries that caused it),
/// writes the step's audit entries durably, and only then arms timers and starts effects,
/// whose results come back as events. Different applications run in parallel.
actor AppWorker {
    private(set) var app: MonitoredApp
    private(set) var machine: RollbackStateMachine
    /// The app description last committed (nil until the first commit).
    private var persistedApp: MonitoredApp?
    private var timers: [TimerToken: Task<Void, Never>] = [:]
    private let engine: EngineCore
    /// Events waiting for their turn, and whether a task is draining them. An idle app holds
    /// no task: a long-lived loop per app would keep its whole async frame (tens of KB) alive
    /// for every monitored app.
    private let mailbox = Mailbox()
    /// A copy readable without awaiting (REST reads, routing).
    nonisolated let snapshot: Snapshot

    /// - Parameter persisted: the app and machine were loaded from the store.
    init(app: MonitoredApp, machine: RollbackStateMachine, engine: EngineCore, persisted: Bool = false) {
        self.app = app
        self.machine = machine
        persistedApp = persisted ? app : nil
        self.engine = engine
        snapshot = Snapshot(app: app, machine: machine, attemptsHeld: engine.attemptsHeld)
    }

    nonisolated func enqueue(_ envelope: Envelope) {
        guard mailbox.post(envelope) else { return }
        let gate = engine.stepGate
        Task {
            await gate.acquire()
            await self.drain()
            gate.release()
        }
    }

    nonisolated func enqueue(_ event: RollbackEvent, deliveryID: String? = nil) {
        enqueue(Envelope(event: event, deliveryID: deliveryID, completion: nil))
    }

    /// Steps through the queued events, one at a time, in order; ends when none is left.
    private func drain() async {
        while let envelope = mailbox.next() {
            await step(envelope)
        }
        if mailbox.isClosed { cancelTimers() }
    }

    /// Accepts no more events; timers are cancelled once the queued ones are handled.
    nonisolated func stop() {
        if mailbox.close() { Task { await self.cancelTimers() } }
    }

    private func cancelTimers() {
        for timer in timers.values { timer.cancel() }
        timers.removeAll()
    }

    /// The app's description may change between polls (labels, annotations).
    /// A changed environment or manifest location takes effect between attempts; it is
    /// committed with the next step.
    func update(_ newApp: MonitoredApp) {
        guard newApp != app else { return }
        var updated = machine
        guard updated.adopt(newApp.info) else { return }
        machine = updated
        app = newApp
        snapshot.set(app: app, machine: machine)
    }

    private func step(_ envelope: Envelope) async {
        let now = engine.clock()
        var next = machine
        let before = machine
        let transition = next.handle(
            envelope.event, now: now,
            context: StepContext(
                configuration: engine.configuration,
                quotas: engine.quotas.snapshot))
        if transition.isIgnored {
            engine.logger.debug(
                "event ignored",
                metadata: [
                    "app": "\(app.name)", "event": "\(transition.event)",
                    "state": "\(machine.state.rawValue)",
                    "reason": "\(Self.reason(transition))",
                ])
            if let id = envelope.deliveryID { await engine.markProcessed([id], at: now) }
            if case .command(let command) = envelope.event, !command.isAuthorized {
                await auditIgnoredCommand(command, transition, now)
            }
            await runEffects(transition.actions.filter(Self.isReply), on: next)
            finish(envelope, transition, next, now)
            return
        }

        // A steady check (no transition, no attempt change, nothing to do but remember it in
        // the stability window) has nothing durable to write: losing it in a crash only
        // delays a detection by a poll, and every poll of every healthy app would otherwise
        // cost a commit. Transitions, attempt changes and anything with effects are written.
        if envelope.deliveryID == nil, persistedApp == app, next.state == before.state, next.attempt == before.attempt,
            transition.actions.allSatisfy({ if case .persist = $0 { true } else { false } })
        {
            machine = next
            snapshot.set(app: app, machine: next)
            finish(envelope, transition, next, now)
            return
        }

        var quotas: QuotaLedger?
        for case .recordQuota(let usage) in transition.actions {
            quotas = engine.quotas.apply(usage, now: now)
        }
        var attempts: [(attempt: Attempt, app: String, state: RollbackState)] = []
        if let attempt = next.attempt { attempts.append((attempt, app.name, next.state)) }
        if let ended = next.lastAttempt, ended != before.lastAttempt, ended.correlationId != next.attempt?.correlationId
        {
            attempts.append((ended, app.name, ended.history.last?.to ?? next.state))
        }
        do {
            try await engine.store.commit(
                .init(
                    app: app, machine: next, attempts: attempts, quotas: quotas,
                    processedDeliveries: envelope.deliveryID.map { [$0] } ?? [], at: now))
        } catch {
            // Nothing was committed: keep the old state and perform nothing. A delivery stays
            // pending (processed again after a restart); a poll or timer will come again.
            engine.logger.error(
                "a step could not be committed; its effects are not performed",
                metadata: ["app": "\(app.name)", "event": "\(transition.event)", "error": "\(error)"])
            return
        }
        machine = next
        persistedApp = app
        snapshot.set(app: app, machine: next)

        var items: [AuditItem] = []
        for action in transition.actions {
            switch action {
            case .audit(let record): items.append(.step(record, app: app))
            case .publish(let event): items.append(.domainEvent(event))
            default: break
            }
        }
        do {
            if !items.isEmpty { try await engine.audit.record(items, at: now) }
        } catch {
            // The audit entry must precede the actions it justifies: without it, act on nothing.
            engine.logger.critical(
                "audit log write failed; the step's effects are not performed",
                metadata: ["app": "\(app.name)", "error": "\(error)"])
            finish(envelope, transition, next, now)
            return
        }

        for action in transition.actions {
            switch action {
            case .scheduleTimer(let token, let fireAt): schedule(token, at: fireAt, now: now)
            case .cancelTimer(let token): timers.removeValue(forKey: token)?.cancel()
            case .recordMetric(let metric): engine.record(metric, app: app, machine: next)
            default: break
            }
        }
        if next.state != before.state { engine.stateChanged(app: app, from: before.state, to: next.state) }
        let work = transition.actions.filter(Self.isWork)
        if !work.isEmpty {
            let snapshotMachine = next
            let app = self.app
            Task { await self.runEffects(work, on: snapshotMachine, app: app) }
        }
        finish(envelope, transition, next, now)
    }

    /// SPEC 10: a command from someone who is not an authorized approver is audited and
    /// ignored (the state does not change).
    private func auditIgnoredCommand(_ command: CommandInput, _ transition: Transition, _ now: Date) async {
        let record = AuditRecord(
            actionType: .fsmTransition, level: .warning, correlationId: machine.attempt?.correlationId,
            reasoning:
                "\(command.sender), who is not an authorized approver, sent \(command.kind.rawValue) for \(app.name); ignored.",
            fsmBefore: machine.state, fsmAfter: machine.state, event: transition.event, invariants: nil, escalation: nil
        )
        do { try await engine.audit.record([.step(record, app: app)], at: now) } catch {
            engine.logger.error(
                "audit log write failed for an ignored command", metadata: ["app": "\(app.name)", "error": "\(error)"])
        }
    }

    private func finish(_ envelope: Envelope, _ transition: Transition, _ machine: RollbackStateMachine, _ now: Date) {
        let report = StepReport(
            app: app.name, environment: app.info.environment, at: now, transition: transition,
            correlationId: machine.attempt?.correlationId ?? machine.lastAttempt?.correlationId, machine: machine)
        envelope.completion?(report)
        engine.observer?(report)
    }

    private func runEffects(_ actions: [RollbackAction], on machine: RollbackStateMachine, app: MonitoredApp? = nil)
        async
    {
        let target = app ?? self.app
        for action in actions {
            if case .reply(let reply) = action, case .rest = reply.channel { continue }
            let events = await CallScope.$correlationId.withValue(machine.attempt?.correlationId) {
                await CallScope.$app.withValue(target.name) {
                    await engine.effects.perform(action, app: target, machine: machine)
                }
            }
            for event in events { enqueue(event) }
        }
    }

    private func schedule(_ token: TimerToken, at fireAt: Date, now: Date) {
        timers[token]?.cancel()
        let delay = max(0, fireAt.timeIntervalSince(now))
        timers[token] = Task { [weak self] in
            try? await Task.sleep(nanoseconds: UInt64(delay * 1e9))
            guard !Task.isCancelled, let self else { return }
            await self.timerFired(token)
        }
    }

    private func timerFired(_ token: TimerToken) {
        timers[token] = nil
        enqueue(.timerFired(token))
    }

    static func isReply(_ action: RollbackAction) -> Bool { if case .reply = action { true } else { false } }

    static func isWork(_ action: RollbackAction) -> Bool {
        switch action {
        case .persist, .audit, .publish, .scheduleTimer, .cancelTimer, .recordMetric, .recordQuota, .archiveAttempt:
            false
        default: true
        }
    }

    static func reason(_ transition: Transition) -> String {
        if case .ignored(let reason) = transition.outcome { reason } else { "" }
    }
}
