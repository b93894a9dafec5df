import Foundation

/// The stability analyzer of one application (SPEC 4): counts consecutive degraded checks,
/// tracks how long the app has been healthy, skips an app whose Argo CD reads keep failing,
/// and opens one alert episode for `Missing`/`Unknown` health or an unreachable Argo CD.
///
/// Persistence means degraded checks `POLL_INTERVAL_SEC` apart (SPEC 1): an Argo CD
/// notification triggers an immediate check, and a burst of them must not confirm a degradation
/// in a second. Poller and notification checks reach `record` alike (both are `healthChecked`);
/// only the spacing decides whether a check counts.
public struct StabilityWindow: Sendable, Equatable, Codable {
    /// How many recent checks are kept for display and for an attempt's history.
    public static let kept = 10
    /// A check counts toward persistence when at least this fraction of `POLL_INTERVAL_SEC` has
    /// passed since the last check that counted. The poller starts its cycles an interval apart,
    /// so two of its checks of one app fall short of the interval only by how far the app's
    /// place in the cycle moved (list and Kubernetes read latency, the worker's queue): a tenth
    /// (1 s by default) covers that, while notification bursts (well under a second) never
    /// count, and three counted checks still span at least 1.8 intervals. A poller check that
    /// does fall short only delays persistence by one interval (the next one counts): the error
    /// is on the safe side.
    public static let spacingTolerance = 0.9

    /// One record per counted check, oldest first; the last one holds the newest check.
    public private(set) var recent: [HealthCheckRecord] = []
    public private(set) var consecutiveDegraded = 0
    public private(set) var consecutiveReadFailures = 0
    /// While set and in the future, observations are dropped (`ARGOCD_SKIP_SEC`).
    public private(set) var skipUntil: Date?
    /// Start of the current continuous healthy streak.
    public private(set) var healthySince: Date?
    /// The open alert episode outside an attempt, if any.
    public private(set) var episode: AlertEpisode?
    /// When the last check that counted toward persistence was made (`nil`: none yet, or a
    /// window stored before the spacing rule, whose next check then counts).
    public private(set) var lastCountedAt: Date?

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
        /// The check was spaced from the last counted one and counted toward persistence; a
        /// quicker check only refreshed the latest observation (and may reset the count).
        public var counted = false
        /// The last `DEGRADATION_PERSISTENCE_CHECKS` counted checks were all degraded, and so is
        /// this one.
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

    /// Records one check made at `now`: it counts toward persistence when spaced from the last
    /// counted one (`spacingTolerance`); a quicker one refreshes the latest record instead.
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
        let counts = isSpaced(now, configuration: configuration)
        verdict.counted = counts
        var record = HealthCheckRecord(at: now, observation: observation)
        if let previous = recent.last { record.observation.shareStrings(with: previous.observation) }
        if counts || recent.isEmpty {
            if counts { lastCountedAt = now }
            // A new array of exactly the size kept (appending to the shared one would copy it
            // with room to grow): thousands of apps each keep one.
            var next: [HealthCheckRecord] = []
            next.reserveCapacity(min(recent.count + 1, Self.kept))
            next.append(contentsOf: recent.suffix(Self.kept - 1))
            next.append(record)
            recent = next
        } else {
            // A quicker check replaces the last record: the API and an attempt's merge facts see
            // the newest health, and the window keeps one record per counted check.
            recent[recent.count - 1] = record
        }

        if observation.argoReadFailed {
            // Fail safe: a failed read is never degraded and breaks any streak. Failed reads come
            // from the poller only (a notification's failed read is not recorded), so each counts
            // toward the skip as before.
            verdict.readFailed = true
            consecutiveReadFailures += 1
            consecutiveDegraded = 0
            healthySince = nil
            if consecutiveReadFailures >= configuration.argoFailuresBeforeSkip {
                skipUntil = now.addingTimeInterval(configuration.argoSkip)
                verdict.startedSkip = true
                // The whole Argo CD down is one episode, kept by the poller, not one per app.
                if observation.argoCDUnreachable != true { openEpisode(.argocdUnreachable, at: now, verdict: &verdict) }
            } else if let current = episode, current.code == .argocdUnreachable {
                episode?.clearSince = nil
            }
            return verdict
        }
        consecutiveReadFailures = 0
        verdict.kubernetesReadFailed = observation.replicas == nil && observation.kubernetesNotRead != true

        if record.degraded {
            verdict.degraded = true
            // A quicker degraded check never adds to the count.
            if counts {
                consecutiveDegraded += 1
                verdict.firstDegraded = consecutiveDegraded == 1
            }
        } else {
            // Fail safe: whatever the spacing, the app is not degraded now.
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

    /// Whether a check at `now` is far enough from the last counted one to count.
    private mutating func isSpaced(_ now: Date, configuration: RollbackConfiguration) -> Bool {
        guard let last = lastCountedAt else { return true }
        let elapsed = now.timeIntervalSince(last)
        if elapsed < 0 {
            // The clock went back: measure from now on, or no check would count until it caught
            // up; this check itself does not count.
            lastCountedAt = now
            return false
        }
        return elapsed >= Self.spacingTolerance * configuration.pollInterval
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
