import CCurl
import CCurlShim
import Foundation

/// The libcurl transport. One dedicated I/O thread (not a Swift concurrency thread) drives a
/// curl multi handle; `send` queues a transfer, wakes the thread with `curl_multi_wakeup` and
/// suspends on a continuation, so no thread of Swift's cooperative pool ever waits for the
/// network. The multi handle's connection cache gives keep-alive reuse across requests.
public final class HTTPTransport: HTTPTransporting, @unchecked Sendable {
    // Safe: `multi` is used by the I/O thread only (plus the thread-safe `curl_multi_wakeup`);
    // `incoming`, `cancels` and `stopping` are guarded by `lock`; `active` belongs to the I/O thread.
    public let configuration: TransportConfiguration
    private let multi: UnsafeMutableRawPointer
    private let lock = NSLock()
    private var incoming: [CurlTransfer] = []
    private var cancels: [CurlTransfer] = []
    private var stopping = false
    private var stopped = false
    private var active: [UnsafeMutableRawPointer: CurlTransfer] = [:]
    private let threadExited = DispatchSemaphore(value: 0)

    public init(configuration: TransportConfiguration = .init()) {
        precondition(CurlGlobal.ensureInitialized(), "curl_global_init failed")
        self.configuration = configuration
        guard let m = curl_multi_init() else { fatalError("curl_multi_init failed") }
        multi = m
        _ = shim_multi_setopt_long(m, CURLMOPT_MAXCONNECTS, configuration.maxCachedConnections)
        let thread = Thread { [self] in self.run() }
        thread.name = "curl-io"
        thread.start()
    }

    deinit {
        // The thread holds a strong reference while it runs, so reaching deinit means it ended.
        curl_multi_cleanup(multi)
    }

    /// Number of transfers queued or running (for tests and diagnostics).
    public var pendingCount: Int {
        lock.lock()
        defer { lock.unlock() }
        return incoming.count + activeCount
    }
    private var activeCount = 0

    public func send(_ request: OutboundRequest) async throws -> OutboundResponse {
        try Task.checkCancellation()
        let transfer = CurlTransfer(request: request, maxResponseBytes: configuration.maxResponseBytes)
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<OutboundResponse, any Error>) in
                transfer.attach(c)
                lock.lock()
                if stopping {
                    lock.unlock()
                    transfer.finish(.failure(TransportError(kind: .shutdown, message: "transport stopped")))
                    return
                }
                incoming.append(transfer)
                lock.unlock()
                curl_multi_wakeup(multi)
            }
        } onCancel: {
            if transfer.requestCancel() {
                lock.lock()
                cancels.append(transfer)
                lock.unlock()
                curl_multi_wakeup(multi)
            }
        }
    }

    /// Stops the I/O thread; transfers in flight fail with `.shutdown`. Idempotent. Blocks
    /// until the thread has ended: call it from a plain thread or at process end, not from
    /// the cooperative pool.
    public func shutdown() {
        lock.lock()
        let first = !stopping
        stopping = true
        lock.unlock()
        guard first else { return }
        curl_multi_wakeup(multi)
        threadExited.wait()
    }

    // MARK: - I/O thread

    private func run() {
        while true {
            lock.lock()
            let newTransfers = incoming
            incoming.removeAll()
            let cancelled = cancels
            cancels.removeAll()
            let stop = stopping
            lock.unlock()

            for t in newTransfers { start(t) }
            for t in cancelled { cancel(t) }
            if stop { break }

            var running: Int32 = 0
            _ = curl_multi_perform(multi, &running)
            collectFinished()

            var fds: Int32 = 0
            // Returns on activity, on curl's own timers, on curl_multi_wakeup, or after 1 s.
            _ = curl_multi_poll(multi, nil, 0, 1000, &fds)
        }
        for t in active.values { complete(t, .failure(TransportError(kind: .shutdown, message: "transport stopped"))) }
        lock.lock()
        let left = incoming
        incoming.removeAll()
        lock.unlock()
        for t in left { t.finish(.failure(TransportError(kind: .shutdown, message: "transport stopped"))) }
        threadExited.signal()
    }

    private func start(_ t: CurlTransfer) {
        if t.isCancelRequested {
            t.finish(.failure(CancellationError()))
            return
        }
        if let problem = t.prepare(configuration) {
            t.cleanup()
            t.finish(.failure(TransportError(kind: .invalidRequest, message: problem)))
            return
        }
        guard let h = t.easy else { return }
        let rc = curl_multi_add_handle(multi, h)
        guard rc == CURLM_OK else {
            t.cleanup()
            t.finish(.failure(TransportError(kind: .other, message: String(cString: curl_multi_strerror(rc)))))
            return
        }
        active[h] = t
        setActiveCount()
    }

    private func cancel(_ t: CurlTransfer) {
        guard let h = t.easy, active[h] != nil else {
            // Not started yet (it will see the flag) or already finished.
            if t.easy == nil { t.finish(.failure(CancellationError())) }
            return
        }
        complete(t, .failure(CancellationError()))
    }

    private func collectFinished() {
        var left: Int32 = 0
        while let msg = curl_multi_info_read(multi, &left) {
            guard msg.pointee.msg == CURLMSG_DONE, let h = msg.pointee.easy_handle, let t = active[h] else { continue }
            let code = msg.pointee.data.result
            complete(t, t.outcome(code))
        }
    }

    private func complete(_ t: CurlTransfer, _ result: Result<OutboundResponse, any Error>) {
        if let h = t.easy {
            curl_multi_remove_handle(multi, h)
            active[h] = nil
        }
        t.cleanup()
        setActiveCount()
        t.finish(result)
    }

    private func setActiveCount() {
        lock.lock()
        activeCount = active.count
        lock.unlock()
    }
}
