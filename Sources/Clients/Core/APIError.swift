/// The error codes of SPEC section 12, plus `UNAUTHORIZED`, which clients handle internally
/// (refresh the credential and retry once) and surface as `PERMISSION_DENIED`.
public enum APIErrorCode: String, Sendable, Codable, CaseIterable {
    case notFound = "NOT_FOUND"
    case permissionDenied = "PERMISSION_DENIED"
    case conflict = "CONFLICT"
    case baseShaMismatch = "BASE_SHA_MISMATCH"
    case notMergeable = "NOT_MERGEABLE"
    case alreadyMerged = "ALREADY_MERGED"
    case ciPending = "CI_PENDING"
    case rateLimitExceeded = "RATE_LIMIT_EXCEEDED"
    case networkError = "NETWORK_ERROR"
    case validationError = "VALIDATION_ERROR"
    case unauthorized = "UNAUTHORIZED"
}

/// A failed external call, after retries. `message` has every known secret removed.
public struct APIError: Error, Sendable, Equatable, CustomStringConvertible {
    public let code: APIErrorCode
    /// The call name, e.g. `github.mergePullRequest`.
    public let call: String
    /// The HTTP status of the last answer, nil when there was none.
    public let status: Int?
    public let message: String

    public init(code: APIErrorCode, call: String, status: Int? = nil, message: String) {
        self.code = code
        self.call = call
        self.status = status
        self.message = message
    }

    public var description: String {
        "\(call) failed: \(code.rawValue)" + (status.map { " (HTTP \($0))" } ?? "")
            + (message.isEmpty ? "" : ": \(message)")
    }
}

/// How one service classifies an answer that is not a success.
struct FailureClass: Sendable {
    var code: APIErrorCode
    var message: String
}
