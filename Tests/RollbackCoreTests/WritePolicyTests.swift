import Foundation
import Testing

@testable import RollbackCore

/// SPEC 19's write policy as a pure function: which repository and base branch an app may
/// write to, which environment decides, and whose `Application` manifest may be edited.
@Suite struct WritePolicyTests {
    let policy = WritePolicy(
        allowedRepositories: ["acme/*", "ops/gitops"], stagingBranch: "staging", productionBranch: "main")

    func app(
        _ environment: DeploymentEnvironment = .staging, repo: String = "acme/gitops", source: String? = "acme/gitops",
        base: String = "staging"
    ) -> ApplicationInfo {
        ApplicationInfo(
            name: "web", environment: environment, manifestRepository: repo, baseBranch: base, sourceRepository: source)
    }

    @Test func theEnvironmentIsTheStricterOfLabelAndBaseBranch() {
        #expect(policy.environment(label: .staging, baseBranch: "staging") == .staging)
        #expect(policy.environment(label: .staging, baseBranch: "main") == .production)
        #expect(policy.environment(label: .production, baseBranch: "staging") == .production)
        #expect(policy.environment(label: .production, baseBranch: "main") == .production)
        #expect(policy.environment(label: .staging, baseBranch: "feature") == .production)
        let sameBranch = WritePolicy(stagingBranch: "main", productionBranch: "main")
        #expect(sameBranch.environment(label: .staging, baseBranch: "main") == .production)
    }

    @Test func anAppWritesToItsOwnSourceRepositoryOrAnAllowedOne() {
        let strict = WritePolicy()
        #expect(strict.refusal(for: app(repo: "acme/web", source: "acme/web")) == nil)
        #expect(strict.refusal(for: app(repo: "ACME/Web", source: "acme/web")) == nil)
        let foreign = strict.refusal(for: app(repo: "other-team/gitops", source: "acme/web"))
        #expect(foreign?.value == "other-team/gitops")
        #expect(foreign?.rule.contains("ALLOWED_MANIFEST_REPOS") == true)
        #expect(strict.refusal(for: app(repo: "acme/web", source: nil)) != nil)
        #expect(policy.refusal(for: app(repo: "acme/anything", source: "elsewhere/web")) == nil)
        #expect(policy.refusal(for: app(repo: "ops/gitops", source: "elsewhere/web")) == nil)
        #expect(policy.refusal(for: app(repo: "ops/other", source: "elsewhere/web"))?.value == "ops/other")
    }

    @Test func thePullRequestBaseMustBeTheStagingOrTheProductionBranch() {
        #expect(policy.refusal(for: app(.production, base: "main")) == nil)
        let other = policy.refusal(for: app(.production, base: "release-1"))
        #expect(other?.value == "release-1")
        // Staging decided on a PR into the production branch is refused outright.
        #expect(policy.refusal(for: app(.staging, base: "main"))?.value == "main")
    }

    @Test func patternsMatchOneOwnerOrOneRepository() {
        #expect(WritePolicy.matches(pattern: "acme/*", repository: "acme/gitops"))
        #expect(WritePolicy.matches(pattern: "ACME/*", repository: "acme/GitOps"))
        #expect(!WritePolicy.matches(pattern: "acme/*", repository: "acmecorp/gitops"))
        #expect(!WritePolicy.matches(pattern: "acme/*", repository: "acme/a/b"))
        #expect(!WritePolicy.matches(pattern: "/*", repository: "acme/gitops"))
        #expect(WritePolicy.matches(pattern: "acme/gitops", repository: "acme/gitops"))
        #expect(!WritePolicy.matches(pattern: "acme/gitops", repository: "acme/gitops2"))
        #expect(!WritePolicy.matches(pattern: "*", repository: "acme/gitops"))
    }

    @Test func onlyThisAppsApplicationManifestIsEdited() {
        let manifest = """
            apiVersion: argoproj.io/v1alpha1
            kind: Application
            metadata:
              name: web
              namespace: argocd
            spec:
              source:
                repoURL: https://github.com/acme/gitops.git
                targetRevision: abc
            """
        let mine = ManifestIdentity.read(manifest)
        #expect(policy.refusal(manifest: mine, for: app(), argoNamespace: "argocd") == nil)
        #expect(policy.refusal(manifest: mine, for: app(), argoNamespace: nil) == nil)
        let otherName = ManifestIdentity.read(manifest.replacingOccurrences(of: "name: web", with: "name: payments"))
        #expect(policy.refusal(manifest: otherName, for: app(), argoNamespace: "argocd")?.value == "payments")
        #expect(policy.refusal(manifest: mine, for: app(), argoNamespace: "team-a")?.value == "argocd")
        let otherRepo = ManifestIdentity.read(manifest.replacingOccurrences(of: "acme/gitops", with: "acme/payments"))
        #expect(
            policy.refusal(manifest: otherRepo, for: app(), argoNamespace: "argocd")?.value
                == "https://github.com/acme/payments.git")
        let notAnApp = ManifestIdentity.read(
            manifest.replacingOccurrences(of: "kind: Application", with: "kind: ConfigMap"))
        #expect(policy.refusal(manifest: notAnApp, for: app(), argoNamespace: "argocd")?.value == "ConfigMap")
    }

    @Test func manifestIdentityReadsBlockYAMLAsArgoCDWritesIt() {
        let text =
            "# generated\r\n---\r\napiVersion: argoproj.io/v1alpha1\r\nkind: \"Application\"\r\nmetadata:\r\n"
            + "  name: 'web'  # the app\r\n  labels:\r\n    name: not-this\r\nspec:\r\n  sources:\r\n"
            + "  - repoURL: https://github.com/acme/charts\r\n    chart: web\r\n"
            + "  - path: app\r\n    repoURL: git@github.com:acme/gitops.git\r\n"
            + "  destination:\r\n    namespace: web\r\n---\r\nkind: Other\r\n"
        let identity = ManifestIdentity.read(text)
        #expect(identity.kind == "Application")
        #expect(identity.name == "web")
        #expect(identity.namespace == nil)
        #expect(identity.sourceRepoURLs == ["https://github.com/acme/charts", "git@github.com:acme/gitops.git"])
        #expect(policy.refusal(manifest: identity, for: app(), argoNamespace: "argocd") == nil)
    }
}
