// The service's background tasks, kept so that shutdown can cancel them all.
import Foundation

/// Background tasks to cancel at shutdown.
final class TaskBox: @unchecked Sendable {
    // Safe: `tasks` is only touched under `lock`.
    private let lock = NSLock()
    private var tasks: [Task<Void, Never>] = []
    func add(_ task: Task<Void, Never>) {
        lock.lock()
        tasks.append(task)
        lock.unlock()
    }
    func cancelAll() {
        lock.lock()
        let cancelled = tasks
        tasks = []
        lock.unlock()
        for task in cancelled { task.cancel() }
    }
}
