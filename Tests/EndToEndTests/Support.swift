import Demo
import Foundation
import Logging
import Operator
import RollbackCore
import Simulator
import TestSupport
import Testing

/// Collects every step of every app (from the service's observer) and waits, bounded, for
/// conditions on them.
final class StepWatcher: @unchecked Sendable {
    // Safe: `reports` is only touched under `lock`.
    private let lock = NSLock()
    private var reports: [StepReport] = []

    func record(_ r: StepReport) {
        lock.lock()
        reports.append(r)
        lock.unlock()
    }

    var all: [StepReport] {
        lock.lock()
        defer { lock.unlock() }
        return reports
    }

    func states(_ app: String) -> [RollbackState] {
        var out: [RollbackState] = []
        for r in all where r.app == app && r.transition.from != r.transition.to && !r.transition.isIgnored {
            if out.isEmpty { out.append(r.transition.from) }
            out.append(r.transition.to)
        }
        return out
    }

    func reached(_ app: String, _ state: RollbackState) -> Bool {
        all.contains { $0.app == app && $0.transition.to == state && !$0.transition.isIgnored }
    }

    func last(_ app: String) -> StepReport? { all.last { $0.app == app } }

    /// Polls every 20 ms until `condition` holds or `seconds` pass.
    func wait(within seconds: Double, _ condition: () -> Bool) async -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            try? await Task.sleep(nanoseconds: 20_000_000)
        }
        return condition()
    }
}

/// A logger whose lines are kept (printed only when asked), so test output stays readable.
func capturingLogger(_ output: LogOutput) -> Logger {
    Logger(label: "e2e") { OperatorLogHandler(label: $0, level: .info, json: false, output: output) }
}

// MARK: - Helpers added for the acceptance tests

extension StepWatcher {
    /// Applied health checks the engine processed for `app`.
    func healthChecks(_ app: String) -> [StepReport] {
        all.filter { $0.app == app && $0.transition.event == "HealthChecked" && !$0.transition.isIgnored }
    }

    /// Steps for `app` whose event name starts with `prefix` (applied or ignored).
    func steps(_ app: String, event prefix: String) -> [StepReport] {
        all.filter { $0.app == app && $0.transition.event.hasPrefix(prefix) }
    }

    /// The state `app` is in after its last step.
    func state(_ app: String) -> RollbackState? { last(app)?.machine.state }

    /// Bounded observation: waits until `enough` holds (e.g. N more poll cycles were seen),
    /// failing early if `invariant` stops holding. True when `invariant` held throughout and
    /// `enough` was reached within `seconds`.
    func holds(_ invariant: () -> Bool, until enough: () -> Bool, within seconds: Double) async -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            guard invariant() else { return false }
            if enough() { return invariant() }
            try? await Task.sleep(nanoseconds: 20_000_000)
        }
        return false
    }
}

extension DemoEnvironment {
    /// Issues in the alerts repository whose body names `code` (`Reason code: <CODE>`).
    func escalationIssues(_ code: String) -> [GitHubSimulator.IssueInfo] {
        sims.github.issues(repo: alertsRepo).filter { ($0.body ?? "").contains("Reason code: \(code)") }
    }

    /// Every escalation issue (any code) in the alerts repository.
    var allEscalationIssues: [GitHubSimulator.IssueInfo] { sims.github.issues(repo: alertsRepo) }

    /// Branches of `repo` under `rollback/`.
    func rollbackBranches(_ repo: String) -> [String] {
        sims.github.branches(repo: repo).keys.filter { $0.hasPrefix("rollback/") }.sorted()
    }

    /// Requests the GitHub simulator saw with `method` on exactly `path`.
    func githubRequests(_ method: String, _ path: String) -> [LoggedRequest] {
        sims.github.requestLog.filter { $0.method == method && $0.path == path }
    }

    /// Makes the app Healthy: Argo CD `Healthy` and every replica available.
    func makeHealthy(_ s: SimulatorSuite.RollbackScenario) {
        sims.kubernetes.setDeployment(namespace: s.namespace, name: s.app, desired: 3, available: 3)
        sims.kubernetes.setPods(namespace: s.namespace, app: s.app, pods: (0..<3).map { .healthy("\(s.app)-ok-\($0)") })
        sims.argocd.setHealth(app: s.app, status: "Healthy")
    }

    /// The service's port (it must be running).
    var servicePort: Int { service!.port }
}

/// One HTTP request to the service on a dedicated thread (the blocking `RawHTTP` never runs
/// on Swift's cooperative pool); the continuation resumes when it answers.
func httpRequest(
    port: Int, _ method: String, _ path: String, token: String? = nil,
    body: [UInt8] = [], timeout: Double = 15
) async throws -> RawHTTPResponse {
    var headers: [(String, String)] = []
    if let token { headers.append(("Authorization", "Bearer \(token)")) }
    if !body.isEmpty { headers.append(("Content-Type", "application/json")) }
    let h = headers
    return try await withCheckedThrowingContinuation { (c: CheckedContinuation<RawHTTPResponse, Error>) in
        let t = Thread {
            c.resume(
                with: Result {
                    try RawHTTP.request(
                        port: port, method: method, path: path, headers: h, body: body, timeout: timeout)
                })
        }
        t.start()
    }
}

extension DemoEnvironment {
    /// Makes the app degraded again: Argo CD `Degraded`, 1 of 3 replicas available.
    func makeDegraded(_ s: SimulatorSuite.RollbackScenario) {
        sims.kubernetes.setDeployment(
            namespace: s.namespace, name: s.app, desired: 3, available: 1, ready: 1, updated: 3, replicas: 3,
            progressDeadlineExceeded: true)
        sims.argocd.setHealth(
            app: s.app, status: "Degraded", message: "Deployment \"\(s.app)\" exceeded its progress deadline")
    }
}

extension DemoEnvironment {
    /// Starts the service with every step watched and its logs captured.
    func startWatched() throws -> (StepWatcher, LogOutput) {
        let watcher = StepWatcher()
        let logs = LogOutput(capturing: true)
        try startService(logger: capturingLogger(logs), observer: watcher.record)
        return (watcher, logs)
    }
}

extension StepWatcher {
    /// What a failed wait prints: the app's states and the last log lines.
    func brief(_ app: String, _ logs: LogOutput) -> Comment {
        Comment(rawValue: "states: \(states(app)); logs: \(logs.captured.suffix(15).joined(separator: "\n"))")
    }
}

/// A production attempt of one app waiting in `AwaitingMergeApproval` with its
/// approval-request issue open: the start of the ChatOps and approval tests. The caller stops
/// `env`.
struct WaitingForApproval {
    let env: DemoEnvironment
    let scenario: SimulatorSuite.RollbackScenario
    let watcher: StepWatcher
    let logs: LogOutput
    let pr: GitHubSimulator.PullRequestInfo
    let issue: GitHubSimulator.IssueInfo

    static func start(app: String) async throws -> WaitingForApproval {
        let env = try DemoEnvironment()
        do {
            let s = env.seed(app: app, environment: "production")
            let (watcher, logs) = try env.startWatched()
            let waiting = await watcher.wait(within: 60) {
                watcher.reached(app, .awaitingMergeApproval)
                    && watcher.last(app)?.machine.attempt?.escalationIssueURL != nil
            }
            try #require(waiting, watcher.brief(app, logs))
            let pr = try #require(env.sims.github.pulls(repo: s.gitopsRepo).first)
            let issue = try #require(env.escalationIssues("APPROVAL_REQUIRED").first)
            return WaitingForApproval(env: env, scenario: s, watcher: watcher, logs: logs, pr: pr, issue: issue)
        } catch {
            env.stop()
            throw error
        }
    }
}
