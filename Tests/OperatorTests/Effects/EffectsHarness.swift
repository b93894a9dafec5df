import Clients
import Foundation
import Logging
import Operator
import Simulator

@testable import RollbackCore

/// One transport for every effects test (one I/O thread, as in the service).
let effectsTransport = HTTPTransport(configuration: .init(connectTimeout: .seconds(2), requestTimeout: .seconds(10)))

/// The five simulators with the seeded incident (`acme/checkout` source, `acme/gitops`
/// GitOps repo, alerts in `acme/alerts`), real clients over HTTP whose retries are recorded
/// by a `RecordingSleeper` (never slept), and an `EffectRunner`.
final class EffectsHarness: @unchecked Sendable {
    static let githubToken = "ghp_effects_token_0123456789"
    static let alertsRepo = "acme/alerts"
    let sims: SimulatorSuite
    let scenario: SimulatorSuite.RollbackScenario
    let sleeper = RecordingSleeper()
    let sink = InMemoryCallSink()
    let context: ClientContext
    let github: GitHubClient
    let approvers: Approvers
    let runner: EffectRunner
    let app: MonitoredApp

    init(
        environment: String = "staging", prometheus: Bool = true, slack: Bool = true,
        approverLogins: [String] = ["Senior-SRE"], team: String? = "acme/sre"
    ) throws {
        sims = SimulatorSuite(githubToken: Self.githubToken)
        try sims.start()
        scenario = sims.seedRollbackScenario(environment: environment)
        sims.github.createRepository(Self.alertsRepo, files: ["README.md": "# alerts\n"])
        context = ClientContext(
            transport: effectsTransport, recorder: CallRecorder(sink: sink), sleeper: sleeper,
            userAgent: "ai-operator/effects-test")
        github = try GitHubClient(
            baseURL: sims.github.baseURL, credentials: .token(Secret(Self.githubToken)), context: context)
        let argocd = ArgoCDClient(baseURL: sims.argocd.baseURL, token: Secret("argocd-token"), context: context)
        let kubernetes = KubernetesClient(
            baseURL: sims.kubernetes.baseURL, credentials: .token(Secret("k8s-sa-token")), context: context)
        let prom = prometheus ? PrometheusClient(baseURL: sims.prometheus.baseURL, context: context) : nil
        let slackClient = slack ? SlackClient(webhookURL: Secret(sims.slackWebhookURL), context: context) : nil
        approvers = Approvers(github: github, logins: approverLogins, team: team)
        let env = DeploymentEnvironment(label: environment)
        app = MonitoredApp(
            info: ApplicationInfo(
                name: scenario.app, environment: env, manifestRepository: scenario.gitopsRepo,
                baseBranch: scenario.envBranch, manifestPath: scenario.manifestPath,
                sourceRepository: scenario.sourceRepo),
            sourceRepository: scenario.sourceRepo, sourceRepoURL: "https://github.com/\(scenario.sourceRepo).git",
            namespace: scenario.namespace, argoNamespace: "argocd", deployment: scenario.app)
        runner = EffectRunner(
            github: github, argocd: argocd, kubernetes: kubernetes, prometheus: prom, slack: slackClient,
            approvers: approvers,
            settings: EffectSettings(alertsRepo: Self.alertsRepo, configuration: Self.configuration),
            clock: { Date() }, logger: Logger(label: "effects-test"))
    }

    /// The core's defaults, with the scenario's GitOps repository allowed (its manifest lives
    /// outside the app's source repository, named by an annotation: SPEC 19).
    static var configuration: RollbackConfiguration {
        var configuration = RollbackConfiguration.default
        configuration.writePolicy.allowedRepositories = ["acme/gitops"]
        return configuration
    }

    func stop() { sims.stop() }

    var target: String { scenario.goodRevisions.last! }
    var branch: String { PullRequestRenderer.branch(app: app.name, targetSHA: target) }
    var gh: GitHubSimulator { sims.github }

    /// GitHub requests with `method` whose path ends with `suffix`.
    func requests(_ method: String, _ suffix: String) -> [LoggedRequest] {
        gh.requestLog.filter { $0.method == method && $0.path.hasSuffix(suffix) }
    }

    /// A fresh machine for this app.
    func newMachine() -> RollbackStateMachine { RollbackStateMachine(app: app.info, seed: 7) }

    /// A machine whose open attempt holds `pr`, opened by the operator (its head is the operator's
    /// commit), so that the merge rules under test are the ones that decide.
    func machine(holding pr: PullRequestRef) -> RollbackStateMachine {
        var machine = newMachine()
        var attempt = Attempt(
            correlationId: "cid-0001", createdAt: Date(), updatedAt: Date(), currentRevision: scenario.badRevision,
            confirmingChecks: [], lastCheck: nil)
        var operatorPR = pr
        operatorPR.operatorCommitSHA = pr.headSHA
        attempt.pullRequest = operatorPR
        machine.attempt = attempt
        machine.state = .awaitingMergeApproval
        return machine
    }

    /// The core's degraded check as the poller would report it now.
    var degradedCheck: HealthObservation {
        HealthObservation(
            health: .degraded, message: "exceeded its progress deadline", syncRevision: scenario.badRevision,
            replicas: ReplicaCounts(desired: 3, available: 1),
            unhealthyPods: [PodIssue(name: "\(app.name)-7d9f8b6c5d-fghij", reason: "CrashLoopBackOff")])
    }

    /// The plan the core would hand over for the seeded target.
    func plan(correlationId: String = "cid-0001") -> PullRequestPlan {
        PullRequestPlan(
            repository: scenario.gitopsRepo, baseBranch: scenario.envBranch, headBranch: branch,
            title: PullRequestRenderer.title(app: app.name, targetSHA: target, environment: app.info.environment),
            body: "Rollback body\n\nCorrelation ID: \(correlationId)\n",
            labels: PullRequestRenderer.labels(environment: app.info.environment), manifestPath: scenario.manifestPath,
            currentRevision: scenario.badRevision, targetRevision: target, correlationId: correlationId)
    }
}
