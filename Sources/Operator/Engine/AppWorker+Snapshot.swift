// The copy of a worker's app and machine that readers take without awaiting the actor
// (REST reads, routing); it keeps the engine's count of attempts held up to date.
import Foundation
import RollbackCore

extension AppWorker {
    /// A lock-protected copy of the worker's state for readers that must not await.
    final class Snapshot: @unchecked Sendable {
        // Safe: both fields are only touched under `lock`; `attemptsHeld` is atomic.
        private let lock = NSLock()
        private var _app: MonitoredApp
        private var _machine: RollbackStateMachine
        /// The engine's count of applications holding an attempt, which this keeps.
        private let attemptsHeld: AttemptCount
        init(app: MonitoredApp, machine: RollbackStateMachine, attemptsHeld: AttemptCount) {
            _app = app
            _machine = machine
            self.attemptsHeld = attemptsHeld
            if machine.attempt != nil { attemptsHeld.add(1) }
        }
        func set(app: MonitoredApp, machine: RollbackStateMachine) {
            lock.lock()
            let held = _machine.attempt != nil
            let holds = machine.attempt != nil
            _app = app
            _machine = machine
            // Counted under the lock, so the count moves in the order the snapshots change.
            if holds != held { attemptsHeld.add(holds ? 1 : -1) }
            lock.unlock()
        }
        var app: MonitoredApp {
            lock.lock()
            defer { lock.unlock() }
            return _app
        }
        var machine: RollbackStateMachine {
            lock.lock()
            defer { lock.unlock() }
            return _machine
        }
    }
}
