import Foundation
import HTTPServer

/// A Prometheus HTTP API with scripted series: `GET|POST /api/v1/query`.
///
/// Recognised queries: any PromQL whose first selector is `metric{label="value",...}`,
/// optionally wrapped in a function with a range (e.g.
/// `avg_over_time(up{app="checkout",revision="<sha>"}[24h])`). The answer is an instant vector
/// of every scripted series of that metric whose labels include the selector's labels, the
/// value being the scripted one (a JSON string), at the query `time` (or now). No series: `[]`.
/// Exact query strings can also be scripted with `setResult(query:value:)`.
public final class PrometheusSimulator: SimulatedService, @unchecked Sendable {
    public enum Mode: Sendable {
        case normal
        /// Every connection is dropped without an answer.
        case unreachable
        /// Every query answers the error envelope with this HTTP status and `errorType`.
        case error(status: Int, errorType: String, message: String)
    }

    struct Series {
        var metric: String
        var labels: [String: String]
        var value: String
    }

    // Safe: all mutable state is guarded by `lock`.
    private let lock = NSLock()
    private var series: [Series] = []
    private var exact: [String: [Series]] = [:]
    private var modeValue: Mode = .normal
    private var queriesSeen: [(query: String, time: String?)] = []

    public var mode: Mode {
        get {
            lock.lock()
            defer { lock.unlock() }
            return modeValue
        }
        set {
            lock.lock()
            modeValue = newValue
            lock.unlock()
        }
    }

    /// `avg_over_time(up{app=<app>,revision=<revision>}[...])` answers `value`.
    public func setUptime(app: String, revision: String, value: Double) {
        setSeries(metric: "up", labels: ["app": app, "revision": revision], value: value)
    }

    public func removeUptime(app: String, revision: String) {
        lock.lock()
        series.removeAll { $0.metric == "up" && $0.labels["app"] == app && $0.labels["revision"] == revision }
        lock.unlock()
    }

    /// Adds or replaces the series with exactly these labels. Values may be NaN or infinite.
    public func setSeries(metric: String, labels: [String: String], value: Double) {
        let formatted = Self.format(value)
        lock.lock()
        if let index = series.firstIndex(where: { $0.metric == metric && $0.labels == labels }) {
            series[index].value = formatted
        } else {
            series.append(Series(metric: metric, labels: labels, value: formatted))
        }
        lock.unlock()
    }

    /// An exact query string answers these samples (labels, value); `[]` for "no data".
    public func setResult(query: String, samples: [([String: String], Double)]) {
        lock.lock()
        exact[query] = samples.map { Series(metric: $0.0["__name__"] ?? "", labels: $0.0, value: Self.format($0.1)) }
        lock.unlock()
    }

    public func clearSeries() {
        lock.lock()
        series = []
        exact = [:]
        lock.unlock()
    }

    /// The queries received (PromQL text and the `time` parameter), oldest first.
    public var queries: [(query: String, time: String?)] {
        lock.lock()
        defer { lock.unlock() }
        return queriesSeen
    }

    static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int(value)) }
        return String(value)
    }

    public override func handle(_ request: HTTPRequest) -> HTTPResponse {
        if case .unreachable = mode { return .dropConnection }
        guard request.path == "/api/v1/query" else {
            if request.path.hasPrefix("/api/v1/") { return Self.error(404, "not_found", "unknown API endpoint") }
            return .text(404, "404 page not found\n")
        }
        guard request.method == "GET" || request.method == "POST" || request.method == "HEAD" else {
            return .text(405, "Method Not Allowed\n")
        }
        var params = request.query
        if request.method == "POST" {
            for pair in String(decoding: request.body, as: UTF8.self).split(separator: "&") {
                let kv = pair.split(separator: "=", maxSplits: 1)
                let name =
                    String(kv[0]).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(kv[0])
                let value =
                    kv.count > 1
                    ? (String(kv[1]).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? "") : ""
                params[name] = value
            }
        }
        guard let query = params["query"], !query.isEmpty else {
            return Self.error(
                400, "bad_data",
                "invalid parameter \"query\": unknown position: parse error: no expression found in input")
        }
        let timeText = params["time"]
        var at = Date().timeIntervalSince1970
        if let text = timeText, !text.isEmpty {
            if let seconds = Double(text) {
                at = seconds
            } else if let date = Timestamp.parse(text) {
                at = date.timeIntervalSince1970
            } else {
                return Self.error(
                    400, "bad_data", "invalid parameter \"time\": cannot parse \"\(text)\" to a valid timestamp")
            }
        }
        lock.lock()
        queriesSeen.append((query, timeText))
        let mode = modeValue
        let exactHit = exact[query]
        let all = series
        lock.unlock()
        if case .error(let status, let errorType, let message) = mode { return Self.error(status, errorType, message) }
        let matched: [Series]
        if let exactHit {
            matched = exactHit
        } else {
            guard let (metric, labels) = Self.selector(query) else {
                return Self.error(400, "bad_data", "invalid parameter \"query\": 1:1: parse error: unexpected input")
            }
            matched = all.filter { candidate in
                candidate.metric == metric && labels.allSatisfy { candidate.labels[$0.key] == $0.value }
            }
        }
        let wrapped = query.contains("(")
        let result: [Any] = matched.map { sample in
            var metric = sample.labels
            if !wrapped && !sample.metric.isEmpty { metric["__name__"] = sample.metric }
            return ["metric": metric, "value": [at, sample.value]] as [String: Any]
        }
        return SimJSON.response(200, ["status": "success", "data": ["resultType": "vector", "result": result]])
    }

    /// The first `metric{k="v",...}` selector of a query.
    static func selector(_ query: String) -> (String, [String: String])? {
        guard let open = query.firstIndex(of: "{"), let close = query[open...].firstIndex(of: "}") else {
            let name = query.trimmingCharacters(in: .whitespaces)
            let ok = !name.isEmpty && name.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == ":" }
            return ok ? (name, [:]) : nil
        }
        var nameStart = open
        while nameStart > query.startIndex {
            let before = query.index(before: nameStart)
            let character = query[before]
            if character.isLetter || character.isNumber || character == "_" || character == ":" {
                nameStart = before
            } else {
                break
            }
        }
        let metric = String(query[nameStart..<open])
        var labels: [String: String] = [:]
        var rest = query[query.index(after: open)..<close]
        while !rest.isEmpty {
            rest = rest.drop { $0 == " " || $0 == "," }
            guard let eq = rest.firstIndex(of: "=") else { break }
            let key = rest[..<eq].trimmingCharacters(in: .whitespaces)
            var after = rest[rest.index(after: eq)...].drop { $0 == " " }
            guard after.first == "\"" else { return nil }
            after = after.dropFirst()
            guard let endQuote = after.firstIndex(of: "\"") else { return nil }
            labels[key] = String(after[..<endQuote])
            rest = after[after.index(after: endQuote)...]
        }
        return (metric, labels)
    }

    static func error(_ status: Int, _ type: String, _ message: String) -> HTTPResponse {
        SimJSON.response(status, ["status": "error", "errorType": type, "error": message])
    }

    public override func faultResponse(_ action: FaultAction, _ request: HTTPRequest) -> HTTPResponse {
        switch action {
        case .status(let code):
            return Self.error(code, code == 503 ? "unavailable" : "internal", "injected fault \(code)")
        case .rateLimit(let status, let retryAfter, _):
            var response = Self.error(status, "unavailable", "too many requests")
            if let retryAfter { response.headers.append(("Retry-After", String(retryAfter))) }
            return response
        case .unauthorized: return .text(401, "Unauthorized\n")
        case .delay, .drop, .stall: return .dropConnection
        }
    }
}
