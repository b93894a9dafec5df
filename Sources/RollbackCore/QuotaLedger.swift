import Foundation

/// The quotas of SPEC 12 as a value the shell persists and shares between applications:
/// at most 10 attempts in flight, 5 attempts per app per day, 10 PRs and 5 merges per
/// repository per hour. Times are injected; nothing here reads a clock.
public struct QuotaLedger: Sendable, Equatable, Codable {
    /// Open attempts: correlationId -> app.
    public private(set) var inFlight: [String: String] = [:]
    public private(set) var attemptStarts: [String: [Date]] = [:]
    public private(set) var pullRequests: [String: [Date]] = [:]
    public private(set) var merges: [String: [Date]] = [:]

    public init() {}

    /// Something the core wants to do that a quota limits.
    public enum Request: Sendable, Equatable {
        case startAttempt(app: String)
        case openPullRequest(repository: String)
        case merge(repository: String)
    }

    /// A usage to record once the step that asked for it is committed.
    public enum Usage: Sendable, Equatable, Codable {
        case attemptStarted(app: String, correlationId: String)
        case attemptEnded(correlationId: String)
        case pullRequestOpened(repository: String)
        case merged(repository: String)
    }

    public enum Verdict: Sendable, Equatable {
        case allowed
        case exceeded(String)
        public var isAllowed: Bool { self == .allowed }
    }

    /// Whether `request` fits the quotas at `now`.
    public func check(_ request: Request, now: Date, configuration: RollbackConfiguration) -> Verdict {
        func count(_ dates: [Date]?, within window: Double) -> Int {
            let from = now.addingTimeInterval(-window)
            return dates?.reduce(0) { $0 + ($1 > from ? 1 : 0) } ?? 0
        }
        switch request {
        case .startAttempt(let app):
            if inFlight.count >= configuration.maxAttemptsInFlight {
                return .exceeded(
                    "\(inFlight.count) attempts are in flight (limit \(configuration.maxAttemptsInFlight))")
            }
            let startsToday = count(attemptStarts[app], within: 86400)
            if startsToday >= configuration.maxAttemptsPerAppPerDay {
                return .exceeded(
                    "\(app) had \(startsToday) attempts in the last 24 hours (limit \(configuration.maxAttemptsPerAppPerDay))"
                )
            }
        case .openPullRequest(let repo):
            let openedLastHour = count(pullRequests[repo], within: 3600)
            if openedLastHour >= configuration.maxPRsPerRepoPerHour {
                return .exceeded(
                    "\(openedLastHour) PRs were opened in \(repo) in the last hour (limit \(configuration.maxPRsPerRepoPerHour))"
                )
            }
        case .merge(let repo):
            let mergedLastHour = count(merges[repo], within: 3600)
            if mergedLastHour >= configuration.maxMergesPerRepoPerHour {
                return .exceeded(
                    "\(mergedLastHour) merges were made in \(repo) in the last hour (limit \(configuration.maxMergesPerRepoPerHour))"
                )
            }
        }
        return .allowed
    }

    /// Records a usage at `now` and forgets entries older than a day.
    public mutating func record(_ usage: Usage, now: Date) {
        switch usage {
        case .attemptStarted(let app, let id):
            inFlight[id] = app
            attemptStarts[app, default: []].append(now)
        case .attemptEnded(let id):
            inFlight[id] = nil
        case .pullRequestOpened(let repo):
            pullRequests[repo, default: []].append(now)
        case .merged(let repo):
            merges[repo, default: []].append(now)
        }
        prune(now: now)
    }

    /// Drops entries no quota can count any more.
    public mutating func prune(now: Date) {
        let day = now.addingTimeInterval(-86400)
        let hour = now.addingTimeInterval(-3600)
        attemptStarts = attemptStarts.compactMapValues { dates in
            let kept = dates.filter { $0 > day }
            return kept.isEmpty ? nil : kept
        }
        pullRequests = pullRequests.compactMapValues { dates in
            let kept = dates.filter { $0 > hour }
            return kept.isEmpty ? nil : kept
        }
        merges = merges.compactMapValues { dates in
            let kept = dates.filter { $0 > hour }
            return kept.isEmpty ? nil : kept
        }
    }
}
