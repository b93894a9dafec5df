import Foundation

/// SPEC section 12: `NETWORK_ERROR` (and 5xx) retried with 1 s, 2 s, 4 s backoff;
/// `RATE_LIMIT_EXCEEDED` waits for the reset the API gives, then tries once more, provided
/// the wait is at most `maxRateLimitWait` (a longer one fails at once: the engine escalates).
public struct RetryPolicy: Sendable {
    public var networkBackoff: [Duration]
    public var maxRateLimitWait: Duration
    /// Wait for a secondary rate limit that names no reset time (GitHub advises ≥ 60 s).
    public var defaultRateLimitWait: Duration

    public init(
        networkBackoff: [Duration] = [.seconds(1), .seconds(2), .seconds(4)],
        maxRateLimitWait: Duration = .seconds(300),
        defaultRateLimitWait: Duration = .seconds(60)
    ) {
        self.networkBackoff = networkBackoff
        self.maxRateLimitWait = maxRateLimitWait
        self.defaultRateLimitWait = defaultRateLimitWait
    }

    /// The wait a rate-limited answer asks for: `retry-after` seconds, else the time until
    /// `x-ratelimit-reset` when `x-ratelimit-remaining` is 0, else the default.
    func rateLimitWait(_ response: OutboundResponse, now: Date) -> Duration {
        if let retryAfter = response.header("retry-after")?.trimmingCharacters(in: .whitespaces),
            let seconds = Double(retryAfter)
        {
            return .milliseconds(Int64(max(0, seconds) * 1000))
        }
        if response.header("x-ratelimit-remaining") == "0",
            let reset = response.header("x-ratelimit-reset").flatMap({ Double($0.trimmingCharacters(in: .whitespaces)) }
            )
        {
            let seconds = max(0, (reset - now.timeIntervalSince1970).rounded(.up))
            return .seconds(Int64(seconds))
        }
        return defaultRateLimitWait
    }
}
