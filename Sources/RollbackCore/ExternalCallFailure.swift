/// The error codes of SPEC 12.
public enum ExternalErrorCode: String, Sendable, Equatable, Codable, CaseIterable {
    case notFound = "NOT_FOUND"
    case permissionDenied = "PERMISSION_DENIED"
    case conflict = "CONFLICT"
    case baseSHAMismatch = "BASE_SHA_MISMATCH"
    case notMergeable = "NOT_MERGEABLE"
    case alreadyMerged = "ALREADY_MERGED"
    case ciPending = "CI_PENDING"
    case rateLimitExceeded = "RATE_LIMIT_EXCEEDED"
    case networkError = "NETWORK_ERROR"
    case validationError = "VALIDATION_ERROR"

    /// `NETWORK_ERROR`, `RATE_LIMIT_EXCEEDED` and `BASE_SHA_MISMATCH` are retried (SPEC 12).
    public var isRetryable: Bool { self == .networkError || self == .rateLimitExceeded || self == .baseSHAMismatch }

    /// The escalation code for a call that failed for good.
    public var escalationCode: ReasonCode {
        switch self {
        case .permissionDenied: .permissionDenied
        case .rateLimitExceeded: .rateLimited
        case .notMergeable, .conflict: .notMergeable
        default: .prCreationFailed
        }
    }
}

/// A failed external call, after the effect runner's retries.
public struct ExternalCallFailure: Sendable, Equatable, Codable {
    public var code: ExternalErrorCode
    public var message: String
    /// The retries the SPEC allows for this code were all used.
    public var retriesExhausted: Bool
    public init(code: ExternalErrorCode, message: String, retriesExhausted: Bool) {
        self.code = code
        self.message = message
        self.retriesExhausted = retriesExhausted
    }
}
