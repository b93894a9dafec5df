import Demo
import Foundation
import Logging
import Operator
import RollbackCore

/// Collects every step of every app (from the service's observer) and waits, bounded, for
/// conditions on them.
final class StepWatcher: @unchecked Sendable {
    // Safe: `reports` is only touched under `lock`.
    private let lock = NSLock()
    private var reports: [StepReport] = []

    func record(_ r: StepReport) { lock.lock(); reports.append(r); lock.unlock() }

    var all: [StepReport] { lock.lock(); defer { lock.unlock() }; return reports }

    func states(_ app: String) -> [RollbackState] {
        var out: [RollbackState] = []
        for r in all where r.app == app && r.transition.from != r.transition.to && !r.transition.isIgnored {
            if out.isEmpty { out.append(r.transition.from) }
            out.append(r.transition.to)
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

/// A logger whose lines are kept (printed only when asked), so test output stays readable.
func capturingLogger(_ output: LogOutput) -> Logger {
    Logger(label: "e2e") { OperatorLogHandler(label: $0, level: .info, json: false, output: output) }
}
