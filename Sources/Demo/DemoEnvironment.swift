import Foundation
import Logging
import Operator
import RollbackCore
import Simulator

/// Simulated GitHub, Argo CD, Kubernetes, Prometheus and Slack, a stand-in for Argo CD's
/// controller, and the real operator service, all on loopback. The demo plays scenarios on
/// it; the end-to-end tests use it the same way (or start the real binary against it).
public final class DemoEnvironment: @unchecked Sendable {
    // Safe: `service` is only set by `startService`/`stopService`, called from one thread.
    public let sims = SimulatorSuite()
    public let controller: ArgoCDController
    public let dataDir: String
    public let webhookSecret = "demo-webhook-secret"
    public let apiToken = "demo-api-token-0123456789"
    public let approver = "sre-lead"
    public let alertsRepo = "acme/alerts"
    public let listen: String
    public private(set) var service: OperatorService?
    private let removeDataDir: Bool

    /// The accelerated timings the demo and tests run with (seconds).
    public static let fastTimings: [String: String] = [
        "POLL_INTERVAL_SEC": "0.2", "DEGRADATION_PERSISTENCE_CHECKS": "3", "HEALTH_RESTORATION_DURATION": "1",
        "CANDIDATE_SEARCH_TIMEOUT": "30", "PR_CREATION_TIMEOUT_SEC": "30", "CI_WAIT_TIMEOUT": "30",
        "CI_POLL_INTERVAL_SEC": "0.5", "REVIEW_POLL_INTERVAL_SEC": "0.5", "MERGE_APPROVAL_TIMEOUT": "120",
        "MERGEABLE_REREAD_DELAY_SEC": "0.2", "HEALTH_RECOVERY_TIMEOUT": "30", "COMPLETE_HOLD_SEC": "1",
        "HUMAN_REVIEW_PAGE_SEC": "60", "HUMAN_REVIEW_TIMEOUT_SEC": "300", "ROLLBACK_COOLDOWN_SEC": "5",
    ]

    /// - Parameters:
    ///   - listen: the service's address (`127.0.0.1:0` picks a free port).
    ///   - dataDir: where the service keeps its store and audit log (a fresh temporary one by default).
    public init(listen: String = "127.0.0.1:0", dataDir: String? = nil) throws {
        self.listen = listen
        controller = ArgoCDController(github: sims.github, argocd: sims.argocd, kubernetes: sims.kubernetes)
        if let dataDir {
            self.dataDir = dataDir
            removeDataDir = false
        } else {
            self.dataDir = NSTemporaryDirectory() + "ai-operator-demo-\(UUID().uuidString)"
            removeDataDir = true
        }
        try FileManager.default.createDirectory(atPath: self.dataDir, withIntermediateDirectories: true)
        try sims.start()
        sims.github.createRepository(alertsRepo, defaultBranch: "main")
        sims.github.setAutoCheckRun(branchPrefix: "rollback/", name: "ci", conclusion: "success", delay: 0.3)
        controller.start()
    }

    /// Seeds a degraded application (see `SimulatorSuite.seedRollbackScenario`) and lets the
    /// Argo CD stand-in sync it when its manifest changes.
    @discardableResult
    public func seed(app: String, environment: String, goodCommits: Int = 3) -> SimulatorSuite.RollbackScenario {
        let scenario = sims.seedRollbackScenario(
            app: app, environment: environment, namespace: "shop",
            gitopsRepo: "acme/gitops-\(app)", sourceRepo: "acme/\(app)", goodCommits: goodCommits)
        controller.track(scenario)
        return scenario
    }

    /// The configuration the service runs with, as environment variables.
    public func environment(port: Int? = nil, overrides: [String: String] = [:]) throws -> [String: String] {
        let tokenFile = (dataDir as NSString).appendingPathComponent("kubernetes-token")
        try "k8s-sa-token".write(toFile: tokenFile, atomically: true, encoding: .utf8)
        let urls = sims.baseURLs
        var env: [String: String] = [
            "LISTEN_ADDR": port.map { "127.0.0.1:\($0)" } ?? listen,
            "DATA_DIR": dataDir,
            "GITHUB_API_URL": urls["github"]!,
            "GITHUB_TOKEN": "ghp_simulator_token",
            "GITHUB_WEBHOOK_SECRET": webhookSecret,
            "ARGOCD_URL": urls["argocd"]!,
            "ARGOCD_TOKEN": "argocd-token",
            "ARGOCD_WEBHOOK_TOKEN": "demo-argocd-webhook-token",
            "KUBERNETES_API_URL": urls["kubernetes"]!,
            "KUBERNETES_TOKEN_FILE": tokenFile,
            "PROMETHEUS_URL": urls["prometheus"]!,
            "SLACK_WEBHOOK_URL": sims.slackWebhookURL,
            "ALERTS_REPO": alertsRepo,
            // The simulated apps keep their manifests in a GitOps repository of their own
            // organisation, named by an annotation: the write policy must allow it (SPEC 19).
            "ALLOWED_MANIFEST_REPOS": "acme/*",
            "APPROVERS": approver,
            "API_TOKEN": apiToken,
            "LOG_FORMAT": "text",
        ]
        env.merge(Self.fastTimings) { $1 }
        env.merge(overrides) { $1 }
        return env
    }

    /// Starts the real service in this process and points the GitHub simulator's webhooks at it.
    @discardableResult
    public func startService(
        overrides: [String: String] = [:], logger: Logger,
        observer: (@Sendable (StepReport) -> Void)? = nil
    ) throws -> OperatorService {
        let config = try OperatorConfig.load(from: ConfigSource(environment: try environment(overrides: overrides)))
        let startedService = OperatorService(config: config, logger: logger, observer: observer)
        try startedService.start()
        pointWebhooks(atPort: startedService.port)
        service = startedService
        return startedService
    }

    /// GitHub sends its deliveries to the service on `port`.
    public func pointWebhooks(atPort port: Int) {
        sims.github.configureWebhooks(url: "http://127.0.0.1:\(port)/webhooks/github", secret: webhookSecret)
    }

    public func stopService() {
        service?.stop()
        service = nil
    }

    public func stop() {
        stopService()
        controller.stop()
        sims.stop()
        if removeDataDir { try? FileManager.default.removeItem(atPath: dataDir) }
    }
}
