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
        guard let multiHandle = curl_multi_init() else { fatalError("curl_multi_init failed") }
        multi = multiHandle
        _ = shim_multi_setopt_long(multiHandle, CURLMOPT_MAXCONNECTS, configuration.maxCachedConnections)
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

            for transfer in newTransfers { start(transfer) }
            for transfer in cancelled { cancel(transfer) }
            if stop { break }

            var running: Int32 = 0
            _ = curl_multi_perform(multi, &running)
            collectFinished()

            var fds: Int32 = 0
            // Returns on activity, on curl's own timers, on curl_multi_wakeup, or after 1 s.
            _ = curl_multi_poll(multi, nil, 0, 1000, &fds)
        }
        for transfer in active.values {
            complete(transfer, .failure(TransportError(kind: .shutdown, message: "transport stopped")))
        }
        lock.lock()
        let left = incoming
        incoming.removeAll()
        lock.unlock()
        for transfer in left {
            transfer.finish(.failure(TransportError(kind: .shutdown, message: "transport stopped")))
        }
        threadExited.signal()
    }

    private func start(_ transfer: CurlTransfer) {
        if transfer.isCancelRequested {
            transfer.finish(.failure(CancellationError()))
            return
        }
        if let problem = transfer.prepare(configuration) {
            transfer.cleanup()
            transfer.finish(.failure(TransportError(kind: .invalidRequest, message: problem)))
            return
        }
        guard let handle = transfer.easy else { return }
        let rc = curl_multi_add_handle(multi, handle)
        guard rc == CURLM_OK else {
            transfer.cleanup()
            transfer.finish(.failure(TransportError(kind: .other, message: String(cString: curl_multi_strerror(rc)))))
            return
        }
        active[handle] = transfer
        setActiveCount()
    }

    private func cancel(_ transfer: CurlTransfer) {
        guard let handle = transfer.easy, active[handle] != nil else {
            // Not started yet (it will see the flag) or already finished.
            if transfer.easy == nil { transfer.finish(.failure(CancellationError())) }
            return
        }
        complete(transfer, .failure(CancellationError()))
    }

    private func collectFinished() {
        var left: Int32 = 0
        while let msg = curl_multi_info_read(multi, &left) {
            guard msg.pointee.msg == CURLMSG_DONE, let handle = msg.pointee.easy_handle, let transfer = active[handle]
            else { continue }
            let code = msg.pointee.data.result
            complete(transfer, transfer.outcome(code))
        }
    }

    private func complete(_ transfer: CurlTransfer, _ result: Result<OutboundResponse, any Error>) {
        if let handle = transfer.easy {
            curl_multi_remove_handle(multi, handle)
            active[handle] = nil
        }
        transfer.cleanup()
        setActiveCount()
        transfer.finish(result)
    }

    private func setActiveCount() {
        lock.lock()
        activeCount = active.count
        lock.unlock()
    }
}
