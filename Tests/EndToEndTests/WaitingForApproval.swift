import Demo
import Foundation
import Operator
import Simulator
import Testing

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
            let scenario = env.seed(app: app, environment: "production")
            let (watcher, logs) = try env.startWatched()
            let waiting = await watcher.wait(within: 60) {
                watcher.reached(app, .awaitingMergeApproval)
                    && watcher.last(app)?.machine.attempt?.escalationIssueURL != nil
            }
            try #require(waiting, watcher.brief(app, logs))
            let pr = try #require(env.sims.github.pulls(repo: scenario.gitopsRepo).first)
            let issue = try #require(env.escalationIssues("APPROVAL_REQUIRED").first)
            return WaitingForApproval(env: env, scenario: scenario, watcher: watcher, logs: logs, pr: pr, issue: issue)
        } catch {
            env.stop()
            throw error
        }
    }
}
