import Foundation
import HTTPServer

/// One request as a simulator saw it, for assertions. Credentials are redacted: the
/// `authorization` header keeps only its scheme (`Bearer <redacted>`), cookies are dropped.
public struct LoggedRequest: Sendable {
    public let method: String
    public let path: String
    public let query: [String: String]
    public let headers: [String: String]
    public let body: [UInt8]
    /// 0 when the connection was dropped without an answer.
    public let status: Int
    public let at: Date

    public var bodyText: String { String(decoding: body, as: UTF8.self) }
    public var bodyJSON: [String: Any]? { (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] }
}

/// What a fault rule does to a matching request.
public enum FaultAction: Sendable {
    /// Answer this status (5xx, 404, ...) with the service's own error body.
    case status(Int)
    /// A rate limit: GitHub answers `status` (403 or 429) with `x-ratelimit-remaining: 0`,
    /// `x-ratelimit-reset` now + `resetIn` (when given) and `retry-after` (when given); other
    /// services answer `status` with `Retry-After`.
    case rateLimit(status: Int = 429, retryAfter: Int? = 1, resetIn: Int? = nil)
    /// Answer normally, `seconds` later (the handler thread is not blocked).
    case delay(Double)
    /// Close the connection without an answer.
    case drop
    /// Hold the request `seconds` WITHOUT handling it, then close the connection without an
    /// answer: the request arrived (it is in the request log, status 0) but never took effect.
    /// (`delay` handles the request first and only holds the answer.)
    case stall(Double)
    /// 401 as for an expired or revoked token.
    case unauthorized
}

/// A fault: requests whose method and path match get `action`, `count` times (nil: forever).
///
/// Path patterns: without `*`, the exact path or any path under it (`/repos/acme/app` matches
/// `/repos/acme/app/pulls/1`); a `*` segment matches one segment, a final `**` any rest
/// (`/repos/*/*/pulls/*/merge`, `/api/v1/**`); a pattern ending in a partial `abc*` segment is a
/// plain string prefix. Method `*` matches any method.
public struct FaultRule: Sendable {
    public var method: String
    public var path: String
    public var action: FaultAction
    public var remaining: Int?
    public init(method: String = "*", path: String, action: FaultAction, count: Int? = 1) {
        self.method = method.uppercased()
        self.path = path
        self.action = action
        self.remaining = count
    }

    func matches(method m: String, path p: String) -> Bool {
        if method != "*" && method != m && !(method == "GET" && m == "HEAD") { return false }
        return Self.match(pattern: path, path: p)
    }

    static func match(pattern: String, path: String) -> Bool {
        if !pattern.contains("*") {
            let pat = pattern.hasSuffix("/") && pattern.count > 1 ? String(pattern.dropLast()) : pattern
            return path == pat || path.hasPrefix(pat == "/" ? "/" : pat + "/")
        }
        let ps = pattern.split(separator: "/", omittingEmptySubsequences: true)
        let xs = path.split(separator: "/", omittingEmptySubsequences: true)
        if let last = ps.last, last != "*", last != "**", last.hasSuffix("*"), !last.dropLast().contains("*") {
            // A plain prefix such as `/api/v1/appl*` (only when the other segments have no star).
            if !ps.dropLast().contains(where: { $0.contains("*") }) {
                return path.hasPrefix(String(pattern.dropLast()))
            }
        }
        var i = 0
        for (n, seg) in ps.enumerated() {
            if seg == "**" && n == ps.count - 1 { return true }
            guard i < xs.count else { return false }
            if seg != "*" && seg != xs[i] { return false }
            i += 1
        }
        return i == xs.count
    }
}

/// Fault rules and the latency knob of one simulator. Thread-safe.
public final class FaultInjector: @unchecked Sendable {
    // Safe: all mutable state is guarded by `lock`.
    private let lock = NSLock()
    private var rules: [FaultRule] = []
    private var latency: Double = 0

    /// Adds a rule; rules are tried in the order they were added.
    public func add(_ rule: FaultRule) {
        lock.lock()
        rules.append(rule)
        lock.unlock()
    }

    /// Shorthand: `count` requests matching `method` + `path` get `action`.
    public func inject(_ action: FaultAction, method: String = "*", path: String, count: Int? = 1) {
        add(FaultRule(method: method, path: path, action: action, count: count))
    }

    public func clear() {
        lock.lock()
        rules = []
        lock.unlock()
    }

    /// Rules not used up yet.
    public var activeRules: [FaultRule] {
        lock.lock()
        defer { lock.unlock() }
        return rules
    }

    /// Milliseconds added to every answer (the product benchmark uses 50 ms on GitHub).
    public var latencyMilliseconds: Int {
        get {
            lock.lock()
            defer { lock.unlock() }
            return Int(latency * 1000)
        }
        set {
            lock.lock()
            latency = Double(newValue) / 1000
            lock.unlock()
        }
    }

    var latencySeconds: Double {
        lock.lock()
        defer { lock.unlock() }
        return latency
    }

    /// The action for this request (consuming one use of the rule), if any.
    func take(method: String, path: String) -> FaultAction? {
        lock.lock()
        defer { lock.unlock() }
        guard let i = rules.firstIndex(where: { $0.matches(method: method, path: path) && ($0.remaining ?? 1) > 0 })
        else { return nil }
        let action = rules[i].action
        if let r = rules[i].remaining {
            if r <= 1 { rules.remove(at: i) } else { rules[i].remaining = r - 1 }
        }
        return action
    }
}

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
        let s = HTTPServer(configuration: config, router: router)
        try s.start()
        server = s
        boundPort = s.port
    }

    /// Stops serving (requests still waiting on a delay get 503). Idempotent.
    public func stop() {
        serviceLock.lock()
        let s = server
        server = nil
        serviceLock.unlock()
        s?.stop()
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
            var r = SimJSON.response(status, ["message": "rate limited"])
            if let retryAfter { r.headers.append(("Retry-After", String(retryAfter))) }
            return r
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
            let r = response
            DispatchQueue.global().asyncAfter(deadline: .now() + delay) { responder.respond(r) }
        }
    }

    private func record(_ request: HTTPRequest, status: Int) {
        var headers: [String: String] = [:]
        for (k, v) in request.headers {
            if k == "authorization" {
                let scheme = v.split(separator: " ").first.map(String.init) ?? ""
                headers[k] = scheme.isEmpty || scheme == v ? "<redacted>" : "\(scheme) <redacted>"
            } else if !secretHeaders.contains(k) {
                headers[k] = v
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

/// JSON in and out with Foundation's `JSONSerialization` (sorted keys, unescaped slashes).
public enum SimJSON {
    /// Makes values JSONSerialization accepts: substrings become strings, unknown values their description.
    static func normalize(_ v: Any) -> Any {
        switch v {
        case let d as [String: Any]: return d.mapValues(normalize)
        case let a as [Any]: return a.map(normalize)
        case let s as Substring: return String(s)
        case is String, is NSNull, is Bool, is Int, is Double, is NSNumber: return v
        default: return String(describing: v)
        }
    }

    public static func encode(_ value: Any) -> [UInt8] {
        let value = normalize(value)
        guard JSONSerialization.isValidJSONObject(value) || value is String || value is NSNumber || value is NSNull,
            let d = try? JSONSerialization.data(
                withJSONObject: value, options: [.sortedKeys, .withoutEscapingSlashes, .fragmentsAllowed])
        else { return Array("{}".utf8) }
        return Array(d)
    }

    public static func response(_ status: Int, _ value: Any, headers: [(String, String)] = []) -> HTTPResponse {
        var h: [(String, String)] = [("Content-Type", "application/json; charset=utf-8")]
        h.append(contentsOf: headers)
        return HTTPResponse(status: status, headers: h, body: encode(value))
    }

    public static func parse(_ body: [UInt8]) -> Any? {
        guard !body.isEmpty else { return nil }
        return try? JSONSerialization.jsonObject(with: Data(body), options: [.fragmentsAllowed])
    }

    public static func object(_ body: [UInt8]) -> [String: Any]? { parse(body) as? [String: Any] }

    /// `nil` becomes JSON `null`.
    static func orNull(_ v: Any?) -> Any { v ?? NSNull() }

    /// Percent-decodes one path segment.
    static func decode(_ s: Substring) -> String { String(s).removingPercentEncoding ?? String(s) }
}
