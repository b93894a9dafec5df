import Foundation

/// The primary rate-limit budget from `x-ratelimit-*` headers: exported as a gauge, with a
/// warning hook fired when the remaining budget drops below the threshold (SPEC: 1000).
public final class RateLimitMonitor: @unchecked Sendable {
    // Safe: mutable fields are guarded by `lock`.
    public struct Budget: Sendable, Equatable {
        public var limit: Int?
        public var remaining: Int
        public var resetAt: Date?
        public var resource: String?
    }

    public let warningThreshold: Int
    private let lock = NSLock()
    private var latest: Budget?
    private var warned = false
    private let onWarning: (@Sendable (Budget) -> Void)?

    public init(warningThreshold: Int = 1000, onWarning: (@Sendable (Budget) -> Void)? = nil) {
        self.warningThreshold = warningThreshold
        self.onWarning = onWarning
    }

    /// The last budget GitHub reported (nil before the first answer).
    public var budget: Budget? {
        lock.lock()
        defer { lock.unlock() }
        return latest
    }
    public var remaining: Int? { budget?.remaining }

    func observe(_ response: OutboundResponse) {
        guard
            let remaining = response.header("x-ratelimit-remaining").flatMap({
                Int($0.trimmingCharacters(in: .whitespaces))
            })
        else { return }
        let budget = Budget(
            limit: response.header("x-ratelimit-limit").flatMap { Int($0) },
            remaining: remaining,
            resetAt: response.header("x-ratelimit-reset").flatMap { Double($0) }.map {
                Date(timeIntervalSince1970: $0)
            },
            resource: response.header("x-ratelimit-resource"))
        lock.lock()
        latest = budget
        var fire = false
        if remaining < warningThreshold {
            if !warned {
                warned = true
                fire = true
            }
        } else {
            warned = false
        }
        lock.unlock()
        if fire { onWarning?(budget) }
    }
}
