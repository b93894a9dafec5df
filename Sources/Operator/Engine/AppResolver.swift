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
    let writePolicy: WritePolicy

    init(config: OperatorConfig) {
        monitoredNames = Set(config.monitoredApps)
        manifestPath = config.manifestPath
        stagingBranch = config.stagingBranch
        productionBranch = config.productionBranch
        writePolicy = config.core.writePolicy
    }

    func isMonitored(_ argoApp: ArgoApplication) -> Bool {
        monitoredNames.contains(argoApp.name) || argoApp.labels["ai-operator.enabled"] == "true"
    }

    /// `nil` when the app is not monitored or its source cannot be understood (logged by the caller).
    func monitoredApp(_ argoApp: ArgoApplication) -> MonitoredApp? {
        guard isMonitored(argoApp) else { return nil }
        let sources = argoApp.sources
        // The source whose revision is pinned to a commit is the one rolled back.
        let source = sources.first { Self.isSHA($0.targetRevision) } ?? sources.first
        guard let repoURL = source?.repoURL, let sourceRepo = Self.repository(fromURL: repoURL) else { return nil }
        let label = DeploymentEnvironment(label: argoApp.labels["environment"])
        let manifestRepo =
            argoApp.annotations["ai-operator.io/manifest-repo"].flatMap { $0.isEmpty ? nil : $0 } ?? sourceRepo
        let branch =
            argoApp.annotations["ai-operator.io/manifest-branch"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (label == .staging ? stagingBranch : productionBranch)
        let path = argoApp.annotations["ai-operator.io/manifest-path"].flatMap { $0.isEmpty ? nil : $0 } ?? manifestPath
        // Labels and annotations are anyone's who may edit the Application: the environment is
        // the stricter of the label and the branch the PR goes into (SPEC 19).
        let environment = writePolicy.environment(label: label, baseBranch: branch)
        let info = ApplicationInfo(
            name: argoApp.name, environment: environment, manifestRepository: manifestRepo,
            baseBranch: branch, manifestPath: path, sourceRepository: sourceRepo,
            labelEnvironment: label == environment ? nil : label)
        return MonitoredApp(
            info: info, sourceRepository: sourceRepo, sourceRepoURL: repoURL,
            namespace: argoApp.destinationNamespace ?? "default", argoNamespace: argoApp.metadata.namespace,
            deployment: argoApp.annotations["ai-operator.io/deployment"].flatMap { $0.isEmpty ? nil : $0 }
                ?? argoApp.name)
    }

    /// The Argo CD part of a health check; replicas are added when Kubernetes was read.
    static func observation(
        _ argoApp: ArgoApplication, deployment: DeploymentStatus?, pods: [PodSummary],
        kubernetesRead: Bool = true
    ) -> HealthObservation {
        let health = ArgoHealthStatus(rawValue: argoApp.status?.health?.status ?? "") ?? .unknown
        var revision = argoApp.status?.sync?.revision
        if revision == nil, let revisions = argoApp.status?.sync?.revisions {
            revision = revisions.first { isSHA($0) }
        }
        let replicas = deployment.map {
            ReplicaCounts(desired: $0.desiredReplicas, available: $0.availableReplicas, ready: $0.readyReplicas)
        }
        let issues = pods.compactMap { pod -> PodIssue? in
            if let waitingReason = pod.waitingReason { return PodIssue(name: pod.name, reason: waitingReason) }
            if pod.phase != "Running" && pod.phase != "Succeeded" { return PodIssue(name: pod.name, reason: pod.phase) }
            return nil
        }
        var observation = HealthObservation(
            health: health, message: argoApp.status?.health?.message, syncRevision: revision,
            replicas: replicas, unhealthyPods: issues)
        if !kubernetesRead { observation.kubernetesNotRead = true }
        return observation
    }

    static func isSHA(_ revision: String?) -> Bool {
        guard let revision, revision.count == 40 else { return false }
        return revision.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }
    }

    /// `owner/name` from a repository URL: the write policy's reading, so that the repository an
    /// app may write to and the one its manifest names are parsed alike.
    static func repository(fromURL url: String) -> String? { WritePolicy.repository(fromURL: url) }
}
