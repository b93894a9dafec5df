/// Who may steer the operator's write access (SPEC 19). Editing an Argo CD `Application`
/// (labels, annotations, source) or pushing to a `rollback/*` branch does not make anyone an
/// approver, so every write the operator makes is decided here, from the app, the
/// configuration and what GitHub reports, and the effect runner asks again right before each
/// write. Pure: no I/O.
public struct WritePolicy: Sendable, Equatable, Codable {
    /// `ALLOWED_MANIFEST_REPOS`: `owner/name` patterns (`acme/*`) an annotation may point
    /// writes at, besides each app's own source repository.
    public var allowedRepositories: [String]
    public var stagingBranch: String
    public var productionBranch: String

    public init(
        allowedRepositories: [String] = [], stagingBranch: String = "staging", productionBranch: String = "main"
    ) {
        self.allowedRepositories = allowedRepositories
        self.stagingBranch = stagingBranch
        self.productionBranch = productionBranch
    }

    /// The environment a change into `baseBranch` is decided in: as strict as the strictest
    /// environment that deploys what it touches, never less strict than the app's label. A PR
    /// into the production branch is production whatever the label says; only a PR into the
    /// staging branch of an app labelled `staging` is staging.
    public func environment(label: DeploymentEnvironment, baseBranch: String) -> DeploymentEnvironment {
        guard label == .staging, baseBranch == stagingBranch, baseBranch != productionBranch else { return .production }
        return .staging
    }

    /// Why the operator may not write for `app` at all, or nil: the repository must be the
    /// app's own source repository or match `allowedRepositories`, and the base branch must
    /// be the staging or the production branch.
    public func refusal(for app: ApplicationInfo) -> PolicyRefusal? {
        if let refusal = repositoryRefusal(app) { return refusal }
        guard app.baseBranch == stagingBranch || app.baseBranch == productionBranch else {
            return PolicyRefusal(
                rule: "the PR base must be the staging branch (\(stagingBranch)) or the production branch "
                    + "(\(productionBranch))",
                value: app.baseBranch)
        }
        if app.environment == .staging && environment(label: .staging, baseBranch: app.baseBranch) != .staging {
            return PolicyRefusal(
                rule: "only a PR into the staging branch (\(stagingBranch)) may be decided as staging",
                value: app.baseBranch)
        }
        return nil
    }

    private func repositoryRefusal(_ app: ApplicationInfo) -> PolicyRefusal? {
        let target = app.manifestRepository
        if let source = app.sourceRepository, Self.sameRepository(source, target) { return nil }
        if allowedRepositories.contains(where: { Self.matches(pattern: $0, repository: target) }) { return nil }
        return PolicyRefusal(
            rule: "an app may write only to its own source repository"
                + (app.sourceRepository.map { " (\($0))" } ?? "")
                + " or to one matching ALLOWED_MANIFEST_REPOS"
                + (allowedRepositories.isEmpty ? " (empty)" : " (\(allowedRepositories.joined(separator: ",")))"),
            value: target)
    }

    /// Why the `Application` manifest about to be edited is not this app's, or nil: it must be
    /// an Argo CD `Application` named like the app (in the namespace Argo CD reports, when the
    /// manifest names one) whose rolled-back source is the repository the current revision
    /// came from.
    public func refusal(manifest: ManifestIdentity, for app: ApplicationInfo, argoNamespace: String?)
        -> PolicyRefusal?
    {
        guard manifest.kind == "Application" else {
            return PolicyRefusal(
                rule: "the edited manifest must be an Argo CD Application", value: manifest.kind ?? "none")
        }
        guard manifest.name == app.name else {
            return PolicyRefusal(
                rule: "the edited Application's metadata.name must be the app's name (\(app.name))",
                value: manifest.name ?? "none")
        }
        if let namespace = manifest.namespace, let argoNamespace, namespace != argoNamespace {
            return PolicyRefusal(
                rule: "the edited Application's metadata.namespace must be the one Argo CD reports (\(argoNamespace))",
                value: namespace)
        }
        guard let source = app.sourceRepository else {
            return PolicyRefusal(rule: "the app's source repository is unknown", value: app.name)
        }
        let repositories = manifest.sourceRepoURLs.compactMap(Self.repository(fromURL:))
        guard repositories.contains(where: { Self.sameRepository($0, source) }) else {
            return PolicyRefusal(
                rule: "the edited Application's spec.source.repoURL must name the repository the current revision "
                    + "came from (\(source))",
                value: manifest.sourceRepoURLs.first ?? "none")
        }
        return nil
    }

    /// `acme/*` matches every repository of `acme`; otherwise the pattern is an exact
    /// `owner/name`, compared case-insensitively as GitHub does.
    public static func matches(pattern: String, repository: String) -> Bool {
        let pattern = pattern.lowercased()
        let repository = repository.lowercased()
        if pattern.hasSuffix("/*") {
            let owner = pattern.dropLast(2)
            return !owner.isEmpty && !owner.contains("/") && repository.hasPrefix(owner + "/")
                && repository.split(separator: "/").count == 2
        }
        return pattern == repository
    }

    public static func sameRepository(_ first: String, _ second: String) -> Bool {
        first.lowercased() == second.lowercased()
    }

    /// `owner/name` from `https://github.com/owner/name(.git)`, `git@github.com:owner/name.git`,
    /// or an Enterprise host's URL; nil when the URL names no repository.
    public static func repository(fromURL url: String) -> String? {
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

/// A write the policy refuses: the rule, and the value that broke it (shown in the
/// escalation; never a secret).
public struct PolicyRefusal: Sendable, Equatable, Codable, Error, CustomStringConvertible {
    public var rule: String
    public var value: String
    public init(rule: String, value: String) {
        self.rule = rule
        self.value = value
    }
    public var description: String { "\(rule); found \(value)" }
}
