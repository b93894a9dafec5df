import Foundation

/// GitHub credentials: a token, or a GitHub App (JWT RS256 exchanged for an installation token).
public enum GitHubCredentials: Sendable, Equatable, CustomStringConvertible {
    case token(String)
    case app(appID: String, privateKeyPath: String, installationID: String?)

    public var description: String {
        switch self {
        case .token: return "token (redacted)"
        case .app(let id, let path, let inst):
            return "GitHub App \(id), key file \(path), installation \(inst ?? "looked up per repository")"
        }
    }
}

/// Every setting of SPEC section 18, validated. Secrets are kept here and nowhere else;
/// `redactedSummary` is the only way this type is printed.
public struct OperatorConfig: Sendable {
    public var listenAddress = "0.0.0.0:8080"
    public var dataDir = "./data"
    public var githubAPIURL = "https://api.github.com"
    public var githubCredentials: GitHubCredentials
    public var githubWebhookSecret: String
    public var argocdURL: String
    public var argocdToken: String
    public var argocdWebhookToken: String
    public var kubernetesAPIURL: String
    public var kubernetesTokenFile: String?
    public var kubernetesCAFile: String?
    public var prometheusURL: String?
    public var slackWebhookURL: String?
    public var alertsRepo: String
    public var approvers: [String] = []
    public var approverTeam: String?
    public var apiToken: String
    public var monitoredApps: [String] = []
    public var stagingBranch = "staging"
    public var productionBranch = "main"
    public var manifestPath = ".argocd/application.yaml"
    /// Timing settings in seconds, by their SPEC names (see `Timing.defaults`).
    public var timings: [String: Double] = Timing.defaults
    public var logLevel = "INFO"
    public var logFormat = "json"
    /// Also write every audit entry to standard output as a JSON line (for a log shipper).
    public var auditToStdout = false

    /// Every secret value, for redaction of anything that might echo one.
    public var secrets: [String] {
        var s = [githubWebhookSecret, argocdToken, argocdWebhookToken, apiToken]
        if case .token(let t) = githubCredentials { s.append(t) }
        if let slack = slackWebhookURL { s.append(slack) }
        return s.filter { $0.count >= 4 }
    }

    public func timing(_ key: String) -> Double { timings[key] ?? Timing.defaults[key] ?? 0 }

    /// Reads and validates everything; the first problem found is thrown as one line.
    public static func load(from source: ConfigSource) throws -> OperatorConfig {
        let r = Reader(source: source)
        let credentials: GitHubCredentials
        if let token = try r.string("GITHUB_TOKEN") {
            credentials = .token(token)
        } else if let appID = try r.string("GITHUB_APP_ID") {
            guard appID.allSatisfy(\.isNumber) || appID.hasPrefix("Iv") else {
                throw ConfigError.invalid("GITHUB_APP_ID", "expected the numeric App ID or the App's client ID")
            }
            guard let keyPath = try r.string("GITHUB_APP_PRIVATE_KEY_FILE") else {
                throw ConfigError.missing("GITHUB_APP_PRIVATE_KEY_FILE", "a GitHub App needs its private key file")
            }
            guard FileManager.default.isReadableFile(atPath: keyPath) else {
                throw ConfigError.unreadable("GITHUB_APP_PRIVATE_KEY_FILE", keyPath)
            }
            // The installation is not looked up from the repository yet: it must be given.
            guard let installation = try r.string("GITHUB_APP_INSTALLATION_ID") else {
                throw ConfigError.missing("GITHUB_APP_INSTALLATION_ID", "the installation of the GitHub App to act as")
            }
            guard installation.allSatisfy(\.isNumber) else {
                throw ConfigError.invalid("GITHUB_APP_INSTALLATION_ID", "expected a number")
            }
            credentials = .app(appID: appID, privateKeyPath: keyPath, installationID: installation)
        } else {
            throw ConfigError.missing("GITHUB_TOKEN", "or GITHUB_APP_ID with GITHUB_APP_PRIVATE_KEY_FILE")
        }

        let kubernetesURL: String
        if let url = try r.url("KUBERNETES_API_URL") {
            kubernetesURL = url
        } else if let host = source.environment["KUBERNETES_SERVICE_HOST"], !host.isEmpty,
            let port = source.environment["KUBERNETES_SERVICE_PORT"], !port.isEmpty
        {
            kubernetesURL = host.contains(":") ? "https://[\(host)]:\(port)" : "https://\(host):\(port)"
        } else {
            throw ConfigError.missing("KUBERNETES_API_URL", "or run in a cluster (KUBERNETES_SERVICE_HOST/PORT)")
        }

        var c = OperatorConfig(
            githubCredentials: credentials,
            githubWebhookSecret: try r.required("GITHUB_WEBHOOK_SECRET", "the HMAC secret of the GitHub App webhook"),
            argocdURL: try r.requiredURL("ARGOCD_URL"),
            argocdToken: try r.required("ARGOCD_TOKEN", "a read-only Argo CD API token"),
            argocdWebhookToken: try r.required("ARGOCD_WEBHOOK_TOKEN", "the bearer token Argo CD notifications send"),
            kubernetesAPIURL: kubernetesURL,
            alertsRepo: try r.required("ALERTS_REPO", "owner/name of the repository for escalation issues"),
            apiToken: try r.required("API_TOKEN", "the bearer token for mutating REST calls")
        )
        guard Self.isRepo(c.alertsRepo) else { throw ConfigError.invalid("ALERTS_REPO", "expected owner/name") }
        if c.githubWebhookSecret.count < 8 {
            throw ConfigError.invalid("GITHUB_WEBHOOK_SECRET", "shorter than 8 characters")
        }
        if c.apiToken.count < 16 { throw ConfigError.invalid("API_TOKEN", "shorter than 16 characters") }

        if let v = try r.string("LISTEN_ADDR") { c.listenAddress = try Self.validListenAddress(v) }
        if let v = try r.string("DATA_DIR") { c.dataDir = v }
        if let v = try r.url("GITHUB_API_URL") { c.githubAPIURL = v }
        c.kubernetesTokenFile = try r.string("KUBERNETES_TOKEN_FILE")
        c.kubernetesCAFile = try r.string("KUBERNETES_CA_FILE")
        c.prometheusURL = try r.url("PROMETHEUS_URL")
        c.slackWebhookURL = try r.url("SLACK_WEBHOOK_URL", secret: true)
        c.approvers = try r.list("APPROVERS")
        if let team = try r.string("APPROVER_TEAM") {
            guard Self.isRepo(team) else { throw ConfigError.invalid("APPROVER_TEAM", "expected org/team-slug") }
            c.approverTeam = team
        }
        c.monitoredApps = try r.list("MONITORED_APPS")
        if let v = try r.string("STAGING_BRANCH") { c.stagingBranch = v }
        if let v = try r.string("PRODUCTION_BRANCH") { c.productionBranch = v }
        if let v = try r.string("MANIFEST_PATH") { c.manifestPath = v }
        for key in Timing.defaults.keys.sorted() {
            if let v = try r.string(key) {
                guard let d = Double(v), d.isFinite, d > 0 else {
                    throw ConfigError.invalid(
                        key,
                        "expected a positive number of \(key == "DEGRADATION_PERSISTENCE_CHECKS" ? "checks" : "seconds")"
                    )
                }
                if key == "DEGRADATION_PERSISTENCE_CHECKS", d != d.rounded() {
                    throw ConfigError.invalid(key, "expected a whole number of checks")
                }
                c.timings[key] = d
            }
        }
        if let v = try r.string("LOG_LEVEL") {
            let up = v.uppercased()
            guard ["TRACE", "DEBUG", "INFO", "NOTICE", "WARNING", "ERROR", "CRITICAL"].contains(up) else {
                throw ConfigError.invalid("LOG_LEVEL", "expected one of DEBUG, INFO, WARNING, ERROR")
            }
            c.logLevel = up
        }
        if let v = try r.string("LOG_FORMAT") {
            guard v == "json" || v == "text" else { throw ConfigError.invalid("LOG_FORMAT", "expected json or text") }
            c.logFormat = v
        }
        if let v = try r.string("AUDIT_LOG_STDOUT") {
            guard ["true", "false", "1", "0"].contains(v.lowercased()) else {
                throw ConfigError.invalid("AUDIT_LOG_STDOUT", "expected true or false")
            }
            c.auditToStdout = v.lowercased() == "true" || v == "1"
        }
        for key in source.file.keys
        where !Self.knownKeys.contains(key)
            && !(key.hasSuffix("_FILE") && Self.knownKeys.contains(String(key.dropLast(5))))
        {
            throw ConfigError.invalid(key, "unknown setting in \(source.filePath ?? "the config file")")
        }
        return c
    }

    /// A description safe to print: secrets are shown as set or not, never their values.
    public var redactedSummary: [(String, String)] {
        [
            ("LISTEN_ADDR", listenAddress), ("DATA_DIR", dataDir), ("GITHUB_API_URL", githubAPIURL),
            ("GitHub credentials", githubCredentials.description), ("GITHUB_WEBHOOK_SECRET", "set"),
            ("ARGOCD_URL", argocdURL), ("ARGOCD_TOKEN", "set"), ("ARGOCD_WEBHOOK_TOKEN", "set"),
            ("KUBERNETES_API_URL", kubernetesAPIURL),
            ("PROMETHEUS_URL", prometheusURL ?? "unset (stability falls back to CI)"),
            ("SLACK_WEBHOOK_URL", slackWebhookURL == nil ? "unset" : "set"), ("ALERTS_REPO", alertsRepo),
            ("APPROVERS", approvers.isEmpty ? "none" : approvers.joined(separator: ",")),
            ("APPROVER_TEAM", approverTeam ?? "none"),
            ("API_TOKEN", "set"),
            (
                "MONITORED_APPS",
                monitoredApps.isEmpty ? "label ai-operator.enabled=true only" : monitoredApps.joined(separator: ",")
            ),
            ("STAGING_BRANCH", stagingBranch), ("PRODUCTION_BRANCH", productionBranch), ("MANIFEST_PATH", manifestPath),
            ("LOG_LEVEL", logLevel), ("LOG_FORMAT", logFormat), ("AUDIT_LOG_STDOUT", String(auditToStdout)),
        ] + Timing.defaults.keys.sorted().map { ($0, Self.format(timing($0))) }
    }

    static func format(_ d: Double) -> String { d == d.rounded() ? String(Int(d)) : String(d) }

    static func isRepo(_ s: String) -> Bool {
        let parts = s.split(separator: "/", omittingEmptySubsequences: false)
        return parts.count == 2
            && parts.allSatisfy { !$0.isEmpty && $0.allSatisfy { $0.isLetter || $0.isNumber || "-_.".contains($0) } }
    }

    static func validListenAddress(_ v: String) throws -> String {
        guard let colon = v.lastIndex(of: ":"), let port = Int(v[v.index(after: colon)...]), (0...65535).contains(port)
        else {
            throw ConfigError.invalid("LISTEN_ADDR", "expected host:port, e.g. 0.0.0.0:8080")
        }
        return v
    }

    static let knownKeys: Set<String> = Set([
        "LISTEN_ADDR", "DATA_DIR", "GITHUB_API_URL", "GITHUB_TOKEN", "GITHUB_APP_ID", "GITHUB_APP_PRIVATE_KEY_FILE",
        "GITHUB_APP_INSTALLATION_ID", "GITHUB_WEBHOOK_SECRET", "ARGOCD_URL", "ARGOCD_TOKEN", "ARGOCD_WEBHOOK_TOKEN",
        "KUBERNETES_API_URL", "KUBERNETES_TOKEN_FILE", "KUBERNETES_CA_FILE", "PROMETHEUS_URL", "SLACK_WEBHOOK_URL",
        "ALERTS_REPO", "APPROVERS", "APPROVER_TEAM", "API_TOKEN", "MONITORED_APPS", "STAGING_BRANCH",
        "PRODUCTION_BRANCH", "MANIFEST_PATH", "LOG_LEVEL", "LOG_FORMAT", "AUDIT_LOG_STDOUT",
    ]).union(Timing.defaults.keys)
}

/// The timing settings of SPEC sections 8 and 18 with their defaults (seconds, decimals allowed).
public enum Timing {
    public static let defaults: [String: Double] = [
        "POLL_INTERVAL_SEC": 10,
        "DEGRADATION_PERSISTENCE_CHECKS": 3,
        "HEALTH_RESTORATION_DURATION": 60,
        "CANDIDATE_SEARCH_TIMEOUT": 120,
        "CI_WAIT_TIMEOUT": 300,
        "MERGE_APPROVAL_TIMEOUT": 3600,
        "HEALTH_RECOVERY_TIMEOUT": 600,
        "CI_POLL_INTERVAL_SEC": 15,
        "REVIEW_POLL_INTERVAL_SEC": 30,
        "COMPLETE_HOLD_SEC": 60,
        "HUMAN_REVIEW_PAGE_SEC": 3600,
        "HUMAN_REVIEW_TIMEOUT_SEC": 14400,
        "ARGOCD_SKIP_SEC": 300,
        "STALE_ATTEMPT_SEC": 86400,
        "ROLLBACK_PR_MAX_AGE_SEC": 604800,
        "ROLLBACK_COOLDOWN_SEC": 600,
        // Not in the SPEC's table; bounds the states it does not bound (see README).
        "PR_CREATION_TIMEOUT_SEC": 120,
        "MERGEABLE_REREAD_DELAY_SEC": 2,
    ]
}

/// Typed reads over a `ConfigSource`.
struct Reader {
    let source: ConfigSource

    func string(_ key: String) throws -> String? {
        try source.value(key)?.trimmingCharacters(in: .whitespaces)
    }

    func required(_ key: String, _ hint: String) throws -> String {
        guard let v = try string(key), !v.isEmpty else { throw ConfigError.missing(key, hint) }
        return v
    }

    func url(_ key: String, secret: Bool = false) throws -> String? {
        guard let v = try string(key) else { return nil }
        guard let u = URL(string: v), let scheme = u.scheme, ["http", "https"].contains(scheme), u.host != nil else {
            // A secret URL (Slack's) is never echoed back.
            throw ConfigError.invalid(key, secret ? "expected an http(s) URL" : "expected an http(s) URL, got '\(v)'")
        }
        return v.hasSuffix("/") ? String(v.dropLast()) : v
    }

    func requiredURL(_ key: String) throws -> String {
        guard let v = try url(key) else { throw ConfigError.missing(key, "an http(s) URL") }
        return v
    }

    func list(_ key: String) throws -> [String] {
        guard let v = try string(key) else { return [] }
        return v.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
}
