/// The environment an application deploys to (SPEC 3). Anything that is not exactly
/// `staging` is treated as `production`, the safest reading.
public enum DeploymentEnvironment: String, Sendable, Equatable, Codable, CaseIterable {
    case staging, production

    /// Reads the app's `environment` label; no label or another value means `production`.
    public init(label: String?) {
        self = label == "staging" ? .staging : .production
    }
}

/// What the core needs to know about one monitored application (SPEC 3, 7, 18).
public struct ApplicationInfo: Sendable, Equatable, Codable {
    /// The Argo CD application name.
    public var name: String
    public var environment: DeploymentEnvironment
    /// The GitOps repository holding the `Application` manifest, `owner/name`.
    public var manifestRepository: String
    /// The branch the environment deploys from (`staging` or `main`): the PR's base.
    public var baseBranch: String
    /// Path of the manifest in the GitOps repository.
    public var manifestPath: String
    /// `owner/name` of the repository the app's revisions come from (its `spec.source.repoURL`):
    /// the one repository it may write to without `ALLOWED_MANIFEST_REPOS` (SPEC 19). Nil in
    /// states stored before it was recorded.
    public var sourceRepository: String?
    /// What the app's `environment` label says, when it differs from `environment` (the
    /// stricter environment the base branch imposes): a configuration error, escalated once
    /// per attempt.
    public var labelEnvironment: DeploymentEnvironment?

    public init(
        name: String, environment: DeploymentEnvironment, manifestRepository: String,
        baseBranch: String? = nil, manifestPath: String = ".argocd/application.yaml",
        sourceRepository: String? = nil, labelEnvironment: DeploymentEnvironment? = nil
    ) {
        self.name = name
        self.environment = environment
        self.manifestRepository = manifestRepository
        self.baseBranch = baseBranch ?? (environment == .staging ? "staging" : "main")
        self.manifestPath = manifestPath
        self.sourceRepository = sourceRepository
        self.labelEnvironment = labelEnvironment
    }
}
