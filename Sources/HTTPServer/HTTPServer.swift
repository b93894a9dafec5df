import CMicroHTTPD
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// An HTTP/1.1 server over libmicrohttpd: an internal epoll polling thread with a pool of
/// worker threads, connection timeout, per-connection memory limit, a hard body cap (413,
/// decided from `Content-Length` before reading when present), routing, and a graceful stop
/// (stop accepting, finish requests in flight, then shut down).
public final class HTTPServer: @unchecked Sendable {
    // Safe: `daemon`, `boundPort`, `stopping`, the in-flight table and `retainedSelf` are only
    // touched under `lock`; the rest is immutable after init.

    public struct Configuration: Sendable {
        /// `host:port`; port 0 picks a free port (see `port`).
        public var address: String
        /// Worker threads (libmicrohttpd thread pool); defaults to the number of cores.
        public var threads: Int
        /// Idle connections are closed after this many seconds.
        public var connectionTimeoutSeconds: Int
        /// Memory libmicrohttpd may use per connection for headers and buffers (bodies stream past
        /// it). The default, 32 KiB (libmicrohttpd's own), takes requests with more than 16 KiB of
        /// headers. More costs time on every request, not just memory: libmicrohttpd zeroes the
        /// unused part of a connection's pool each time it readies it for the next request (at
        /// 64 KiB that memset was a seventh of its worker threads' time in the webhook benchmark).
        public var connectionMemoryLimit: Int
        /// Requests with a larger body are answered 413 (25 MiB: GitHub's payload cap).
        public var maxBodyBytes: Int
        /// Connections accepted at once; more wait in the kernel backlog.
        public var connectionLimit: Int
        /// How long `stop()` waits for requests in flight.
        public var shutdownGraceSeconds: Double

        public init(
            address: String = "0.0.0.0:8080",
            threads: Int = max(1, ProcessInfo.processInfo.activeProcessorCount),
            connectionTimeoutSeconds: Int = 30,
            connectionMemoryLimit: Int = 32 * 1024,
            maxBodyBytes: Int = 25 * 1024 * 1024,
            connectionLimit: Int = 1024,
            shutdownGraceSeconds: Double = 10
        ) {
            self.address = address
            self.threads = threads
            self.connectionTimeoutSeconds = connectionTimeoutSeconds
            self.connectionMemoryLimit = connectionMemoryLimit
            self.maxBodyBytes = maxBodyBytes
            self.connectionLimit = connectionLimit
            self.shutdownGraceSeconds = shutdownGraceSeconds
        }
    }

    /// What the observer learns of every finished request.
    public struct Completed: Sendable {
        public let method: String
        /// The matched route pattern, or `"unmatched"`.
        public let route: String
        public let status: Int
        public let seconds: Double
    }

    public let configuration: Configuration
    let router: Router
    let observer: (@Sendable (Completed) -> Void)?

    private let lock = NSCondition()
    private var daemon: OpaquePointer?
    private var boundPort = 0
    private var inFlight: [ObjectIdentifier: RequestState] = [:]
    /// Set when `stop()` begins: connections accepted from then on are closed at once.
    private var stopping = false
    private var retainedSelf: Unmanaged<HTTPServer>?

    public init(configuration: Configuration, router: Router, observer: (@Sendable (Completed) -> Void)? = nil) {
        self.configuration = configuration
        self.router = router
        self.observer = observer
    }

    /// The routes this server answers (for contract tests against the API description).
    public var routes: [(method: String, pattern: String)] { router.routeList }

    /// Requests between their first byte and their completion.
    public var inFlightCount: Int {
        lock.lock()
        defer { lock.unlock() }
        return inFlight.count
    }

    /// The bound port (after `start()`).
    public var port: Int {
        lock.lock()
        defer { lock.unlock() }
        return boundPort
    }

    public func start() throws {
        lock.lock()
        defer { lock.unlock() }
        guard daemon == nil else { return }
        stopping = false
        let socket = try ListenSocket.open(address: configuration.address)
        let flags =
            MHD_USE_INTERNAL_POLLING_THREAD.rawValue | MHD_USE_EPOLL.rawValue | MHD_ALLOW_SUSPEND_RESUME.rawValue
        let me = Unmanaged.passRetained(self)
        let completed = unsafeBitCast(MHDCallbacks.completed, to: OpaquePointer.self)
        var args: [CVarArg] = []
        if configuration.threads > 1 {
            args += [MHD_OPTION.THREAD_POOL_SIZE.rawValue, UInt32(configuration.threads)]
        }
        args += [
            MHD_OPTION.LISTEN_SOCKET.rawValue, socket.fd,
            MHD_OPTION.CONNECTION_TIMEOUT.rawValue, UInt32(configuration.connectionTimeoutSeconds),
            MHD_OPTION.CONNECTION_MEMORY_LIMIT.rawValue, configuration.connectionMemoryLimit,
            MHD_OPTION.CONNECTION_LIMIT.rawValue, UInt32(configuration.connectionLimit),
            MHD_OPTION.NOTIFY_COMPLETED.rawValue, completed, OpaquePointer(me.toOpaque()),
            MHD_OPTION.END.rawValue,
        ]
        let started = withVaList(args) { va in
            MHD_start_daemon_va(
                flags, 0, MHDCallbacks.acceptPolicy, me.toOpaque(), MHDCallbacks.access, me.toOpaque(), va)
        }
        guard let started else {
            me.release()
            close(socket.fd)
            throw HTTPServerError.startFailed("libmicrohttpd refused the configuration")
        }
        daemon = started
        boundPort = socket.port
        retainedSelf = me
    }

    /// Stops accepting, lets requests in flight finish (up to the grace period; any still
    /// waiting then get 503), and shuts the daemon down. Idempotent.
    public func stop() {
        lock.lock()
        guard let running = daemon else {
            lock.unlock()
            return
        }
        // Stop accepting through the accept policy, not MHD_quiesce_daemon: with epoll and a
        // worker pool, libmicrohttpd 0.9.75's quiesce races its own workers over removing the
        // listening socket from their epoll sets, and the loser aborts the process ("Failed to
        // remove listen FD from epoll set"; seen in CI, and reproduced in C in one run of two).
        stopping = true
        let deadline = Date().addingTimeInterval(configuration.shutdownGraceSeconds)
        while !inFlight.isEmpty, lock.wait(until: deadline) {}
        // Requests still waiting get 503. libmicrohttpd aborts the process if it is stopped while
        // a connection is suspended, and a resumed one counts until its worker thread has taken
        // the answer, which on a loaded machine can take a while; a keep-alive connection may
        // also bring a new request meanwhile. So: answer, wait, and again, until none is left.
        let settle = Date().addingTimeInterval(30)
        while !inFlight.isEmpty && Date() < settle {
            let stuck = inFlight.values.compactMap { $0.responder }
            lock.unlock()
            for responder in stuck {
                responder.respond(.error(503, "shutting_down", "the server is shutting down"))
            }
            lock.lock()
            let round = min(settle, Date().addingTimeInterval(0.5))
            while !inFlight.isEmpty, lock.wait(until: round) {}
        }
        let leftover = inFlight.count
        daemon = nil
        lock.unlock()
        if leftover == 0 {
            // Closes the listening socket too (libmicrohttpd owns it once it was handed over).
            MHD_stop_daemon(running)
        } else {
            // Never expected: stopping now would abort the whole process. Leave the daemon's
            // threads, and its listening socket, to the process's exit instead.
            FileHandle.standardError.write(
                Data("HTTPServer: \(leftover) request(s) still in flight after 30 s; libmicrohttpd left running\n".utf8)
            )
        }
        lock.lock()
        let me = retainedSelf
        retainedSelf = nil
        lock.unlock()
        me?.release()
    }

    deinit {
        if let daemon { MHD_stop_daemon(daemon) }
    }

    /// Whether a newly accepted connection may be served (no longer once `stop()` has begun).
    func acceptsConnections() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        return !stopping
    }

    // MARK: - Called on libmicrohttpd threads

    func access(
        _ connection: OpaquePointer?, _ url: UnsafePointer<CChar>?, _ method: UnsafePointer<CChar>?,
        _ uploadData: UnsafePointer<CChar>?, _ uploadSize: UnsafeMutablePointer<Int>?,
        _ conCls: UnsafeMutablePointer<UnsafeMutableRawPointer?>?
    ) -> MHD_Result {
        guard let connection, let conCls, let uploadSize else { return .NO }
        guard let raw = conCls.pointee else {
            let state = RequestState(
                method: method.map { String(cString: $0) } ?? "GET",
                target: url.map { String(cString: $0) } ?? "/")
            _ = MHD_get_connection_values(
                connection, .HEADER_KIND, MHDCallbacks.collect,
                Unmanaged.passUnretained(state.headers).toOpaque())
            _ = MHD_get_connection_values(
                connection, .GET_ARGUMENT_KIND, MHDCallbacks.collect,
                Unmanaged.passUnretained(state.query).toOpaque())
            conCls.pointee = Unmanaged.passRetained(state).toOpaque()
            lock.lock()
            inFlight[ObjectIdentifier(state)] = state
            lock.unlock()
            if let text = state.headers.values["content-length"], let declared = Int(text) {
                if declared > configuration.maxBodyBytes {
                    state.tooLarge = true
                    return queue(connection, state, tooLarge())
                }
                state.body.reserveCapacity(declared)
            }
            return .YES
        }
        let state = Unmanaged<RequestState>.fromOpaque(raw).takeUnretainedValue()
        if let responder = state.responder {
            // Resumed after a deferred answer.
            guard let response = responder.takeResponse() else { return .YES }
            return queue(connection, state, response)
        }
        let size = uploadSize.pointee
        if state.tooLarge {
            // libmicrohttpd accepts no answer while an upload is still arriving: discard the
            // rest and answer 413 at its end, but close the connection of a sender that
            // streams on far past the cap.
            state.discarded += size
            uploadSize.pointee = 0
            if size == 0 { return queue(connection, state, tooLarge()) }
            return state.discarded > configuration.maxBodyBytes * 2 + (1 << 20) ? .NO : .YES
        }
        if size > 0 {
            if state.body.count + size > configuration.maxBodyBytes {
                state.tooLarge = true
                state.discarded = state.body.count + size
                state.body = []
                uploadSize.pointee = 0
                return .YES
            }
            if let uploadData {
                uploadData.withMemoryRebound(to: UInt8.self, capacity: size) {
                    state.body.append(contentsOf: UnsafeBufferPointer(start: $0, count: size))
                }
            }
            uploadSize.pointee = 0
            return .YES
        }
        // The whole request is here.
        let (path, _) = splitTarget(state.target)
        let request = HTTPRequest(
            method: state.method, path: path, query: state.query.values,
            headers: state.headers.values, body: state.body)
        state.body = []
        let responder = HTTPResponder(connection: connection)
        state.responder = responder
        state.route = router.dispatch(request, responder)
        if let response = responder.takeOrSuspend() {
            return queue(connection, state, response)
        }
        return .YES
    }

    func completed(_ conCls: UnsafeMutablePointer<UnsafeMutableRawPointer?>?) {
        guard let conCls, let raw = conCls.pointee else { return }
        let state = Unmanaged<RequestState>.takeRetainedValue(Unmanaged<RequestState>.fromOpaque(raw))()
        conCls.pointee = nil
        lock.lock()
        inFlight[ObjectIdentifier(state)] = nil
        if inFlight.isEmpty { lock.broadcast() }
        lock.unlock()
        if let observer {
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - state.started) / 1e9
            observer(Completed(method: state.method, route: state.route, status: state.status, seconds: seconds))
        }
    }

    private func tooLarge() -> HTTPResponse {
        .error(413, "payload_too_large", "the body exceeds \(configuration.maxBodyBytes) bytes")
    }

    private func queue(_ connection: OpaquePointer, _ state: RequestState, _ response: HTTPResponse) -> MHD_Result {
        state.status = response.status
        if response.status == 0 { return .NO }
        let answer: OpaquePointer? = response.body.withUnsafeBytes { buf in
            MHD_create_response_from_buffer(
                buf.count, UnsafeMutableRawPointer(mutating: buf.baseAddress), .RESPMEM_MUST_COPY)
        }
        guard let answer else { return .NO }
        for (name, value) in response.headers {
            _ = MHD_add_response_header(answer, name, value)
        }
        let result = MHD_queue_response(connection, UInt32(response.status), answer)
        MHD_destroy_response(answer)
        return result
    }

    private func splitTarget(_ target: String) -> (String, Substring) {
        // Bytes, not Characters: libmicrohttpd hands over the path without its query already,
        // so this is nearly always a scan that finds nothing, and a byte scan is the cheap one.
        if let questionMark = target.utf8.firstIndex(of: UInt8(ascii: "?")) {
            return (String(target[..<questionMark]), target[target.utf8.index(after: questionMark)...])
        }
        return (target, "")
    }
}
