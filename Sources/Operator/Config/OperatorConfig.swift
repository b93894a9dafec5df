import Foundation
import RollbackCore

/// Every setting of SPEC section 18, validated. Secrets are kept here and nowhere else;
/// `redactedSummary` is the only way this type is printed. Which settings exist, their
/// defaults and bounds are declared in `Settings.all`; this type holds the parsed values.
public struct OperatorConfig: Sendable {
    public var listenAddress: String
    public var dataDir: String
    public var githubAPIURL: String
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
    public var approvers: [String]
    public var approverTeam: String?
    public var apiToken: String
    public var monitoredApps: [String]
    public var stagingBranch: String
    public var productionBranch: String
    public var manifestPath: String
    /// `ALLOWED_MANIFEST_REPOS`.
    public var allowedManifestRepos: [String]
    /// The core's timings and counts, filled from the `seconds` and `checks` settings.
    public var core: RollbackConfiguration
    public var logLevel: String
    public var logFormat: String
    /// Also write every audit entry to standard output as a JSON line (for a log shipper).
    public var auditToStdout: Bool

    /// Every secret value, for redaction of anything that might echo one.
    public var secrets: [String] {
        var values = [githubWebhookSecret, argocdToken, argocdWebhookToken, apiToken]
        if case .token(let token) = githubCredentials { values.append(token) }
        if let slack = slackWebhookURL { values.append(slack) }
        return values.filter { $0.count >= 4 }
    }

    /// A `seconds` or `checks` setting's value by its name (0 for any other name).
    public func timing(_ name: String) -> Double {
        switch Settings.named(name)?.kind {
        case .seconds(let field): return core[keyPath: field]
        case .checks(let field): return Double(core[keyPath: field])
        default: return 0
        }
    }

    /// Reads and validates everything; the first problem found is thrown as one line.
    public static func load(from source: ConfigSource) throws -> OperatorConfig {
        let reader = SettingReader(source: source)
        for name in source.file.keys
        where Settings.named(name) == nil
            && !(name.hasSuffix("_FILE") && Settings.named(String(name.dropLast(5))) != nil)
        {
            throw ConfigError.invalid(name, "unknown setting in \(source.filePath ?? "the config file")")
        }
        var core = RollbackConfiguration()
        let allowedRepos = try reader.list("ALLOWED_MANIFEST_REPOS")
        for pattern in allowedRepos {
            let owner = pattern.hasSuffix("/*") ? String(pattern.dropLast(2)) + "/x" : pattern
            guard SettingReader.isOwnerAndName(owner) else {
                throw ConfigError.invalid("ALLOWED_MANIFEST_REPOS", "expected owner/name or owner/* patterns")
            }
        }
        for setting in Settings.all {
            guard let value = try reader.optional(setting.name) else { continue }
            switch setting.kind {
            case .seconds(let field): core[keyPath: field] = Double(value) ?? core[keyPath: field]
            case .checks(let field): core[keyPath: field] = Int(Double(value) ?? 0)
            default: break
            }
        }
        return OperatorConfig(
            listenAddress: try reader.withDefault("LISTEN_ADDR"),
            dataDir: try reader.withDefault("DATA_DIR"),
            githubAPIURL: try reader.withDefault("GITHUB_API_URL"),
            githubCredentials: try githubCredentials(reader),
            githubWebhookSecret: try reader.required("GITHUB_WEBHOOK_SECRET"),
            argocdURL: try reader.required("ARGOCD_URL"),
            argocdToken: try reader.required("ARGOCD_TOKEN"),
            argocdWebhookToken: try reader.required("ARGOCD_WEBHOOK_TOKEN"),
            kubernetesAPIURL: try kubernetesAPIURL(reader, environment: source.environment),
            kubernetesTokenFile: try reader.optional("KUBERNETES_TOKEN_FILE"),
            kubernetesCAFile: try reader.optional("KUBERNETES_CA_FILE"),
            prometheusURL: try reader.optional("PROMETHEUS_URL"),
            slackWebhookURL: try reader.optional("SLACK_WEBHOOK_URL"),
            alertsRepo: try reader.required("ALERTS_REPO"),
            approvers: try reader.list("APPROVERS"),
            approverTeam: try reader.optional("APPROVER_TEAM"),
            apiToken: try reader.required("API_TOKEN"),
            monitoredApps: try reader.list("MONITORED_APPS"),
            stagingBranch: try reader.withDefault("STAGING_BRANCH"),
            productionBranch: try reader.withDefault("PRODUCTION_BRANCH"),
            manifestPath: try reader.withDefault("MANIFEST_PATH"),
            allowedManifestRepos: allowedRepos,
            core: try withWritePolicy(core, reader: reader, allowedRepos: allowedRepos),
            logLevel: try reader.withDefault("LOG_LEVEL"),
            logFormat: try reader.withDefault("LOG_FORMAT"),
            auditToStdout: try reader.withDefault("AUDIT_LOG_STDOUT") == "true")
    }

    /// The core's write policy (SPEC 19) from the branches and `ALLOWED_MANIFEST_REPOS`.
    private static func withWritePolicy(_ core: RollbackConfiguration, reader: SettingReader, allowedRepos: [String])
        throws -> RollbackConfiguration
    {
        var configured = core
        configured.writePolicy = WritePolicy(
            allowedRepositories: allowedRepos, stagingBranch: try reader.withDefault("STAGING_BRANCH"),
            productionBranch: try reader.withDefault("PRODUCTION_BRANCH"))
        return configured
    }

    private static func githubCredentials(_ reader: SettingReader) throws -> GitHubCredentials {
        if let token = try reader.optional("GITHUB_TOKEN") { return .token(token) }
        guard let appID = try reader.text("GITHUB_APP_ID") else {
            throw ConfigError.missing("GITHUB_TOKEN", "or GITHUB_APP_ID with GITHUB_APP_PRIVATE_KEY_FILE")
        }
        guard appID.allSatisfy(\.isNumber) || appID.hasPrefix("Iv") else {
            throw ConfigError.invalid("GITHUB_APP_ID", "expected the numeric App ID or the App's client ID")
        }
        guard try reader.text("GITHUB_APP_PRIVATE_KEY_FILE") != nil else {
            throw ConfigError.missing("GITHUB_APP_PRIVATE_KEY_FILE", "a GitHub App needs its private key file")
        }
        let keyPath = try reader.required("GITHUB_APP_PRIVATE_KEY_FILE")
        // The installation is not looked up from the repository yet: it must be given.
        guard try reader.text("GITHUB_APP_INSTALLATION_ID") != nil else {
            throw ConfigError.missing("GITHUB_APP_INSTALLATION_ID", "the installation of the GitHub App to act as")
        }
        let installation = try reader.required("GITHUB_APP_INSTALLATION_ID")
        return .app(appID: appID, privateKeyPath: keyPath, installationID: installation)
    }

    private static func kubernetesAPIURL(_ reader: SettingReader, environment: [String: String]) throws -> String {
        if let url = try reader.optional("KUBERNETES_API_URL") { return url }
        if let host = environment["KUBERNETES_SERVICE_HOST"], !host.isEmpty,
            let port = environment["KUBERNETES_SERVICE_PORT"], !port.isEmpty
        {
            return host.contains(":") ? "https://[\(host)]:\(port)" : "https://\(host):\(port)"
        }
        throw ConfigError.missing("KUBERNETES_API_URL", "or run in a cluster (KUBERNETES_SERVICE_HOST/PORT)")
    }

    /// A description safe to print, one line per setting of `Settings.all` in its order:
    /// secrets are shown as set or not, never their values.
    public var redactedSummary: [(String, String)] {
        Settings.all.map { setting in (setting.name, summaryValue(setting)) }
    }

    private func summaryValue(_ setting: Setting) -> String {
        if setting.isSecret { return secretIsSet(setting.name) ? "set" : "unset" }
        switch setting.name {
        case "LISTEN_ADDR": return listenAddress
        case "DATA_DIR": return dataDir
        case "GITHUB_API_URL": return githubAPIURL
        case "GITHUB_APP_ID", "GITHUB_APP_PRIVATE_KEY_FILE", "GITHUB_APP_INSTALLATION_ID":
            guard case .app(let appID, let keyPath, let installationID) = githubCredentials else { return "unset" }
            let values = [
                "GITHUB_APP_ID": appID, "GITHUB_APP_PRIVATE_KEY_FILE": keyPath,
                "GITHUB_APP_INSTALLATION_ID": installationID ?? "looked up per repository",
            ]
            return values[setting.name] ?? "unset"
        case "ARGOCD_URL": return argocdURL
        case "KUBERNETES_API_URL": return kubernetesAPIURL
        case "KUBERNETES_TOKEN_FILE": return kubernetesTokenFile ?? "unset"
        case "KUBERNETES_CA_FILE": return kubernetesCAFile ?? "unset"
        case "PROMETHEUS_URL": return prometheusURL ?? "unset (stability falls back to CI)"
        case "ALERTS_REPO": return alertsRepo
        case "APPROVERS": return approvers.isEmpty ? "none" : approvers.joined(separator: ",")
        case "APPROVER_TEAM": return approverTeam ?? "none"
        case "MONITORED_APPS":
            return monitoredApps.isEmpty ? "label ai-operator.enabled=true only" : monitoredApps.joined(separator: ",")
        case "STAGING_BRANCH": return stagingBranch
        case "PRODUCTION_BRANCH": return productionBranch
        case "MANIFEST_PATH": return manifestPath
        case "ALLOWED_MANIFEST_REPOS":
            return allowedManifestRepos.isEmpty
                ? "none (each app writes only to its own source repository)"
                : allowedManifestRepos.joined(separator: ",")
        case "LOG_LEVEL": return logLevel
        case "LOG_FORMAT": return logFormat
        case "AUDIT_LOG_STDOUT": return String(auditToStdout)
        default:
            switch setting.kind {
            case .seconds, .checks: return Setting.format(timing(setting.name))
            default: return "?"
            }
        }
    }

    private func secretIsSet(_ name: String) -> Bool {
        switch name {
        case "GITHUB_TOKEN":
            if case .token = githubCredentials { return true }
            return false
        case "SLACK_WEBHOOK_URL": return slackWebhookURL != nil
        default: return true  // the other secrets are required
        }
    }
}
