import RollbackCore

/// A monitored Argo CD application as the engine knows it: the core's `ApplicationInfo`
/// (name, environment, where its `Application` manifest lives) plus where its code and
/// workload are. Derived from the Argo CD object on every poll (SPEC 3, 18).
public struct MonitoredApp: Sendable, Equatable, Codable {
    public var info: ApplicationInfo
    /// `owner/name` of the repository whose commits are the app's revisions
    /// (from `spec.source.repoURL`, or the matching entry of `spec.sources`).
    public var sourceRepository: String
    /// The `repoURL` exactly as the manifest writes it (to pick the entry of `spec.sources`).
    public var sourceRepoURL: String
    /// `spec.destination.namespace`.
    public var namespace: String
    /// The Deployment: annotation `ai-operator.io/deployment`, else the app's name.
    public var deployment: String
    /// The namespace of the Argo CD `Application` object itself (`metadata.namespace`): an
    /// edited manifest that names another one is refused (SPEC 19).
    public var argoNamespace: String?

    public init(
        info: ApplicationInfo, sourceRepository: String, sourceRepoURL: String, namespace: String,
        argoNamespace: String? = nil, deployment: String
    ) {
        self.info = info
        self.sourceRepository = sourceRepository
        self.sourceRepoURL = sourceRepoURL
        self.namespace = namespace
        self.argoNamespace = argoNamespace
        self.deployment = deployment
    }

    public var name: String { info.name }
}
