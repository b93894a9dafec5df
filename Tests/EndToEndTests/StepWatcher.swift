import Foundation
import Operator
import RollbackCore
import Testing

/// Collects every step of every app (from the service's observer) and waits, bounded, for
/// conditions on them.
final class StepWatcher: @unchecked Sendable {
    // Safe: `reports` is only touched under `lock`.
    private let lock = NSLock()
    private var reports: [StepReport] = []

    func record(_ report: StepReport) {
        lock.lock()
        reports.append(report)
        lock.unlock()
    }

    var all: [StepReport] {
        lock.lock()
        defer { lock.unlock() }
        return reports
    }

    func states(_ app: String) -> [RollbackState] {
        var out: [RollbackState] = []
        for report in all
        where report.app == app && report.transition.from != report.transition.to && !report.transition.isIgnored {
            if out.isEmpty { out.append(report.transition.from) }
            out.append(report.transition.to)
        }
        return out
    }

    func reached(_ app: String, _ state: RollbackState) -> Bool {
        all.contains { $0.app == app && $0.transition.to == state && !$0.transition.isIgnored }
    }

    func last(_ app: String) -> StepReport? { all.last { $0.app == app } }

    /// Polls every 20 ms until `condition` holds or `seconds` pass.
    func wait(within seconds: Double, _ condition: () -> Bool) async -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            try? await Task.sleep(nanoseconds: 20_000_000)
        }
        return condition()
    }
}

/// Queries and bounded observations the acceptance tests use.
extension StepWatcher {
    /// Applied health checks the engine processed for `app`.
    func healthChecks(_ app: String) -> [StepReport] {
        all.filter { $0.app == app && $0.transition.event == "HealthChecked" && !$0.transition.isIgnored }
    }

    /// Steps for `app` whose event name starts with `prefix` (applied or ignored).
    func steps(_ app: String, event prefix: String) -> [StepReport] {
        all.filter { $0.app == app && $0.transition.event.hasPrefix(prefix) }
    }

    /// The state `app` is in after its last step.
    func state(_ app: String) -> RollbackState? { last(app)?.machine.state }

    /// Bounded observation: waits until `enough` holds (e.g. N more poll cycles were seen),
    /// failing early if `invariant` stops holding. True when `invariant` held throughout and
    /// `enough` was reached within `seconds`.
    func holds(_ invariant: () -> Bool, until enough: () -> Bool, within seconds: Double) async -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            guard invariant() else { return false }
            if enough() { return invariant() }
            try? await Task.sleep(nanoseconds: 20_000_000)
        }
        return false
    }

    /// What a failed wait prints: the app's states and the last log lines.
    func brief(_ app: String, _ logs: LogOutput) -> Comment {
        Comment(rawValue: "states: \(states(app)); logs: \(logs.captured.suffix(15).joined(separator: "\n"))")
    }
}
