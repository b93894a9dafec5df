import Foundation
import HTTPServer

/// GitHub's error answers: the `{message, documentation_url, status}` body, 422 validation
/// failures, and the answers to injected faults (5xx, primary and secondary rate limits).
extension GitHubSimulator {
    static let docs = "https://docs.github.com/rest"

    static func ghError(
        _ status: Int, _ message: String, errors: [[String: Any]]? = nil, docs: String = docs,
        headers: [(String, String)] = []
    ) -> HTTPResponse {
        var body: [String: Any] = ["message": message, "documentation_url": docs, "status": String(status)]
        if let errors { body["errors"] = errors }
        return SimJSON.response(status, body, headers: headers)
    }

    static func validation(_ resource: String, field: String? = nil, code: String, message: String? = nil)
        -> HTTPResponse
    {
        var error: [String: Any] = ["resource": resource, "code": code]
        if let field { error["field"] = field }
        if let message { error["message"] = message }
        return ghError(
            422, "Validation Failed", errors: [error],
            docs: "https://docs.github.com/rest/pulls/pulls#create-a-pull-request")
    }

    static let notFound = ghError(404, "Not Found")

    func ghFault(_ action: FaultAction, _ request: HTTPRequest) -> HTTPResponse {
        switch action {
        case .status(let code):
            let msg =
                [
                    500: "Server Error", 502: "Server Error", 503: "Service Unavailable",
                    504:
                        "We couldn't respond to your request in time. Sorry about that. Please try resubmitting your request and contact us if the problem persists.",
                ][code] ?? "Error \(code)"
            return Self.ghError(code, msg)
        case .rateLimit(let status, let retryAfter, let resetIn):
            var headers: [(String, String)] = []
            if let retryAfter { headers.append(("retry-after", String(retryAfter))) }
            if let resetIn {
                let limit = withState { rateLimit.limit }
                headers += [
                    ("x-ratelimit-limit", String(limit)), ("x-ratelimit-remaining", "0"),
                    ("x-ratelimit-used", String(limit)),
                    ("x-ratelimit-reset", String(Int(Date().timeIntervalSince1970) + resetIn)),
                ]
            }
            let message =
                resetIn != nil && retryAfter == nil
                ? "API rate limit exceeded for installation ID \(withState { installationIDValue })."
                : "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
            return Self.ghError(
                status, message, docs: "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api",
                headers: headers)
        case .unauthorized: return Self.ghError(401, "Bad credentials")
        case .delay, .drop, .stall: return .dropConnection
        }
    }
}
