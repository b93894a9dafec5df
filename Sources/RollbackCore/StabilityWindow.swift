import Foundation

/// The stability analyzer of one application (SPEC 4): counts consecutive degraded checks,
/// tracks how long the app has been healthy, skips an app whose Argo CD reads keep failing,
/// and opens one alert episode for `Missing`/`Unknown` health or an unreachable Argo CD.
public struct StabilityWindow: Sendable, Equatable, Codable {
    /// How many recent checks are kept for display and for an attempt's history.
    public static let kept = 10

    public private(set) var recent: [HealthCheckRecord] = []
    public private(set) var consecutiveDegraded = 0
    public private(set) var consecutiveReadFailures = 0
    /// While set and in the future, observations are dropped (`ARGOCD_SKIP_SEC`).
    public private(set) var skipUntil: Date?
    /// Start of the current continuous healthy streak.
    public private(set) var healthySince: Date?
    /// The open alert episode outside an attempt, if any.
    public private(set) var episode: AlertEpisode?

    public init() {}

    /// One alert episode: a single escalation issue until the condition has been gone for
    /// `HEALTH_RESTORATION_DURATION` (SPEC 11).
    public struct AlertEpisode: Sendable, Equatable, Codable {
        public var code: ReasonCode
        public var openedAt: Date
        public var clearSince: Date?
    }

    /// What one recorded observation means.
    public struct Verdict: Sendable, Equatable {
        /// The app is in its skip period: the observation was dropped, nothing changed.
        public var skipped = false
        public var readFailed = false
        public var degraded = false
        /// The last `DEGRADATION_PERSISTENCE_CHECKS` checks were all degraded.
        public var persistent = false
        /// This check started a new degraded streak (`degradation.detected`).
        public var firstDegraded = false
        /// Seconds the app has been continuously healthy, `nil` when not healthy now.
        public var healthyFor: Double?
        /// The Kubernetes read failed: Argo CD health alone was used (log a warning).
        public var kubernetesReadFailed = false
        /// An alert episode opened (escalate once) or closed (close its issue).
        public var episodeOpened: ReasonCode?
        public var episodeClosed: ReasonCode?
        /// The app has just been put in its skip period.
        public var startedSkip = false
    }

    /// Records one check made at `now`.
    public mutating func record(
        _ observation: HealthObservation, at now: Date,
        configuration: RollbackConfiguration
    ) -> Verdict {
        var verdict = Verdict()
        if let until = skipUntil {
            if now < until {
                verdict.skipped = true
                return verdict
            }
            skipUntil = nil
        }
        var record = HealthCheckRecord(at: now, observation: observation)
        if let previous = recent.last { record.observation.shareStrings(with: previous.observation) }
        // A new array of exactly the size kept (appending to the shared one would copy it with
        // room to grow): thousands of apps each keep one.
        var next: [HealthCheckRecord] = []
        next.reserveCapacity(min(recent.count + 1, Self.kept))
        next.append(contentsOf: recent.suffix(Self.kept - 1))
        next.append(record)
        recent = next

        if observation.argoReadFailed {
            // Fail safe: a failed read is never degraded and breaks any streak.
            verdict.readFailed = true
            consecutiveReadFailures += 1
            consecutiveDegraded = 0
            healthySince = nil
            if consecutiveReadFailures >= configuration.argoFailuresBeforeSkip {
                skipUntil = now.addingTimeInterval(configuration.argoSkip)
                verdict.startedSkip = true
                openEpisode(.argocdUnreachable, at: now, verdict: &verdict)
            } else if let current = episode, current.code == .argocdUnreachable {
                episode?.clearSince = nil
            }
            return verdict
        }
        consecutiveReadFailures = 0
        verdict.kubernetesReadFailed = observation.replicas == nil && observation.kubernetesNotRead != true

        if record.degraded {
            consecutiveDegraded += 1
            verdict.degraded = true
            verdict.firstDegraded = consecutiveDegraded == 1
        } else {
            consecutiveDegraded = 0
        }
        verdict.persistent = consecutiveDegraded >= configuration.persistenceChecks

        if observation.isHealthy {
            if healthySince == nil { healthySince = now }
            verdict.healthyFor = now.timeIntervalSince(healthySince!)
        } else {
            healthySince = nil
        }

        switch observation.health {
        case .missing: openEpisode(.healthMissing, at: now, verdict: &verdict)
        case .unknown: openEpisode(.healthUnknown, at: now, verdict: &verdict)
        default:
            if var clearing = episode {
                let since = clearing.clearSince ?? now
                if now.timeIntervalSince(since) >= configuration.healthRestorationDuration {
                    verdict.episodeClosed = clearing.code
                    episode = nil
                } else {
                    clearing.clearSince = since
                    episode = clearing
                }
            }
        }
        return verdict
    }

    private mutating func openEpisode(_ code: ReasonCode, at now: Date, verdict: inout Verdict) {
        if episode == nil {
            episode = AlertEpisode(code: code, openedAt: now, clearSince: nil)
            verdict.episodeOpened = code
        } else {
            episode?.clearSince = nil
        }
    }

    /// The last `count` checks, oldest first.
    public func lastChecks(_ count: Int) -> [HealthCheckRecord] { Array(recent.suffix(count)) }
}
