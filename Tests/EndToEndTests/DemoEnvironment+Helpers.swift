import Demo
import Foundation
import Operator
import Simulator

/// What the acceptance tests do to and read from a demo environment: seed the health of an
/// app, list escalation issues and rollback branches, start the service watched.
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
    func makeHealthy(_ scenario: SimulatorSuite.RollbackScenario) {
        sims.kubernetes.setDeployment(namespace: scenario.namespace, name: scenario.app, desired: 3, available: 3)
        sims.kubernetes.setPods(
            namespace: scenario.namespace, app: scenario.app, pods: (0..<3).map { .healthy("\(scenario.app)-ok-\($0)") }
        )
        sims.argocd.setHealth(app: scenario.app, status: "Healthy")
    }

    /// The service's port (it must be running).
    var servicePort: Int { service!.port }

    /// Makes the app degraded again: Argo CD `Degraded`, 1 of 3 replicas available.
    func makeDegraded(_ scenario: SimulatorSuite.RollbackScenario) {
        sims.kubernetes.setDeployment(
            namespace: scenario.namespace, name: scenario.app, desired: 3, available: 1, ready: 1, updated: 3,
            replicas: 3,
            progressDeadlineExceeded: true)
        sims.argocd.setHealth(
            app: scenario.app, status: "Degraded",
            message: "Deployment \"\(scenario.app)\" exceeded its progress deadline")
    }

    /// Starts the service with every step watched and its logs captured.
    func startWatched(overrides: [String: String] = [:]) throws -> (StepWatcher, LogOutput) {
        let watcher = StepWatcher()
        let logs = LogOutput(capturing: true)
        try startService(overrides: overrides, logger: capturingLogger(logs), observer: watcher.record)
        return (watcher, logs)
    }
}
