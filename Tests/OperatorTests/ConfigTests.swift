import Foundation
import Operator
import TestSupport
import Testing

@Suite struct ConfigTests {
    func load(_ env: [String: String], file: String? = nil) throws -> OperatorConfig {
        var source = ConfigSource(environment: env)
        if let file {
            let dir = TemporaryDirectory("cfg")
            defer { dir.remove() }
            let path = dir.path + "/config.yaml"
            try file.write(toFile: path, atomically: true, encoding: .utf8)
            source = try ConfigSource.load(environment: env, configFile: path)
        }
        return try OperatorConfig.load(from: source)
    }

    @Test func defaultsFollowTheSpec() throws {
        let config = try load(baseEnvironment(dataDir: "/d"))
        #expect(config.stagingBranch == "staging")
        #expect(config.productionBranch == "main")
        #expect(config.manifestPath == ".argocd/application.yaml")
        #expect(config.githubAPIURL == "https://api.github.com")
        #expect(config.timing("POLL_INTERVAL_SEC") == 10)
        #expect(config.timing("CI_WAIT_TIMEOUT") == 300)
        #expect(config.timing("ROLLBACK_COOLDOWN_SEC") == 600)
        #expect(config.timing("HUMAN_REVIEW_TIMEOUT_SEC") == 14400)
        #expect(config.logFormat == "json")
    }

    @Test func durationsAcceptDecimals() throws {
        var env = baseEnvironment(dataDir: "/d")
        env["POLL_INTERVAL_SEC"] = "0.2"
        #expect(try load(env).timing("POLL_INTERVAL_SEC") == 0.2)
        for bad in ["0", "-1", "abc", "inf"] {
            env["POLL_INTERVAL_SEC"] = bad
            #expect(throws: ConfigError.invalid("POLL_INTERVAL_SEC", "expected a positive number of seconds")) {
                try load(env)
            }
        }
    }

    @Test func secretsCanComeFromFilesAndTheTrailingNewlineIsNotPartOfThem() throws {
        let dir = TemporaryDirectory("secrets")
        defer { dir.remove() }
        try "from-a-file-secret\n".write(toFile: dir.path + "/s", atomically: true, encoding: .utf8)
        var env = baseEnvironment(dataDir: "/d")
        env["GITHUB_WEBHOOK_SECRET"] = nil
        env["GITHUB_WEBHOOK_SECRET_FILE"] = dir.path + "/s"
        #expect(try load(env).githubWebhookSecret == "from-a-file-secret")
        env["GITHUB_WEBHOOK_SECRET_FILE"] = dir.path + "/missing"
        #expect(throws: ConfigError.unreadable("GITHUB_WEBHOOK_SECRET_FILE", dir.path + "/missing")) { try load(env) }
    }

    @Test func theEnvironmentWinsOverTheConfigFile() throws {
        var env = baseEnvironment(dataDir: "/d")
        env["API_TOKEN"] = nil
        env["STAGING_BRANCH"] = "stage"
        let config = try load(
            env,
            file: """
                # comment
                API_TOKEN: "file-token-0123456789"
                STAGING_BRANCH: from-file
                APPROVERS: alice, bob
                POLL_INTERVAL_SEC: 5 # seconds
                """)
        #expect(config.apiToken == "file-token-0123456789")
        #expect(config.stagingBranch == "stage")
        #expect(config.approvers == ["alice", "bob"])
        #expect(config.timing("POLL_INTERVAL_SEC") == 5)
    }

    @Test func configFileMistakesNameTheLine() throws {
        let env = baseEnvironment(dataDir: "/d")
        #expect(throws: ConfigError.syntax("", 2, "nested values are not supported; use flat KEY: value lines").self) {
            _ = try FlatYAMLProbe.parse("A: b\n  nested: x\n")
        }
        #expect(throws: ConfigError.invalid("NOT_A_SETTING", "unknown setting in the config file").self) {
            var environment = env
            environment["X"] = nil
            _ = try OperatorConfig.load(from: ConfigSource(environment: environment, file: ["NOT_A_SETTING": "1"]))
        }
    }

    @Test func githubAppCredentialsNeedAReadableKey() throws {
        var env = baseEnvironment(dataDir: "/d")
        env["GITHUB_TOKEN"] = nil
        env["GITHUB_APP_ID"] = "12345"
        #expect(throws: ConfigError.missing("GITHUB_APP_PRIVATE_KEY_FILE", "a GitHub App needs its private key file")) {
            try load(env)
        }
        env["GITHUB_APP_PRIVATE_KEY_FILE"] = "/nonexistent/key.pem"
        #expect(throws: ConfigError.unreadable("GITHUB_APP_PRIVATE_KEY_FILE", "/nonexistent/key.pem")) { try load(env) }
        let dir = TemporaryDirectory("key")
        defer { dir.remove() }
        try "-----BEGIN PRIVATE KEY-----\n".write(toFile: dir.path + "/k.pem", atomically: true, encoding: .utf8)
        env["GITHUB_APP_PRIVATE_KEY_FILE"] = dir.path + "/k.pem"
        #expect(
            throws: ConfigError.missing("GITHUB_APP_INSTALLATION_ID", "the installation of the GitHub App to act as")
        ) { try load(env) }
        env["GITHUB_APP_INSTALLATION_ID"] = "42"
        #expect(
            try load(env).githubCredentials
                == .app(appID: "12345", privateKeyPath: dir.path + "/k.pem", installationID: "42"))
    }

    @Test func invalidValuesAreRefusedWithoutEchoingSecrets() throws {
        var env = baseEnvironment(dataDir: "/d")
        env["SLACK_WEBHOOK_URL"] = "hooks.slack.com/services/T000/B000/SECRETPART"
        do {
            _ = try load(env)
            Issue.record("an invalid Slack URL was accepted")
        } catch {
            #expect(!"\(error)".contains("SECRETPART"))
            #expect("\(error)".contains("SLACK_WEBHOOK_URL"))
        }
        env["SLACK_WEBHOOK_URL"] = nil
        env["ALERTS_REPO"] = "no-slash"
        #expect(throws: ConfigError.invalid("ALERTS_REPO", "expected owner/name")) { try load(env) }
        env["ALERTS_REPO"] = "acme/alerts"
        env["LISTEN_ADDR"] = "8080"
        #expect(throws: ConfigError.invalid("LISTEN_ADDR", "expected host:port, e.g. 0.0.0.0:8080")) { try load(env) }
    }

    @Test func inClusterKubernetesIsUsedWhenNoURLIsGiven() throws {
        var env = baseEnvironment(dataDir: "/d")
        env["KUBERNETES_API_URL"] = nil
        env["KUBERNETES_SERVICE_HOST"] = "10.0.0.1"
        env["KUBERNETES_SERVICE_PORT"] = "443"
        #expect(try load(env).kubernetesAPIURL == "https://10.0.0.1:443")
    }

    @Test func redactedSummaryNeverContainsASecret() throws {
        let config = try load(baseEnvironment(dataDir: "/d"))
        let text = config.redactedSummary.map { "\($0.0)=\($0.1)" }.joined(separator: "\n")
        for secret in config.secrets { #expect(!text.contains(secret)) }
        #expect(text.contains("ALERTS_REPO=acme/alerts"))
    }
}

/// The flat YAML reader is internal; this probe reaches it through the public loader.
enum FlatYAMLProbe {
    static func parse(_ text: String) throws -> [String: String] {
        let dir = TemporaryDirectory("yaml")
        defer { dir.remove() }
        let path = dir.path + "/config.yaml"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        do {
            return try ConfigSource.load(environment: [:], configFile: path).file
        } catch let ConfigError.syntax(_, line, why) {
            throw ConfigError.syntax("", line, why)
        }
    }
}
