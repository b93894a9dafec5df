import RollbackCore

/// Every setting the operator reads, in the order the README lists them. This is the one place
/// a setting is declared: `OperatorConfig.load` parses from it, `config check` prints from it,
/// the core's `RollbackConfiguration` is filled from it, and the README's table is rendered from
/// it (`ai-operator config table`; a test fails when the README and this list disagree).
public enum Settings {
    /// The longest duration any timing setting accepts: a year. Longer is a typo, not a policy.
    static let longestDuration: Double = 365 * 86400

    public static let all: [Setting] = [
        Setting("LISTEN_ADDR", .listenAddress, default: "0.0.0.0:8080", "`host:port` the one HTTP port binds"),
        Setting("DATA_DIR", .text, default: "./data", "the embedded store's directory (inbox, state, audit log)"),
        Setting("GITHUB_API_URL", .url(secret: false), default: "https://api.github.com", "GitHub's REST API"),
        Setting(
            "GITHUB_TOKEN", .secret(minimumLength: 1), .requiredUnless("GITHUB_APP_ID"),
            "a GitHub token; or the three GitHub App settings below"),
        Setting(
            "GITHUB_APP_ID", .text, .requiredUnless("GITHUB_TOKEN"),
            "the GitHub App's numeric id (or its client id, `Iv...`)"),
        Setting(
            "GITHUB_APP_PRIVATE_KEY_FILE", .filePath, .requiredUnless("GITHUB_TOKEN"),
            "the App's private key (PEM), required with `GITHUB_APP_ID`"),
        Setting(
            "GITHUB_APP_INSTALLATION_ID", .identifier, .requiredUnless("GITHUB_TOKEN"),
            "the App installation to act as, required with `GITHUB_APP_ID` (not looked up yet)"),
        Setting(
            "GITHUB_WEBHOOK_SECRET", .secret(minimumLength: 8), .required,
            "the App webhook's HMAC secret, at least 8 characters"),
        Setting("ARGOCD_URL", .url(secret: false), .required, "the Argo CD API"),
        Setting("ARGOCD_TOKEN", .secret(minimumLength: 1), .required, "a read-only Argo CD API token"),
        Setting(
            "ARGOCD_WEBHOOK_TOKEN", .secret(minimumLength: 1), .required,
            "the bearer token Argo CD notifications send"),
        Setting(
            "KUBERNETES_API_URL", .url(secret: false), .requiredUnless("KUBERNETES_SERVICE_HOST"),
            "the Kubernetes API; default: the in-cluster service account's"),
        Setting("KUBERNETES_TOKEN_FILE", .text, "the Kubernetes bearer token's file"),
        Setting("KUBERNETES_CA_FILE", .text, "the CA bundle that signs the Kubernetes API's certificate"),
        Setting("PROMETHEUS_URL", .url(secret: false), "Prometheus; without it, stability falls back to CI results"),
        Setting("SLACK_WEBHOOK_URL", .url(secret: true), "a Slack incoming webhook; never printed"),
        Setting(
            "ALERTS_REPO", .ownerAndName("owner/name"), .required,
            "`owner/name` of the repository for escalation issues"),
        Setting("APPROVERS", .list, "comma list of GitHub logins who may approve and send commands"),
        Setting("APPROVER_TEAM", .ownerAndName("org/team-slug"), "`org/team-slug` whose active members may approve"),
        Setting(
            "API_TOKEN", .secret(minimumLength: 16), .required,
            "the bearer token of mutating REST calls, at least 16 characters"),
        Setting(
            "MONITORED_APPS", .list,
            "comma list of Argo CD apps; apps labelled `ai-operator.enabled=true` are monitored too"),
        Setting("STAGING_BRANCH", .text, default: "staging", "the branch staging deploys from"),
        Setting("PRODUCTION_BRANCH", .text, default: "main", "the branch production deploys from"),
        Setting(
            "MANIFEST_PATH", .text, default: ".argocd/application.yaml",
            "where the app's `Application` manifest lives in its repository"),
        Setting(
            "ALLOWED_MANIFEST_REPOS", .list,
            "comma list of `owner/name` patterns (`acme/*`) an `ai-operator.io/manifest-repo` annotation may point "
                + "writes at; without a match an app writes only to its own source repository"),
        duration("POLL_INTERVAL_SEC", \.pollInterval, "the time between two health checks of an app"),
        Setting(
            "DEGRADATION_PERSISTENCE_CHECKS", .checks(\.persistenceChecks), upper: 100,
            "consecutive degraded checks that confirm a degradation"),
        duration(
            "HEALTH_RESTORATION_DURATION", \.healthRestorationDuration, "how long health must hold to count as restored"
        ),
        duration("CANDIDATE_SEARCH_TIMEOUT", \.candidateSearchTimeout, "the time allowed to find a rollback target"),
        duration("CI_WAIT_TIMEOUT", \.ciWaitTimeout, "the time allowed for the rollback PR's CI"),
        duration("MERGE_APPROVAL_TIMEOUT", \.mergeApprovalTimeout, "the time a production PR waits for an approval"),
        duration("HEALTH_RECOVERY_TIMEOUT", \.healthRecoveryTimeout, "the time allowed for recovery after the merge"),
        duration("CI_POLL_INTERVAL_SEC", \.ciPollInterval, "the time between CI polls while CI runs"),
        duration("REVIEW_POLL_INTERVAL_SEC", \.reviewPollInterval, "the time between review and comment polls"),
        duration("COMPLETE_HOLD_SEC", \.completeHold, "how long `RollbackComplete` is held before `Idle`"),
        duration("HUMAN_REVIEW_PAGE_SEC", \.humanReviewPage, "the time between pages while a human review is awaited"),
        duration("HUMAN_REVIEW_TIMEOUT_SEC", \.humanReviewTimeout, "the time in `AwaitingHumanReview` before `Abort`"),
        duration("ARGOCD_SKIP_SEC", \.argoSkip, "how long an app is skipped after 3 failed Argo CD reads"),
        duration("STALE_ATTEMPT_SEC", \.staleAttempt, "the age at which an unfinished attempt found at start is stale"),
        duration("ROLLBACK_PR_MAX_AGE_SEC", \.rollbackPRMaxAge, "the age at which an operator PR is closed"),
        duration(
            "ROLLBACK_COOLDOWN_SEC", \.rollbackCooldown, "the time after an attempt ends before the app's next one"),
        duration(
            "PR_CREATION_TIMEOUT_SEC", \.prCreationTimeout,
            "the time allowed to open the PR in `CandidateResolved` (not in the SPEC's table: every state gets a deadline)"
        ),
        duration(
            "MERGEABLE_REREAD_DELAY_SEC", \.mergeableRereadDelay,
            "the time between reads while GitHub computes mergeability (not in the SPEC's table)"),
        Setting(
            "LOG_LEVEL", .choice(["TRACE", "DEBUG", "INFO", "NOTICE", "WARNING", "ERROR", "CRITICAL"]),
            default: "INFO", "the lowest level logged"),
        Setting(
            "LOG_FORMAT", .choice(["json", "text"]), default: "json",
            "`json` (one object per line, for log shippers) or `text`"),
        Setting(
            "AUDIT_LOG_STDOUT", .flag, default: "false",
            "`true` also writes every audit entry to stdout as a JSON line (logs go to stderr)"),
    ]

    /// The setting of that name, or nil.
    public static func named(_ name: String) -> Setting? { byName[name] }

    private static let byName: [String: Setting] = Dictionary(uniqueKeysWithValues: all.map { ($0.name, $0) })

    private static func duration(
        _ name: String, _ field: WritableKeyPath<RollbackConfiguration, Double> & Sendable, _ meaning: String
    ) -> Setting {
        Setting(name, .seconds(field), upper: longestDuration, meaning)
    }

    /// The README's configuration table, rendered from `all`.
    public static func markdownTable() -> String {
        var lines = ["| variable | default | unit, bounds | meaning |", "|---|---|---|---|"]
        for setting in all {
            let defaultCell: String
            switch setting.requirement {
            case .required: defaultCell = "required"
            case .requiredUnless(let alternative): defaultCell = "required unless `\(alternative)`"
            case .optional: defaultCell = setting.defaultText.map { "`\($0)`" } ?? "unset"
            }
            lines.append("| `\(setting.name)` | \(defaultCell) | \(boundsText(setting)) | \(setting.meaning) |")
        }
        return lines.joined(separator: "\n")
    }

    static func boundsText(_ setting: Setting) -> String {
        switch setting.kind {
        case .seconds, .checks:
            return "\(setting.unit ?? ""), above \(Setting.format(setting.lowerExclusive)), at most "
                + Setting.format(setting.upper)
        case .secret(let minimumLength) where minimumLength > 1: return "secret, at least \(minimumLength) characters"
        case .secret: return "secret"
        case .url(let secret): return secret ? "http(s) URL, secret" : "http(s) URL"
        case .choice(let values): return values.map { "`\($0)`" }.joined(separator: ", ")
        case .flag: return "`true` or `false`"
        case .list: return "comma list"
        case .ownerAndName(let shape): return "`\(shape)`"
        case .listenAddress: return "`host:port`"
        case .identifier: return "a number"
        case .filePath: return "readable file"
        case .text: return ""
        }
    }
}
