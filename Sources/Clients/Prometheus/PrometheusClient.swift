import Foundation

/// The answer of an instant query: a value, "no data" (no series matched), or Prometheus
/// could not answer. "No data" and "unreachable" are never confused with 0.
public enum PrometheusResult: Sendable, Equatable {
    case value(Double)
    case noData
    case unreachable(String)
}

/// Prometheus HTTP API client (instant queries).
public final class PrometheusClient: Sendable {
    public let baseURL: String
    private let context: ClientContext
    private let token: Secret?

    public init(baseURL: String, token: Secret? = nil, context: ClientContext) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.context = context
        self.token = token
        if let token { context.redactor.add(token) }
    }

    /// `GET /api/v1/query?query=&time=`. The first sample of the vector (or the scalar) is the
    /// value; an empty vector is `.noData`; a network failure (after retries), an error
    /// envelope or an unexpected answer is `.unreachable`.
    public func instantQuery(_ query: String, at time: Date? = nil) async -> PrometheusResult {
        let path = URLPath("/api/v1/query").query("query", query)
            .query("time", time.map { String(format: "%.3f", $0.timeIntervalSince1970) })
        let target = Result(catching: { [baseURL] in baseURL + (try path.resolved(call: "prometheus.query")) })
        let userAgent = context.userAgent
        let token = self.token
        do {
            return try await context.perform(
                CallDescription<PrometheusResult>(
                    name: "prometheus.query",
                    parameters: ["query": query, "time": time.map(ClientJSON.timestamp) ?? ""],
                    request: {
                        var headers = [("Accept", "application/json"), ("User-Agent", userAgent)]
                        if let token { headers.append(("Authorization", "Bearer \(token.value)")) }
                        return OutboundRequest(method: "GET", url: try target.get(), headers: headers)
                    },
                    classify: { response in
                        guard var failure = ServiceClassifier.classify(response) else { return nil }
                        if let object = (try? JSONSerialization.jsonObject(with: Data(response.body)))
                            as? [String: Any],
                            let type = object["errorType"] as? String
                        {
                            failure.message = "HTTP \(response.status): \(type): \(object["error"] as? String ?? "")"
                            // A timeout or an unavailable engine is transient; a bad query is not.
                            if type == "timeout" || type == "unavailable" { failure.code = .networkError }
                        }
                        return failure
                    },
                    decode: { try Self.parse($0.body) },
                    summarize: { result, _ in
                        switch result {
                        case .value(let value): return "value \(value)"
                        case .noData: return "no data"
                        case .unreachable(let message): return message
                        }
                    }))
        } catch let apiError as APIError {
            return .unreachable(apiError.description)
        } catch {
            return .unreachable("\(error)")
        }
    }

    static func parse(_ body: [UInt8]) throws -> PrometheusResult {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] else {
            throw APIError(code: .validationError, call: "", message: "not a Prometheus answer")
        }
        guard object["status"] as? String == "success", let data = object["data"] as? [String: Any] else {
            throw APIError(
                code: .validationError, call: "",
                message: "error envelope: \(object["errorType"] as? String ?? "?"): \(object["error"] as? String ?? "")"
            )
        }
        func sample(_ pair: Any?) throws -> Double {
            guard let values = pair as? [Any], values.count == 2, let text = values[1] as? String,
                let number = Double(text)
            else {
                throw APIError(code: .validationError, call: "", message: "malformed sample")
            }
            return number
        }
        switch data["resultType"] as? String {
        case "vector":
            guard let result = data["result"] as? [[String: Any]] else {
                throw APIError(code: .validationError, call: "", message: "malformed vector")
            }
            guard let first = result.first else { return .noData }
            return .value(try sample(first["value"]))
        case "scalar":
            return .value(try sample(data["result"]))
        default:
            throw APIError(
                code: .validationError, call: "",
                message: "unexpected result type \(data["resultType"] as? String ?? "?")")
        }
    }
}
