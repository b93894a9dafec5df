import Clients
import Foundation
import RollbackCore

/// Turns Argo CD applications into what the engine monitors (SPEC 3, 18) and into health
/// observations (SPEC 4).
struct AppResolver: Sendable {
    let monitoredNames: Set<String>
    let manifestPath: String
    let stagingBranch: String
    let productionBranch: String

    init(config: OperatorConfig) {
        monitoredNames = Set(config.monitoredApps)
        manifestPath = config.manifestPath
        stagingBranch = config.stagingBranch
        productionBranch = config.productionBranch
    }

    func isMonitored(_ a: ArgoApplication) -> Bool {
        monitoredNames.contains(a.name) || a.labels["ai-operator.enabled"] == "true"
    }

    /// `nil` when the app is not monitored or its source cannot be understood (logged by the caller).
    func monitoredApp(_ a: ArgoApplication) -> MonitoredApp? {
        guard isMonitored(a) else { return nil }
        let sources = a.sources
        // The source whose revision is pinned to a commit is the one rolled back.
        let source = sources.first { Self.isSHA($0.targetRevision) } ?? sources.first
        guard let repoURL = source?.repoURL, let sourceRepo = Self.repository(fromURL: repoURL) else { return nil }
        let environment = DeploymentEnvironment(label: a.labels["environment"])
        let manifestRepo = a.annotations["ai-operator.io/manifest-repo"].flatMap { $0.isEmpty ? nil : $0 } ?? sourceRepo
        let branch =
            a.annotations["ai-operator.io/manifest-branch"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (environment == .staging ? stagingBranch : productionBranch)
        let path = a.annotations["ai-operator.io/manifest-path"].flatMap { $0.isEmpty ? nil : $0 } ?? manifestPath
        let info = ApplicationInfo(
            name: a.name, environment: environment, manifestRepository: manifestRepo,
            baseBranch: branch, manifestPath: path)
        return MonitoredApp(
            info: info, sourceRepository: sourceRepo, sourceRepoURL: repoURL,
            namespace: a.destinationNamespace ?? "default",
            deployment: a.annotations["ai-operator.io/deployment"].flatMap { $0.isEmpty ? nil : $0 } ?? a.name)
    }

    /// The Argo CD part of a health check; replicas are added when Kubernetes was read.
    static func observation(
        _ a: ArgoApplication, deployment: DeploymentStatus?, pods: [PodSummary],
        kubernetesRead: Bool = true
    ) -> HealthObservation {
        let health = ArgoHealthStatus(rawValue: a.status?.health?.status ?? "") ?? .unknown
        var revision = a.status?.sync?.revision
        if revision == nil, let revisions = a.status?.sync?.revisions {
            revision = revisions.first { isSHA($0) }
        }
        let replicas = deployment.map {
            ReplicaCounts(desired: $0.desiredReplicas, available: $0.availableReplicas, ready: $0.readyReplicas)
        }
        let issues = pods.compactMap { p -> PodIssue? in
            if let r = p.waitingReason { return PodIssue(name: p.name, reason: r) }
            if p.phase != "Running" && p.phase != "Succeeded" { return PodIssue(name: p.name, reason: p.phase) }
            return nil
        }
        var o = HealthObservation(
            health: health, message: a.status?.health?.message, syncRevision: revision,
            replicas: replicas, unhealthyPods: issues)
        if !kubernetesRead { o.kubernetesNotRead = true }
        return o
    }

    static func isSHA(_ s: String?) -> Bool {
        guard let s, s.count == 40 else { return false }
        return s.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }
    }

    /// `owner/name` from `https://github.com/owner/name(.git)`, `git@github.com:owner/name.git`,
    /// or an Enterprise host's URL.
    static func repository(fromURL url: String) -> String? {
        var rest = Substring(url)
        if let scheme = rest.range(of: "://") {
            rest = rest[scheme.upperBound...]
            guard let slash = rest.firstIndex(of: "/") else { return nil }
            rest = rest[rest.index(after: slash)...]
        } else if let colon = rest.firstIndex(of: ":"), rest.contains("@") {
            rest = rest[rest.index(after: colon)...]
        }
        if rest.hasSuffix(".git") { rest = rest.dropLast(4) }
        if rest.hasSuffix("/") { rest = rest.dropLast() }
        let parts = rest.split(separator: "/")
        guard parts.count >= 2 else { return nil }
        return parts.suffix(2).joined(separator: "/")
    }
}
