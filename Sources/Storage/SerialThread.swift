import Foundation

/// A thread that runs the closures handed to it, one after the other, in the order given.
/// The store uses two: the writer's completions, and the body log's writes.
///
/// `@unchecked Sendable` is safe because `work`, `finishing` and `finished` are only touched with
/// `condition` locked, and `thread` is written once, before the thread starts, and read only by
/// `isCurrent` (which compares it with the calling thread).
final class SerialThread: @unchecked Sendable {
    private let condition = NSCondition()
    private let name: String
    private var work: [() -> Void] = []
    private var finishing = false
    private var finished = false
    private var thread: Thread?

    init(name: String) { self.name = name }

    func start() {
        let thread = namedThread(name) { [self] in loop() }
        self.thread = thread
        thread.start()
    }

    /// Whether the caller is this thread.
    var isCurrent: Bool { Thread.current === thread }

    /// Queues `closure`; after `finish()` it runs at once on the calling thread.
    func enqueue(_ closure: @escaping () -> Void) {
        condition.lock()
        if finishing {
            condition.unlock()
            closure()
            return
        }
        work.append(closure)
        condition.signal()
        condition.unlock()
    }

    /// Runs everything queued, ends the thread, and returns once it has ended. Idempotent.
    func finish() {
        condition.lock()
        finishing = true
        condition.broadcast()
        while !finished && thread != nil { condition.wait() }
        condition.unlock()
    }

    private func loop() {
        while true {
            condition.lock()
            while work.isEmpty && !finishing { condition.wait() }
            let batch = work
            work = []
            let done = batch.isEmpty
            if done {
                finished = true
                condition.broadcast()
            }
            condition.unlock()
            if done { return }
            for closure in batch { closure() }
        }
    }
}

/// A thread (not started) that runs `body` under `name`, both for Foundation and for the OS
/// (`top -H`, `perf`, /proc: Foundation's `Thread.name` does not reach the OS on Linux).
/// Linux keeps 15 bytes of the name.
func namedThread(_ name: String, _ body: @escaping @Sendable () -> Void) -> Thread {
    let thread = Thread {
        nameThisThread(name)
        body()
    }
    thread.name = name
    return thread
}

private func nameThisThread(_ name: String) {
    // (pthread_setname_np is not visible to Swift without _GNU_SOURCE; this is what it does.)
    let fd = open("/proc/thread-self/comm", O_WRONLY | O_CLOEXEC)
    guard fd >= 0 else { return }
    let bytes = Array(name.utf8.prefix(15))
    _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    close(fd)
}
