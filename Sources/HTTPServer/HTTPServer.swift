import CMicroHTTPD
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// An HTTP/1.1 server over libmicrohttpd: an internal epoll polling thread with a pool of
/// worker threads, routing, and a graceful stop (stop accepting, finish requests in flight,
/// then shut down). Its door holds against strangers: each route's body limit and screen are
/// applied to the headers before any body byte is read, bodies in flight share one budget, and
/// a request must arrive whole within a deadline or its connection is closed.
public final class HTTPServer: @unchecked Sendable {
    // Safe: `daemon`, `boundPort`, `stopping`, the in-flight and connection tables, `sweeper`
    // and `retainedSelf` are only touched under `lock`; the rest is immutable after init.

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
        /// The body limit of routes that set none, other than GET's (none): larger requests are
        /// answered 413 (25 MiB: GitHub's payload cap).
        public var maxBodyBytes: Int
        /// Connections accepted at once; more wait in the kernel backlog.
        public var connectionLimit: Int
        /// How long `stop()` waits for requests in flight.
        public var shutdownGraceSeconds: Double
        /// A request must arrive whole (headers and body) within this many seconds of its first
        /// byte, or its connection is closed; a byte now and then does not extend it. The first
        /// byte of a later request on a kept-alive connection cannot be seen: its wait is bounded
        /// from the previous answer, and its arrival from its headers. 0: no deadline.
        public var requestDeadlineSeconds: Double
        /// Body bytes all requests in flight may hold together (from arrival until answered);
        /// a request that would pass it is answered 503 with `Retry-After`. 0: no budget.
        public var inFlightBodyBudget: Int

        public init(
            address: String = "0.0.0.0:8080",
            threads: Int = max(1, ProcessInfo.processInfo.activeProcessorCount),
            connectionTimeoutSeconds: Int = 30,
            connectionMemoryLimit: Int = 32 * 1024,
            maxBodyBytes: Int = 25 * 1024 * 1024,
            connectionLimit: Int = 1024,
            shutdownGraceSeconds: Double = 10,
            requestDeadlineSeconds: Double = 30,
            inFlightBodyBudget: Int = 256 * 1024 * 1024
        ) {
            self.address = address
            self.threads = threads
            self.connectionTimeoutSeconds = connectionTimeoutSeconds
            self.connectionMemoryLimit = connectionMemoryLimit
            self.maxBodyBytes = maxBodyBytes
            self.connectionLimit = connectionLimit
            self.shutdownGraceSeconds = shutdownGraceSeconds
            self.requestDeadlineSeconds = requestDeadlineSeconds
            self.inFlightBodyBudget = inFlightBodyBudget
        }
    }

    /// What the observer learns of every finished request. Every value comes from a closed set,
    /// never from the request itself: fit for metric labels.
    public struct Completed: Sendable {
        /// `GET`, `POST`, `HEAD` or `other`.
        public let method: String
        /// The matched route pattern, or `"unmatched"`.
        public let route: String
        /// The status answered; 0 when the connection closed without an answer.
        public let status: Int
        public let seconds: Double
    }

    public let configuration: Configuration
    let router: Router
    let observer: (@Sendable (Completed) -> Void)?

    let lock = NSCondition()
    private var daemon: OpaquePointer?
    private var boundPort = 0
    var inFlight: [ObjectIdentifier: RequestState] = [:]
    /// Open connections with their request clocks, from libmicrohttpd's open to close notices.
    var connections: [ObjectIdentifier: ConnectionClock] = [:]
    /// Closes the connections of requests past their deadline.
    private var sweeper: DispatchSourceTimer?
    let budget: BodyBudget
    /// `requestDeadlineSeconds` in nanoseconds.
    let deadlineNanoseconds: UInt64
    /// Set when `stop()` begins: connections accepted from then on are closed at once.
    private var stopping = false
    private var retainedSelf: Unmanaged<HTTPServer>?

    public init(configuration: Configuration, router: Router, observer: (@Sendable (Completed) -> Void)? = nil) {
        self.configuration = configuration
        self.router = router
        self.observer = observer
        budget = BodyBudget(limit: configuration.inFlightBodyBudget)
        deadlineNanoseconds = UInt64(max(0, configuration.requestDeadlineSeconds) * 1e9)
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
        let connectionNotice = unsafeBitCast(MHDCallbacks.connectionNotice, to: OpaquePointer.self)
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
            MHD_OPTION.NOTIFY_CONNECTION.rawValue, connectionNotice, OpaquePointer(me.toOpaque()),
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
        sweeper = startSweeper()
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
        let timer = sweeper
        sweeper = nil
        lock.unlock()
        timer?.cancel()
        me?.release()
    }

    deinit {
        sweeper?.cancel()
        if let daemon { MHD_stop_daemon(daemon) }
    }

    /// Whether a newly accepted connection may be served (no longer once `stop()` has begun).
    func acceptsConnections() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        return !stopping
    }

    func splitTarget(_ target: String) -> (String, Substring) {
        // Bytes, not Characters: libmicrohttpd hands over the path without its query already,
        // so this is nearly always a scan that finds nothing, and a byte scan is the cheap one.
        if let questionMark = target.utf8.firstIndex(of: UInt8(ascii: "?")) {
            return (String(target[..<questionMark]), target[target.utf8.index(after: questionMark)...])
        }
        return (target, "")
    }
}
