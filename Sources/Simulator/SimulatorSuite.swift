import Foundation

/// The five fakes together, each on its own `127.0.0.1:<free port>`.
///
/// ```swift
/// let sims = SimulatorSuite()
/// try sims.start()
/// defer { sims.stop() }
/// let s = sims.seedRollbackScenario()          // repo + manifest + commits + CI + Argo app + Deployment + uptime
/// // point the clients at sims.github.baseURL, sims.argocd.baseURL, ...
/// ```
public final class SimulatorSuite: Sendable {
    public let github: GitHubSimulator
    public let argocd: ArgoCDSimulator
    public let kubernetes: KubernetesSimulator
    public let prometheus: PrometheusSimulator
    public let slack: SlackSimulator

    public init(
        githubToken: String = "ghp_simulator_token", argocdToken: String = "argocd-token",
        kubernetesToken: String = "k8s-sa-token"
    ) {
        github = GitHubSimulator(tokens: [githubToken])
        argocd = ArgoCDSimulator(token: argocdToken)
        kubernetes = KubernetesSimulator(token: kubernetesToken)
        prometheus = PrometheusSimulator()
        slack = SlackSimulator()
    }

    var all: [SimulatedService] { [github, argocd, kubernetes, prometheus, slack] }

    /// Starts all five; on failure the ones already started are stopped again.
    public func start() throws {
        do { for service in all { try service.start() } } catch {
            stop()
            throw error
        }
    }

    public func stop() { for service in all { service.stop() } }

    /// Base URLs (`http://127.0.0.1:<port>`), keyed `github`, `argocd`, `kubernetes`, `prometheus`, `slack`.
    public var baseURLs: [String: String] {
        [
            "github": github.baseURL, "argocd": argocd.baseURL, "kubernetes": kubernetes.baseURL,
            "prometheus": prometheus.baseURL, "slack": slack.baseURL,
        ]
    }

    /// A Slack incoming-webhook URL on the Slack fake.
    public var slackWebhookURL: String { slack.baseURL + "/services/T000SIM/B000SIM/simulatorhook" }

    public struct RollbackScenario: Sendable {
        public let app: String
        public let environment: String
        public let namespace: String
        public let gitopsRepo: String
        public let sourceRepo: String
        public let envBranch: String
        public let manifestPath: String
        /// Source-repo commits deployed before the bad one, oldest first (CI green, uptime `goodUptime`).
        public let goodRevisions: [String]
        /// The revision deployed now (the degraded one).
        public let badRevision: String
    }

    /// The Argo CD `Application` manifest pinning `targetRevision` (comments and order as a human wrote them).
    public static func manifest(app: String, environment: String, namespace: String, repoURL: String, revision: String)
        -> String
    {
        """
        # Managed by GitOps. The operator may only change spec.source.targetRevision.
        apiVersion: argoproj.io/v1alpha1
        kind: Application
        metadata:
          name: \(app)
          namespace: argocd
          labels:
            environment: \(environment)
            ai-operator.enabled: "true"
        spec:
          project: default
          source:
            repoURL: \(repoURL)
            path: deploy
            targetRevision: \(revision)  # pinned commit
          destination:
            server: https://kubernetes.default.svc
            namespace: \(namespace)

        """
    }

    /// Scripts the standard incident: `sourceRepo` has `goodCommits` green, stable commits (one a
    /// day) and then a bad one; `gitopsRepo`'s `envBranch` (protected) pins the bad one in
    /// `manifestPath`; Argo CD deployed each in turn (history) and now reports `Degraded`; the
    /// Deployment has 1/3 available with crash-looping pods; Prometheus has 24 h uptime
    /// `goodUptime` for the good revisions and 0.42 for the bad one.
    @discardableResult
    public func seedRollbackScenario(
        app: String = "checkout", environment: String = "staging", namespace: String = "shop",
        gitopsRepo: String = "acme/gitops", sourceRepo: String = "acme/checkout",
        manifestPath: String = ".argocd/application.yaml", goodCommits: Int = 3,
        goodUptime: Double = 0.999, degraded: Bool = true, now: Date = Date()
    ) -> RollbackScenario {
        let envBranch = environment == "production" ? "main" : environment
        let repoURL = "https://github.com/\(sourceRepo).git"
        let day: TimeInterval = 86_400
        let start = now.addingTimeInterval(-day * Double(goodCommits + 2))
        github.createRepository(
            sourceRepo, defaultBranch: "main", files: ["README.md": "# \(app)\n", "VERSION": "0\n"],
            author: "dev-alice", date: start.addingTimeInterval(-day))
        var good: [String] = []
        for i in 1...max(1, goodCommits) {
            let sha = github.addCommit(
                repo: sourceRepo, branch: "main", files: ["VERSION": "\(i)\n"], message: "\(app): release \(i)",
                author: i % 2 == 0 ? "dev-bob" : "dev-alice", date: start.addingTimeInterval(day * Double(i - 1)))
            github.setCheckRun(repo: sourceRepo, sha: sha, name: "build", status: "completed", conclusion: "success")
            prometheus.setUptime(app: app, revision: sha, value: goodUptime)
            good.append(sha)
        }
        let bad = github.addCommit(
            repo: sourceRepo, branch: "main",
            files: ["VERSION": "\(good.count + 1)\n", "src/pool.conf": "max_connections = 0\n"],
            message: "\(app): tune connection pool", author: "dev-carol", date: now.addingTimeInterval(-3600))
        github.setCheckRun(repo: sourceRepo, sha: bad, name: "build", status: "completed", conclusion: "success")
        prometheus.setUptime(app: app, revision: bad, value: 0.42)

        let first = Self.manifest(
            app: app, environment: environment, namespace: namespace, repoURL: repoURL, revision: good[0])
        github.createRepository(
            gitopsRepo, defaultBranch: "main", files: [manifestPath: first, "README.md": "# gitops\n"],
            author: "platform-team", date: start.addingTimeInterval(-day))
        if envBranch != "main" { github.setBranch(repo: gitopsRepo, branch: envBranch, to: "main") }
        var deployedAt = start
        argocd.setApplication(
            name: app, labels: ["environment": environment, "ai-operator.enabled": "true"],
            annotations: [
                "ai-operator.io/deployment": app, "ai-operator.io/manifest-repo": gitopsRepo,
                "ai-operator.io/manifest-path": manifestPath,
            ], repoURL: repoURL, path: "deploy",
            targetRevision: good[0], namespace: namespace)
        for (position, sha) in (good + [bad]).enumerated() {
            if position > 0 {
                let text = Self.manifest(
                    app: app, environment: environment, namespace: namespace, repoURL: repoURL, revision: sha)
                github.addCommit(
                    repo: gitopsRepo, branch: envBranch, files: [manifestPath: text],
                    message: "deploy \(app) \(sha.prefix(7)) to \(environment)", author: "platform-team",
                    date: position == good.count
                        ? now.addingTimeInterval(-3000) : start.addingTimeInterval(day * Double(position - 1) + 600))
            }
            deployedAt =
                position == good.count
                ? now.addingTimeInterval(-2900) : start.addingTimeInterval(day * Double(position) + 700 - day)
            argocd.deploy(app: app, revision: sha, at: deployedAt)
        }
        github.protectBranch(
            repo: gitopsRepo, branch: envBranch, requiredReviews: environment == "production" ? 1 : 0,
            requiredChecks: [])
        if degraded {
            argocd.setHealth(
                app: app, status: "Degraded", message: "Deployment \"\(app)\" exceeded its progress deadline")
            kubernetes.setDeployment(
                namespace: namespace, name: app, desired: 3, available: 1, ready: 1, updated: 3, replicas: 3,
                progressDeadlineExceeded: true)
            kubernetes.setPods(
                namespace: namespace, app: app,
                pods: [
                    .healthy("\(app)-7d9f8b6c5d-abcde"),
                    .crashLooping("\(app)-7d9f8b6c5d-fghij", restarts: 7),
                    .crashLooping("\(app)-7d9f8b6c5d-klmno", restarts: 6),
                ])
        } else {
            kubernetes.setDeployment(namespace: namespace, name: app, desired: 3, available: 3)
            kubernetes.setPods(
                namespace: namespace, app: app, pods: (0..<3).map { .healthy("\(app)-7d9f8b6c5d-pod\($0)") })
        }
        return RollbackScenario(
            app: app, environment: environment, namespace: namespace, gitopsRepo: gitopsRepo,
            sourceRepo: sourceRepo, envBranch: envBranch, manifestPath: manifestPath,
            goodRevisions: good, badRevision: bad)
    }
}
