// The parts of the service that run once the store is open (clients, audit log, engine,
// poller, inbox router, maintenance), built, started and stopped together.
import Audit
import Clients
import Foundation
import Logging
import RollbackCore
import Storage
import Webhooks

/// Everything that runs once the store is open: clients, audit log, engine, poller, router.
final class RunningParts: Sendable {
    let transport: HTTPTransport
    let audit: AuditAdapter
    let engine: Engine
    let poller: Poller
    let router: InboxRouter
    let maintenance: Maintenance
    let tasks: TaskBox
    let github: GitHubClient
    let metrics: OperatorMetrics

    init(
        config: OperatorConfig, store: Store, metrics: OperatorMetrics, logger: Logger,
        clock: @escaping @Sendable () -> Date,
        observer: (@Sendable (StepReport) -> Void)?, auditMirror: (@Sendable (String) -> Void)?
    ) throws {
        let auditLog = try AuditLog(
            directory: (config.dataDir as NSString).appendingPathComponent("audit"), clock: clock,
            mirror: auditMirror, log: { logger.warning("\($0)") })
        audit = AuditAdapter(log: auditLog)
        // Argo CD lists every application in one answer: tens of MB for thousands of apps.
        transport = HTTPTransport(
            configuration: TransportConfiguration(
                caFile: config.kubernetesCAFile,
                maxResponseBytes: 64 * 1024 * 1024))
        let redactor = SecretRedactor(config.secrets.map(Secret.init))
        let recorder = CallRecorder(
            sink: audit, metrics: CallMetricsAdapter(metrics: metrics), redactor: redactor,
            log: { logger.notice("\($0)") })
        let context = ClientContext(
            transport: transport, recorder: recorder, sleeper: TaskSleeper(),
            userAgent: "ai-operator/\(OperatorVersion.current)")
        let credentials: Clients.GitHubCredentials
        switch config.githubCredentials {
        case .token(let token): credentials = .token(Secret(token))
        case .app(let id, let path, let installation):
            guard let installation, let number = Int(installation) else {
                throw ConfigError.missing("GITHUB_APP_INSTALLATION_ID", "the installation of the GitHub App to act as")
            }
            credentials = .app(try AppCredentials.load(appID: id, privateKeyFile: path, installationID: number))
        }
        let github = try GitHubClient(
            baseURL: config.githubAPIURL, credentials: credentials, context: context,
            rateLimit: RateLimitMonitor(onWarning: { b in
                logger.warning("GitHub rate-limit budget is low", metadata: ["remaining": "\(b.remaining)"])
            }))
        self.github = github
        self.metrics = metrics
        let argocd = ArgoCDClient(baseURL: config.argocdURL, token: Secret(config.argocdToken), context: context)
        let kubeCredentials: KubernetesCredentials
        if let file = config.kubernetesTokenFile {
            kubeCredentials = .tokenFile(file)
        } else if FileManager.default.fileExists(atPath: "/var/run/secrets/kubernetes.io/serviceaccount/token") {
            kubeCredentials = .tokenFile("/var/run/secrets/kubernetes.io/serviceaccount/token")
        } else {
            kubeCredentials = .none
        }
        let kubernetes = KubernetesClient(
            baseURL: config.kubernetesAPIURL, credentials: kubeCredentials,
            caFile: config.kubernetesCAFile, context: context)
        let prometheus = config.prometheusURL.map { PrometheusClient(baseURL: $0, context: context) }
        let slack = config.slackWebhookURL.map { SlackClient(webhookURL: Secret($0), context: context) }
        let approvers = Approvers(
            github: github, logins: config.approvers, team: config.approverTeam, clock: clock, logger: logger)
        let effects = EffectRunner(
            github: github, argocd: argocd, kubernetes: kubernetes, prometheus: prometheus, slack: slack,
            approvers: approvers,
            settings: EffectSettings(alertsRepo: config.alertsRepo, configuration: config.core),
            clock: clock, logger: logger)
        let engineStore = try EngineStore(store: store)
        // The stored quota ledger is loaded by `engine.recover()`, with the applications.
        let core = EngineCore(
            store: engineStore, effects: effects, audit: audit, metrics: metrics,
            configuration: config.core, clock: clock, logger: logger, quotas: QuotaLedger(),
            observer: observer)
        engine = Engine(core: core)
        poller = Poller(argocd: argocd, kubernetes: kubernetes, engine: engine, config: config, logger: logger)
        router = InboxRouter(
            inbox: store.inbox, engine: engine, effects: effects, approvers: approvers, poller: poller,
            alertsRepo: config.alertsRepo, logger: logger, clock: clock)
        let audit = self.audit
        maintenance = Maintenance(
            engine: engine, inbox: store.inbox, pruneAudit: { now in try await audit.prune(now: now) },
            prMaxAge: config.timing("ROLLBACK_PR_MAX_AGE_SEC"), logger: logger, clock: clock)
        tasks = TaskBox()
    }

    /// Recovery first (SPEC 13), then the poller and the inbox router.
    func start(logger: Logger) throws {
        let resumed = try engine.recover()
        logger.info("recovery done", metadata: ["resumed": "\(resumed)"])
        let poller = self.poller
        let router = self.router
        tasks.add(Task { await poller.run() })
        tasks.add(Task { await router.run() })
        let maintenance = self.maintenance
        tasks.add(Task { await maintenance.run() })
        let github = self.github
        let gauge = metrics.githubRateLimitRemaining
        tasks.add(
            Task {
                while !Task.isCancelled {
                    if let remaining = github.rateLimit.remaining { gauge.set([], Double(remaining)) }
                    try? await Task.sleep(nanoseconds: 5_000_000_000)
                }
            })
    }

    func stop() {
        router.stop()
        tasks.cancelAll()
        engine.stop()
        transport.shutdown()
        audit.close()
    }
}
