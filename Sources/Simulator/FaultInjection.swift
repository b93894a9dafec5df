import Foundation

// Fault injection, shared by every simulator: what a fault does to a request, which requests a
// rule matches (and how many times), and the rules and latency of one simulator.

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

    func matches(method requestMethod: String, path requestPath: String) -> Bool {
        if method != "*" && method != requestMethod && !(method == "GET" && requestMethod == "HEAD") { return false }
        return Self.match(pattern: path, path: requestPath)
    }

    static func match(pattern: String, path: String) -> Bool {
        if !pattern.contains("*") {
            let pat = pattern.hasSuffix("/") && pattern.count > 1 ? String(pattern.dropLast()) : pattern
            return path == pat || path.hasPrefix(pat == "/" ? "/" : pat + "/")
        }
        let patternSegments = pattern.split(separator: "/", omittingEmptySubsequences: true)
        let pathSegments = path.split(separator: "/", omittingEmptySubsequences: true)
        if let last = patternSegments.last, last != "*", last != "**", last.hasSuffix("*"),
            !last.dropLast().contains("*")
        {
            // A plain prefix such as `/api/v1/appl*` (only when the other segments have no star).
            if !patternSegments.dropLast().contains(where: { $0.contains("*") }) {
                return path.hasPrefix(String(pattern.dropLast()))
            }
        }
        var pathIndex = 0
        for (patternIndex, segment) in patternSegments.enumerated() {
            if segment == "**" && patternIndex == patternSegments.count - 1 { return true }
            guard pathIndex < pathSegments.count else { return false }
            if segment != "*" && segment != pathSegments[pathIndex] { return false }
            pathIndex += 1
        }
        return pathIndex == pathSegments.count
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
        guard let index = rules.firstIndex(where: { $0.matches(method: method, path: path) && ($0.remaining ?? 1) > 0 })
        else { return nil }
        let action = rules[index].action
        if let remaining = rules[index].remaining {
            if remaining <= 1 { rules.remove(at: index) } else { rules[index].remaining = remaining - 1 }
        }
        return action
    }
}
