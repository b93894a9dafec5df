import Clients
import Foundation
import Simulator
import Testing

/// No request carries a secret in its URL; no call record, error description or log line
/// contains a configured (or minted) secret.
@Suite struct SecretsNeverLeakTests {
    @Test func secretsStayOutOfURLsRecordsErrorsAndLogs() async throws {
        let suite = SimulatorSuite(
            githubToken: "ghp_LEAKCHECK_pat_0123456789", argocdToken: "argo_LEAKCHECK_0123456789",
            kubernetesToken: "k8s_LEAKCHECK_0123456789")
        try suite.start()
        defer { suite.stop() }
        let scenario = suite.seedRollbackScenario()
        let keys = try #require(SimulatorCrypto.generateRSAKeyPair(bits: 2048))
        suite.github.configureApp(appID: 77, publicKeyPEM: keys.publicPEM, installationID: 12)

        let harness = Harness()
        let byToken = try GitHubClient(
            baseURL: suite.github.baseURL, credentials: .token(Secret("ghp_LEAKCHECK_pat_0123456789")),
            context: harness.context)
        let byApp = try GitHubClient(
            baseURL: suite.github.baseURL,
            credentials: .app(AppCredentials(appID: "77", privateKeyPEM: Secret(keys.privatePEM), installationID: 12)),
            context: harness.context)
        let argo = ArgoCDClient(
            baseURL: suite.argocd.baseURL, token: Secret("argo_LEAKCHECK_0123456789"), context: harness.context)
        let kube = KubernetesClient(
            baseURL: suite.kubernetes.baseURL, credentials: .token(Secret("k8s_LEAKCHECK_0123456789")),
            context: harness.context)
        let prom = PrometheusClient(baseURL: suite.prometheus.baseURL, context: harness.context)
        let slack = SlackClient(webhookURL: Secret(suite.slackWebhookURL), context: harness.context)

        var errors: [String] = []
        func attempt<T>(_ body: () async throws -> T) async {
            do { _ = try await body() } catch {
                errors.append(String(describing: error))
                errors.append("\(error)")
            }
        }
        // Successes, failures, retries, a rate limit, a 401 refresh.
        suite.github.faults.inject(.status(502), method: "GET", path: "/repos/\(scenario.gitopsRepo)/pulls", count: 1)
        suite.github.faults.inject(
            .rateLimit(status: 429, retryAfter: 1, resetIn: nil), method: "GET",
            path: "/repos/\(scenario.sourceRepo)/commits", count: 1)
        await attempt { try await byToken.getBranch(repo: scenario.gitopsRepo, branch: scenario.envBranch) }
        await attempt { try await byToken.listPullRequests(repo: scenario.gitopsRepo) }
        await attempt { try await byToken.listCommits(repo: scenario.sourceRepo, from: scenario.badRevision) }
        await attempt {
            try await byApp.getFile(repo: scenario.gitopsRepo, path: scenario.manifestPath, ref: scenario.envBranch)
        }
        suite.github.expireInstallationTokens()
        await attempt { try await byApp.checkRuns(repo: scenario.sourceRepo, ref: scenario.badRevision) }
        await attempt { try await byApp.getPullRequest(repo: scenario.gitopsRepo, number: 4242) }
        await attempt {
            try await byToken.putFile(
                repo: scenario.gitopsRepo, path: scenario.manifestPath, branch: scenario.envBranch, content: [1],
                message: "m", sha: nil)
        }
        await attempt { try await argo.getApplication(name: scenario.app) }
        await attempt {
            try await ArgoCDClient(
                baseURL: suite.argocd.baseURL, token: Secret("argo_LEAKCHECK_wrong_987654"), context: harness.context
            ).listApplications()
        }
        await attempt { try await kube.deploymentStatus(namespace: scenario.namespace, name: scenario.app) }
        await attempt { try await kube.deploymentStatus(namespace: scenario.namespace, name: "missing") }
        _ = await prom.instantQuery(#"up{app="\#(scenario.app)"}"#)
        await attempt { try await slack.post(text: "hello") }
        suite.slack.failNext(3, status: 500)
        await attempt { try await slack.post(text: "fails") }
        #expect(!errors.isEmpty)

        let secrets =
            [
                "ghp_LEAKCHECK", "argo_LEAKCHECK", "k8s_LEAKCHECK", "ghs_", "PRIVATE KEY", "T000SIM/B000SIM",
                "simulatorhook",
            ]
            + [String(keys.privatePEM.split(separator: "\n")[1])]

        // 1. URLs of every request every simulator received (Slack's URL is itself the secret).
        for service in [suite.github, suite.argocd, suite.kubernetes, suite.prometheus] as [SimulatedService] {
            for request in service.requestLog {
                let url = request.path + "?" + request.query.map { "\($0.key)=\($0.value)" }.joined(separator: "&")
                for secret in secrets { #expect(!url.contains(secret), "secret in URL \(url)") }
                // JWT and tokens travel only in the Authorization header.
                #expect(request.headers["authorization"]?.hasSuffix("<redacted>") ?? true)
            }
        }
        // 2. Call records, error descriptions, log lines.
        let records = harness.sink.records
        #expect(records.count >= 14)
        let encoded = String(decoding: try JSONEncoder().encode(records), as: UTF8.self)
        let texts = [encoded] + records.map { "\($0)" } + errors + harness.logs.current
        for text in texts {
            for secret in secrets {
                #expect(!text.contains(secret), "secret \(secret) leaked into: \(text.prefix(200))")
            }
        }
        // 3. Credential types describe themselves redacted.
        let descriptions = [
            "\(Secret("ghp_LEAKCHECK_x"))", "\(GitHubCredentials.token(Secret("ghp_LEAKCHECK_x")))",
            "\(AppCredentials(appID: "1", privateKeyPEM: Secret(keys.privatePEM), installationID: 1))",
            "\(KubernetesCredentials.token(Secret("k8s_LEAKCHECK_x")))", String(reflecting: Secret("ghp_LEAKCHECK_x")),
        ]
        for description in descriptions { for secret in secrets { #expect(!description.contains(secret)) } }
    }
}
