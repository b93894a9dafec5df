import Foundation
import HTTPServer

/// The common machinery of every simulator: its own `HTTPServer` on `127.0.0.1:0`, a
/// catch-all route handed to `handle(_:)`, fault injection, latency, and the request log.
/// Subclasses keep their state under their own lock.
open class SimulatedService: @unchecked Sendable {
    // Safe: `server` and `log` are guarded by `serviceLock`; `faults` is itself thread-safe;
    // subclasses guard their state with their own locks.
    private let serviceLock = NSLock()
    private var server: HTTPServer?
    private var log: [LoggedRequest] = []
    private var boundPort = 0
    public let faults = FaultInjector()
    /// The address asked for; port 0 picks a free port.
    public let address: String

    public init(address: String = "127.0.0.1:0") { self.address = address }

    /// Binds and starts serving. Idempotent.
    public func start() throws {
        serviceLock.lock()
        defer { serviceLock.unlock() }
        guard server == nil else { return }
        var router = Router()
        let handler: HTTPHandler = { [weak self] request, responder in
            guard let self else {
                responder.respond(.dropConnection)
                return
            }
            self.serve(request, responder)
        }
        // A catch-all: every method, any depth. Each simulator routes by itself so that paths
        // whose parameters contain slashes (branch names, file paths) work, and so that 404/405
        // answers have the real service's shape.
        for method in ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] {
            router.add(method, "/", handler)
            for depth in 1...32 {
                router.add(method, "/" + (0..<depth).map { "{p\($0)}" }.joined(separator: "/"), handler)
            }
        }
        let config = HTTPServer.Configuration(
            address: address, threads: 2, connectionTimeoutSeconds: 60,
            connectionMemoryLimit: 256 * 1024, shutdownGraceSeconds: 1)
        let httpServer = HTTPServer(configuration: config, router: router)
        try httpServer.start()
        server = httpServer
        boundPort = httpServer.port
    }

    /// Stops serving (requests still waiting on a delay get 503). Idempotent.
    public func stop() {
        serviceLock.lock()
        let running = server
        server = nil
        serviceLock.unlock()
        running?.stop()
    }

    public var port: Int {
        serviceLock.lock()
        defer { serviceLock.unlock() }
        return boundPort
    }
    /// `http://127.0.0.1:<port>` (no trailing slash).
    public var baseURL: String { "http://127.0.0.1:\(port)" }

    /// Every request received so far, oldest first.
    public var requestLog: [LoggedRequest] {
        serviceLock.lock()
        defer { serviceLock.unlock() }
        return log
    }
    public func clearRequestLog() {
        serviceLock.lock()
        log = []
        serviceLock.unlock()
    }

    // MARK: - For subclasses

    /// Answers one request (under the subclass's lock; bounded work, never blocks).
    open func handle(_ request: HTTPRequest) -> HTTPResponse { SimJSON.response(404, ["message": "Not Found"]) }

    /// The service's own answer for an injected fault.
    open func faultResponse(_ action: FaultAction, _ request: HTTPRequest) -> HTTPResponse {
        switch action {
        case .status(let code): return SimJSON.response(code, ["message": "injected fault \(code)"])
        case .rateLimit(let status, let retryAfter, _):
            var response = SimJSON.response(status, ["message": "rate limited"])
            if let retryAfter { response.headers.append(("Retry-After", String(retryAfter))) }
            return response
        case .unauthorized: return SimJSON.response(401, ["message": "Unauthorized"])
        case .delay, .drop, .stall: return .dropConnection
        }
    }

    /// Headers every answer carries (GitHub: rate-limit headers).
    open func decorate(_ response: HTTPResponse, _ request: HTTPRequest) -> HTTPResponse { response }

    /// Headers whose values are secrets and never stored.
    open var secretHeaders: Set<String> { ["authorization", "cookie", "proxy-authorization", "x-api-key"] }

    // MARK: - Serving

    private func serve(_ request: HTTPRequest, _ responder: HTTPResponder) {
        var delay = faults.latencySeconds
        var response: HTTPResponse
        switch faults.take(method: request.method, path: request.path) {
        case .drop?:
            response = .dropConnection
        case .delay(let seconds)?:
            delay += seconds
            response = decorate(handle(request), request)
        case .stall(let seconds)?:
            delay += seconds
            response = .dropConnection
        case let action?:
            response = decorate(faultResponse(action, request), request)
        case nil:
            response = decorate(handle(request), request)
        }
        record(request, status: response.status)
        if delay <= 0 {
            responder.respond(response)
        } else {
            let answer = response
            DispatchQueue.global().asyncAfter(deadline: .now() + delay) { responder.respond(answer) }
        }
    }

    private func record(_ request: HTTPRequest, status: Int) {
        var headers: [String: String] = [:]
        for (name, value) in request.headers {
            if name == "authorization" {
                let scheme = value.split(separator: " ").first.map(String.init) ?? ""
                headers[name] = scheme.isEmpty || scheme == value ? "<redacted>" : "\(scheme) <redacted>"
            } else if !secretHeaders.contains(name) {
                headers[name] = value
            }
        }
        let entry = LoggedRequest(
            method: request.method, path: request.path, query: request.query,
            headers: headers, body: request.body, status: status, at: Date())
        serviceLock.lock()
        log.append(entry)
        if log.count > 20_000 { log.removeFirst(log.count - 20_000) }
        serviceLock.unlock()
    }
}
