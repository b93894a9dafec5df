import Foundation

/// A request handler. It answers through the responder, synchronously or later.
/// It runs on a libmicrohttpd worker thread: it must not block for long and must never
/// wait on Swift concurrency; hand slow work elsewhere and answer when it is done.
public typealias HTTPHandler = @Sendable (HTTPRequest, HTTPResponder) -> Void

/// Method + path routing with `{name}` segments. Unknown paths answer 404, a known path with
/// another method 405 (with `Allow`), both as JSON errors.
public struct Router: Sendable {
    struct Route: Sendable {
        let method: String
        let pattern: String
        let segments: [Segment]
        let handler: HTTPHandler
    }

    enum Segment: Sendable, Equatable {
        case literal(String)
        case parameter(String)
    }

    private var routes: [Route] = []
    /// Routes without `{name}` segments by method and exact path, when no earlier route takes the
    /// same requests: the webhook doors resolve without splitting the path.
    private var literal: [String: [String: Int]] = [:]

    public init() {}

    public mutating func add(_ method: String, _ pattern: String, _ handler: @escaping HTTPHandler) {
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
        routes.append(Route(method: upper, pattern: pattern, segments: segments, handler: handler))
    }

    public mutating func get(_ pattern: String, _ handler: @escaping HTTPHandler) { add("GET", pattern, handler) }
    public mutating func post(_ pattern: String, _ handler: @escaping HTTPHandler) { add("POST", pattern, handler) }

    public enum Resolution: Sendable {
        case found(HTTPHandler, pattern: String, parameters: [String: String])
        case methodNotAllowed(allowed: [String])
        case notFound
    }

    public func resolve(method: String, path: String) -> Resolution {
        if let index = literal[method]?[path] {
            return .found(routes[index].handler, pattern: routes[index].pattern, parameters: [:])
        }
        let parts = Self.split(path)
        var allowed: [String] = []
        for route in routes {
            guard let params = Self.match(route.segments, parts) else { continue }
            if route.method == method || (method == "HEAD" && route.method == "GET") {
                return .found(route.handler, pattern: route.pattern, parameters: params)
            }
            if !allowed.contains(route.method) { allowed.append(route.method) }
        }
        return allowed.isEmpty ? .notFound : .methodNotAllowed(allowed: allowed)
    }

    /// Every route as (method, pattern), in registration order.
    public var routeList: [(method: String, pattern: String)] { routes.map { ($0.method, $0.pattern) } }

    /// Resolves and runs the handler, or answers 404/405. Returns the matched route pattern
    /// (`"unmatched"` when none).
    @discardableResult
    public func dispatch(_ request: HTTPRequest, _ responder: HTTPResponder) -> String {
        switch resolve(method: request.method, path: request.path) {
        case .found(let handler, let pattern, let parameters):
            var routed = request
            routed.pathParameters = parameters
            routed.routePattern = pattern
            handler(routed, responder)
            return pattern
        case .methodNotAllowed(let allowed):
            responder.respond(
                .error(
                    405, "method_not_allowed", "\(request.method) is not allowed on \(request.path)",
                    headers: [("Allow", allowed.joined(separator: ", "))]))
        case .notFound:
            responder.respond(.error(404, "not_found", "no such path: \(request.path)"))
        }
        return "unmatched"
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
