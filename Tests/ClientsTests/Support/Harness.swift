import Clients
import Foundation
import Simulator

/// One transport (one I/O thread) for the whole test process, as in the service.
let sharedTransport = HTTPTransport(configuration: .init(connectTimeout: .seconds(2), requestTimeout: .seconds(10)))

final class RecordingMetrics: CallMetrics, @unchecked Sendable {
    let durations = Locked<[(String, Double)]>([])
    let errors = Locked<[String: Int]>([:])
    func observeDuration(callName: String, seconds: Double) { durations.withLock { $0.append((callName, seconds)) } }
    func countError(callName: String, errorCode: String) {
        errors.withLock { $0["\(callName)|\(errorCode)", default: 0] += 1 }
    }
}

/// A client context whose waits are recorded (never slept), with an in-memory audit sink,
/// recorded metrics and captured log lines.
final class Harness: Sendable {
    let sleeper = RecordingSleeper()
    let sink = InMemoryCallSink()
    let metrics = RecordingMetrics()
    let logs = Locked<[String]>([])
    let context: ClientContext

    init(retryPolicy: RetryPolicy = RetryPolicy()) {
        let logs = self.logs
        let recorder = CallRecorder(
            sink: sink, metrics: metrics, redactor: SecretRedactor(), log: { line in logs.withLock { $0.append(line) } }
        )
        context = ClientContext(
            transport: sharedTransport, recorder: recorder, sleeper: sleeper, retryPolicy: retryPolicy,
            userAgent: "ai-operator/test")
    }

    var delays: [Duration] { sleeper.delays }
    func last(_ name: String) -> CallRecord? { sink.records(named: name).last }
}

/// Catches the APIError a call throws (nil if it succeeded or threw something else).
func apiError<T>(_ body: () async throws -> T) async -> APIError? {
    do {
        _ = try await body()
        return nil
    } catch let apiError as APIError {
        return apiError
    } catch {
        return nil
    }
}

/// A started GitHub simulator with a GitOps repository (`acme/gitops`, branches `main` and
/// `staging`, a manifest) and a token client.
struct GitHubFixture {
    static let token = "ghp_contract_SECRET_0123456789"
    static let repo = "acme/gitops"
    static let manifest = ".argocd/application.yaml"
    let sim: GitHubSimulator
    let harness: Harness
    let client: GitHubClient
    let mainSHA: String

    init(retryPolicy: RetryPolicy = RetryPolicy(), rateLimit: RateLimitMonitor = RateLimitMonitor()) throws {
        sim = GitHubSimulator(tokens: [Self.token])
        try sim.start()
        mainSHA = sim.createRepository(
            Self.repo,
            files: [
                Self.manifest: "spec:\n  source:\n    targetRevision: aaaaaaa # pinned\n", "README.md": "# gitops\n",
            ])
        sim.setBranch(repo: Self.repo, branch: "staging", to: "main")
        sim.protectBranch(repo: Self.repo, branch: "staging")
        harness = Harness(retryPolicy: retryPolicy)
        client = try GitHubClient(
            baseURL: sim.baseURL, credentials: .token(Secret(Self.token)), context: harness.context,
            rateLimit: rateLimit)
    }

    func stop() { sim.stop() }
}
