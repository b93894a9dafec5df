import Foundation
import Testing

/// Configuration: the ConfigMap holds every SPEC section 18 default and no secret, and the Secret
/// template has every secret as a placeholder.
extension ManifestTests {
    /// SPEC section 18: every timing variable with its default, and the other defaults.
    static let spec18Defaults: [String: String] = [
        "POLL_INTERVAL_SEC": "10", "DEGRADATION_PERSISTENCE_CHECKS": "3", "HEALTH_RESTORATION_DURATION": "60",
        "CANDIDATE_SEARCH_TIMEOUT": "120", "CI_WAIT_TIMEOUT": "300", "MERGE_APPROVAL_TIMEOUT": "3600",
        "HEALTH_RECOVERY_TIMEOUT": "600", "CI_POLL_INTERVAL_SEC": "15", "REVIEW_POLL_INTERVAL_SEC": "30",
        "COMPLETE_HOLD_SEC": "60", "HUMAN_REVIEW_PAGE_SEC": "3600", "HUMAN_REVIEW_TIMEOUT_SEC": "14400",
        "ARGOCD_SKIP_SEC": "300", "STALE_ATTEMPT_SEC": "86400", "ROLLBACK_PR_MAX_AGE_SEC": "604800",
        "ROLLBACK_COOLDOWN_SEC": "600",
        "LISTEN_ADDR": "0.0.0.0:8080", "GITHUB_API_URL": "https://api.github.com",
        "STAGING_BRANCH": "staging", "PRODUCTION_BRANCH": "main", "MANIFEST_PATH": ".argocd/application.yaml",
        "LOG_LEVEL": "INFO", "LOG_FORMAT": "json",
    ]
    static let spec18Keys: Set<String> = Set(spec18Defaults.keys).union([
        "DATA_DIR", "GITHUB_TOKEN", "GITHUB_APP_ID", "GITHUB_APP_PRIVATE_KEY_FILE", "GITHUB_APP_INSTALLATION_ID",
        "GITHUB_WEBHOOK_SECRET", "ARGOCD_URL", "ARGOCD_TOKEN", "ARGOCD_WEBHOOK_TOKEN", "KUBERNETES_API_URL",
        "KUBERNETES_TOKEN_FILE", "KUBERNETES_CA_FILE", "PROMETHEUS_URL", "SLACK_WEBHOOK_URL", "ALERTS_REPO",
        "APPROVERS", "APPROVER_TEAM", "API_TOKEN", "MONITORED_APPS", "ALLOWED_MANIFEST_REPOS",
    ])
    static let secretSettings = [
        "GITHUB_WEBHOOK_SECRET", "ARGOCD_TOKEN", "ARGOCD_WEBHOOK_TOKEN", "API_TOKEN", "GITHUB_TOKEN",
        "SLACK_WEBHOOK_URL",
    ]

    @Test func configMapHoldsEverySpec18DefaultAndNoSecret() throws {
        let base = try base()
        let data = (try one("ConfigMap", in: base)).dict("data") as? [String: String] ?? [:]
        for (key, value) in Self.spec18Defaults {
            #expect(data[key] == value, "\(key): expected default \(value), found \(data[key] ?? "nothing")")
        }
        #expect(data["DATA_DIR"] == "/var/lib/ai-operator")
        for key in ["ALERTS_REPO", "ARGOCD_URL"] {
            #expect(!(data[key] ?? "").isEmpty, "required setting \(key) needs a value")
        }
        // Only known settings (a typo would be silently ignored by the service).
        for key in data.keys {
            let base = key.hasSuffix("_FILE") && key != "GITHUB_APP_PRIVATE_KEY_FILE" ? String(key.dropLast(5)) : key
            #expect(Self.spec18Keys.contains(base), "unknown setting \(key)")
        }
        // Secrets never in the ConfigMap: only as *_FILE paths into the read-only Secret mount,
        // each naming a key of the Secret template.
        for key in Self.secretSettings { #expect((data[key] ?? "").isEmpty, "\(key) must come from the Secret") }
        let template = try #require(docs.first { $0.file == "deploy/base/secret.example.yaml" }?.object)
        let secretKeys = Set((template.dict("stringData") ?? [:]).keys)
        var filesReferenced = 0
        for (key, path) in data where key.hasSuffix("_FILE") && !path.isEmpty {
            #expect(path.hasPrefix("/etc/ai-operator/secrets/"), "\(key)=\(path) is outside the Secret mount")
            let file = (path as NSString).lastPathComponent
            #expect(secretKeys.contains(file), "\(key) names \(file), which the Secret template lacks")
            filesReferenced += 1
        }
        for key in ["GITHUB_WEBHOOK_SECRET_FILE", "ARGOCD_TOKEN_FILE", "ARGOCD_WEBHOOK_TOKEN_FILE", "API_TOKEN_FILE"] {
            #expect(!(data[key] ?? "").isEmpty, "\(key) must point at the Secret")
        }
        #expect(
            !(data["GITHUB_APP_ID_FILE"] ?? "").isEmpty || !(data["GITHUB_TOKEN_FILE"] ?? "").isEmpty,
            "GitHub credentials")
        #expect(filesReferenced >= 6)
    }

    @Test func secretTemplateHasEverySecretAsAPlaceholder() throws {
        let template = try #require(docs.first { $0.file == "deploy/base/secret.example.yaml" }?.object)
        #expect(template.string("kind") == "Secret")
        #expect(template.dict("metadata")?.string("namespace") == "ai-operator-system")
        let data = template.dict("stringData") as? [String: String] ?? [:]
        for key in [
            "github-webhook-secret", "github-app-id", "github-app-private-key.pem", "argocd-token",
            "argocd-webhook-token", "api-token",
        ] {
            #expect(data[key]?.contains("REPLACE_ME") == true, "\(key) must be a REPLACE_ME placeholder")
        }
        let text = try Repo.read("deploy/base/secret.example.yaml")
        for mention in [
            "slack-webhook-url", "github-token",
            "kubectl -n ai-operator-system create secret generic ai-operator-secrets",
        ] {
            #expect(text.contains(mention), "the template explains \(mention)")
        }
    }
}
