import Foundation

/// A request handler. It answers through the responder, synchronously or later.
/// It runs on a libmicrohttpd worker thread: it must not block for long and must never
/// wait on Swift concurrency; hand slow work elsewhere and answer when it is done.
public typealias HTTPHandler = @Sendable (HTTPRequest, HTTPResponder) -> Void

/// Method + path routing with `{name}` segments. Unknown paths answer 404, a known path with
/// another method 405 (with `Allow`), both as JSON errors, before any body byte is read.
public struct Router: Sendable {
    struct Route: Sendable {
        let method: String
        let pattern: String
        let segments: [Segment]
        let options: RouteOptions
        let handler: HTTPHandler
    }

    enum Segment: Sendable, Equatable {
        case literal(String)
        case parameter(String)
    }

    /// What a request resolved to: its route, or no route (the answer is 404 or 405).
    enum Lookup {
        case found(Route, parameters: [String: String])
        case methodNotAllowed(allowed: [String])
        case notFound
    }

    private var routes: [Route] = []
    /// Routes without `{name}` segments by method and exact path, when no earlier route takes the
    /// same requests: the webhook doors resolve without splitting the path.
    private var literal: [String: [String: Int]] = [:]

    public init() {}

    public mutating func add(
        _ method: String, _ pattern: String, options: RouteOptions = RouteOptions(),
        _ handler: @escaping HTTPHandler
    ) {
        let segments = Self.split(pattern).map { part -> Segment in
            if part.hasPrefix("{"), part.hasSuffix("}") { return .parameter(String(part.dropFirst().dropLast())) }
            return .literal(String(part))
        }
        let upper = method.uppercased()
        let names = segments.compactMap { if case .literal(let name) = $0 { Substring(name) } else { nil } }
        if names.count == segments.count,
            !routes.contains(where: { $0.method == upper && Self.match($0.segments, names) != nil })
        {
            let path = "/" + names.joined(separator: "/")
            if literal[upper]?[path] == nil { literal[upper, default: [:]][path] = routes.count }
        }
        routes.append(Route(method: upper, pattern: pattern, segments: segments, options: options, handler: handler))
    }

    public mutating func get(
        _ pattern: String, options: RouteOptions = RouteOptions(), _ handler: @escaping HTTPHandler
    ) {
        add("GET", pattern, options: options, handler)
    }

    public mutating func post(
        _ pattern: String, options: RouteOptions = RouteOptions(), _ handler: @escaping HTTPHandler
    ) {
        add("POST", pattern, options: options, handler)
    }

    public enum Resolution: Sendable {
        case found(HTTPHandler, pattern: String, parameters: [String: String])
        case methodNotAllowed(allowed: [String])
        case notFound
    }

    public func resolve(method: String, path: String) -> Resolution {
        switch lookup(method: method, path: path) {
        case .found(let route, let parameters):
            return .found(route.handler, pattern: route.pattern, parameters: parameters)
        case .methodNotAllowed(let allowed): return .methodNotAllowed(allowed: allowed)
        case .notFound: return .notFound
        }
    }

    func lookup(method: String, path: String) -> Lookup {
        if let index = literal[method]?[path] { return .found(routes[index], parameters: [:]) }
        let parts = Self.split(path)
        var allowed: [String] = []
        for route in routes {
            guard let params = Self.match(route.segments, parts) else { continue }
            if route.method == method || (method == "HEAD" && route.method == "GET") {
                return .found(route, parameters: params)
            }
            if !allowed.contains(route.method) { allowed.append(route.method) }
        }
        return allowed.isEmpty ? .notFound : .methodNotAllowed(allowed: allowed)
    }

    /// The answer to a request no route takes (404 or 405), or nil when one does.
    static func refusal(_ lookup: Lookup, method: String, path: String) -> HTTPResponse? {
        switch lookup {
        case .found: return nil
        case .methodNotAllowed(let allowed):
            return .error(
                405, "method_not_allowed", "\(method) is not allowed on \(path)",
                headers: [("Allow", allowed.joined(separator: ", "))])
        case .notFound:
            return .error(404, "not_found", "no such path: \(path)")
        }
    }

    /// Every route as (method, pattern), in registration order.
    public var routeList: [(method: String, pattern: String)] { routes.map { ($0.method, $0.pattern) } }

    /// Resolves and runs the handler, or answers 404/405. Returns the matched route pattern
    /// (`"unmatched"` when none).
    @discardableResult
    public func dispatch(_ request: HTTPRequest, _ responder: HTTPResponder) -> String {
        let found = lookup(method: request.method, path: request.path)
        guard case .found(let route, let parameters) = found else {
            if let refusal = Self.refusal(found, method: request.method, path: request.path) {
                responder.respond(refusal)
            }
            return "unmatched"
        }
        var routed = request
        routed.pathParameters = parameters
        routed.routePattern = route.pattern
        route.handler(routed, responder)
        return route.pattern
    }

    static func split(_ path: String) -> [Substring] {
        path.split(separator: "/", omittingEmptySubsequences: true)
    }

    static func match(_ segments: [Segment], _ parts: [Substring]) -> [String: String]? {
        guard segments.count == parts.count else { return nil }
        var params: [String: String] = [:]
        for (segment, part) in zip(segments, parts) {
            switch segment {
            case .literal(let text): if text != part { return nil }
            case .parameter(let name):
                guard let decoded = String(part).removingPercentEncoding, !decoded.isEmpty else { return nil }
                params[name] = decoded
            }
        }
        return params
    }
}
