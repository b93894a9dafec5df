import Foundation

/// Argo CD health status of an application.
public enum ArgoHealthStatus: String, Sendable, Equatable, Codable, CaseIterable {
    case healthy = "Healthy"
    case progressing = "Progressing"
    case degraded = "Degraded"
    case suspended = "Suspended"
    case missing = "Missing"
    case unknown = "Unknown"
}

/// Replica counts of the app's Deployment.
public struct ReplicaCounts: Sendable, Equatable, Codable {
    public var desired: Int
    public var available: Int
    public var ready: Int
    public init(desired: Int, available: Int, ready: Int? = nil) {
        self.desired = desired
        self.available = available
        self.ready = ready ?? available
    }
    /// `available < desired`
    public var isShort: Bool { available < desired }
}

/// A pod that is not healthy, quoted in PR bodies and escalations.
public struct PodIssue: Sendable, Equatable, Codable {
    public var name: String
    public var reason: String
    public init(name: String, reason: String) {
        self.name = name
        self.reason = reason
    }
}

/// One health check of one application, as the poller read it (SPEC 2, 4).
public struct HealthObservation: Sendable, Equatable, Codable {
    /// The Argo CD read failed: nothing else here is meaningful. Never a degraded check.
    public var argoReadFailed: Bool
    public var health: ArgoHealthStatus
    public var message: String?
    /// `status.sync.revision`
    public var syncRevision: String?
    /// `nil` when the Kubernetes read failed: the check then uses Argo CD health alone.
    public var replicas: ReplicaCounts?
    public var unhealthyPods: [PodIssue]
    /// `true` when Kubernetes was deliberately not read for this check (the poller reads it
    /// only for `Degraded` apps and apps with an attempt open): `replicas == nil` is then not
    /// a failed read. `nil` (older stored checks) counts as `false`.
    public var kubernetesNotRead: Bool?
    /// `true` when the whole Argo CD could not be listed (not this one app): the poller keeps one
    /// "Argo CD unreachable" episode for all apps, so the app opens none of its own (SPEC 11).
    public var argoCDUnreachable: Bool?

    public init(
        health: ArgoHealthStatus, message: String? = nil, syncRevision: String? = nil,
        replicas: ReplicaCounts?, unhealthyPods: [PodIssue] = []
    ) {
        self.argoReadFailed = false
        self.health = health
        self.message = message
        self.syncRevision = syncRevision
        self.replicas = replicas
        self.unhealthyPods = unhealthyPods
    }

    /// Makes the strings equal to `previous`'s share its storage (each poll decodes fresh
    /// copies of what rarely changes). Changes no value.
    mutating func shareStrings(with previous: HealthObservation) {
        if message != nil, message == previous.message { message = previous.message }
        if syncRevision != nil, syncRevision == previous.syncRevision { syncRevision = previous.syncRevision }
    }

    /// A check of every app when the Argo CD list itself failed.
    public static let argoCDDown: HealthObservation = {
        var observation = argoReadFailure
        observation.argoCDUnreachable = true
        return observation
    }()

    /// A check whose Argo CD read failed.
    public static let argoReadFailure: HealthObservation = {
        var observation = HealthObservation(health: .unknown, replicas: nil)
        observation.argoReadFailed = true
        return observation
    }()

    /// SPEC 4: Argo CD `Degraded` and `available < desired`; `desired == 0` never; without a
    /// Kubernetes read, Argo CD health alone; a failed read never.
    public var isDegraded: Bool {
        guard !argoReadFailed, health == .degraded else { return false }
        guard let replicas else { return true }
        return replicas.desired > 0 && replicas.isShort
    }

    /// Argo CD `Healthy` and, when known, every desired replica available.
    public var isHealthy: Bool {
        guard !argoReadFailed, health == .healthy else { return false }
        guard let replicas else { return true }
        return replicas.available >= replicas.desired
    }
}

/// A health check as kept in the stability window and an attempt's history.
public struct HealthCheckRecord: Sendable, Equatable, Codable {
    public var at: Date
    public var observation: HealthObservation
    public var degraded: Bool
    public init(at: Date, observation: HealthObservation) {
        self.at = at
        self.observation = observation
        self.degraded = observation.isDegraded
    }
}
