import Demo
import Foundation
import Operator
import RollbackCore
import Simulator
import Testing

/// What starts an attempt and what must not: flapping, many apps at once, Argo CD down,
/// `Unknown` health.
@Suite struct DetectionTests {
    /// An app whose health alternates between polls (Degraded, Healthy, Degraded, ...) for
    /// 24 checks never becomes persistent: no attempt, no branch, no PR.
    @Test func flappingAppNeverGetsAPR() async throws {
        let env = try DemoEnvironment()
        defer { env.stop() }
        let app = "flappy"
        let scenario = env.seed(app: app, environment: "staging")
        let watcher = StepWatcher()
        let cycles = 24
        let flipped = Counter()
        // After each check the engine processed, show the opposite health to the next poll.
        let observer: @Sendable (StepReport) -> Void = { report in
            watcher.record(report)
            guard report.app == app, report.transition.event == "HealthChecked", !report.transition.isIgnored else {
                return
            }
            let checks = flipped.increment()
            let sawDegraded = report.machine.window.recent.last?.degraded ?? false
            if checks >= cycles || sawDegraded { env.makeHealthy(scenario) } else { env.makeDegraded(scenario) }
        }
        let logs = LogOutput(capturing: true)
        try env.startService(logger: capturingLogger(logs), observer: observer)

        let never = await watcher.holds(
            {
                watcher.states(app).isEmpty && env.sims.github.pulls(repo: scenario.gitopsRepo).isEmpty
                    && env.rollbackBranches(scenario.gitopsRepo).isEmpty
            }, until: { watcher.healthChecks(app).count >= cycles + 5 }, within: 40)
        #expect(
            never, "states: \(watcher.states(app)), pulls: \(env.sims.github.pulls(repo: scenario.gitopsRepo).count)")
        // The app really flapped: many degraded checks, never three in a row.
        let degraded = watcher.healthChecks(app).map { $0.machine.window.recent.last?.degraded ?? false }
        #expect(degraded.filter { $0 }.count >= cycles / 3, "checks: \(degraded)")
        var run = 0
        var longest = 0
        for wasDegraded in degraded {
            run = wasDegraded ? run + 1 : 0
            longest = max(longest, run)
        }
        #expect(longest < 3, "checks: \(degraded)")
        #expect(!watcher.reached(app, .degradationDetected))
    }

    /// Five staging apps degrading together: five independent attempts, five PRs in five
    /// repositories, five merges, five `RollbackComplete`.
    @Test func fiveAppsDegradingTogetherGetFiveAttempts() async throws {
        let env = try DemoEnvironment()
        defer { env.stop() }
        let names = ["alpha", "bravo", "charlie", "delta", "echo"]
        let scenarios = names.map { env.seed(app: $0, environment: "staging") }
        let (watcher, logs) = try env.startWatched()

        let done = await watcher.wait(within: 90) { names.allSatisfy { watcher.reached($0, .rollbackComplete) } }
        #expect(
            done,
            "states: \(names.map { "\($0): \(watcher.states($0))" }); logs: \(logs.captured.suffix(15).joined(separator: "\n"))"
        )
        var ids: Set<String> = []
        for scenario in scenarios {
            let pulls = env.sims.github.pulls(repo: scenario.gitopsRepo)
            #expect(pulls.count == 1, "\(scenario.app): \(pulls.count) PRs")
            #expect(pulls.first?.merged == true, "\(scenario.app)")
            #expect(pulls.first?.headRef == "rollback/\(scenario.app)-\(scenario.goodRevisions.last!.prefix(7))")
            #expect(
                watcher.states(scenario.app).prefix(7) == [
                    .idle, .degradationDetected, .candidateResolved, .prCreated,
                    .awaitingMergeApproval, .rollbackMerged, .rollbackComplete,
                ], "\(scenario.app)")
            if let id = watcher.steps(scenario.app, event: "AutoMergeAllowed").first?.correlationId { ids.insert(id) }
        }
        #expect(ids.count == 5)
        #expect(env.sims.github.merges.count == 5)
        #expect(Set(env.sims.github.merges.map { $0.repo.lowercased() }).count == 5)
    }

    /// Argo CD answers 503 to every read from the app's first check on: no check is
    /// degraded, no PR; after 3 failed list calls the app is escalated once
    /// (`ARGOCD_UNREACHABLE`).
    @Test func argoCDUnreachableNeverLeadsToAPR() async throws {
        let env = try DemoEnvironment()
        defer { env.stop() }
        let app = "inventory"
        let scenario = env.seed(app: app, environment: "staging")
        let watcher = StepWatcher()
        let once = Counter()
        let observer: @Sendable (StepReport) -> Void = { report in
            watcher.record(report)
            if report.app == app, report.transition.event == "HealthChecked", once.increment() == 1 {
                env.sims.argocd.faults.inject(.status(503), method: "GET", path: "/api/v1/applications", count: nil)
            }
        }
        let logs = LogOutput(capturing: true)
        try env.startService(logger: capturingLogger(logs), observer: observer)

        let alerted = await watcher.holds(
            {
                watcher.states(app).isEmpty && env.sims.github.pulls(repo: scenario.gitopsRepo).isEmpty
                    && env.rollbackBranches(scenario.gitopsRepo).isEmpty
            }, until: { env.escalationIssues("ARGOCD_UNREACHABLE").count == 1 }, within: 60)
        #expect(
            alerted,
            "states: \(watcher.states(app)), issues: \(env.allEscalationIssues.map(\.title)); logs: \(logs.captured.suffix(10).joined(separator: "\n"))"
        )
        let failed = watcher.all.filter { $0.app == app && $0.transition.event == "HealthChecked" }
            .compactMap { $0.machine.window.recent.last }.filter(\.observation.argoReadFailed)
        #expect(failed.count >= 3)
        #expect(env.sims.argocd.requestLog.filter { $0.status == 503 }.count >= 3)
        // At most the one check before the fault was degraded.
        #expect(watcher.healthChecks(app).filter { $0.machine.window.recent.last?.degraded == true }.count <= 2)
        #expect(env.escalationIssues("ARGOCD_UNREACHABLE").count == 1)
        #expect(env.sims.github.pulls(repo: scenario.gitopsRepo).isEmpty)
    }

    /// An app whose Argo CD health is `Unknown` never gets a PR, and gets exactly one
    /// escalation issue (`HEALTH_UNKNOWN`) however many polls see it.
    @Test func unknownHealthEscalatesOnceAndNeverGetsAPR() async throws {
        let env = try DemoEnvironment()
        defer { env.stop() }
        let app = "blindspot"
        let scenario = env.seed(app: app, environment: "staging")
        env.sims.argocd.setHealth(app: app, status: "Unknown", message: "cluster unreachable")
        let (watcher, logs) = try env.startWatched()

        let escalated = await watcher.wait(within: 30) { env.escalationIssues("HEALTH_UNKNOWN").count == 1 }
        #expect(
            escalated,
            "issues: \(env.allEscalationIssues.map(\.title)); logs: \(logs.captured.suffix(10).joined(separator: "\n"))"
        )
        let checks = watcher.healthChecks(app).count
        let quiet = await watcher.holds(
            {
                watcher.states(app).isEmpty && env.sims.github.pulls(repo: scenario.gitopsRepo).isEmpty
                    && env.rollbackBranches(scenario.gitopsRepo).isEmpty
                    && env.escalationIssues("HEALTH_UNKNOWN").count == 1
            }, until: { watcher.healthChecks(app).count >= checks + 15 }, within: 30)
        #expect(quiet, "states: \(watcher.states(app)), issues: \(env.allEscalationIssues.map(\.title))")
        #expect(env.allEscalationIssues.count == 1)
        #expect(env.sims.github.merges.isEmpty)

        // The episode ends once the condition has been gone for HEALTH_RESTORATION_DURATION:
        // the issue is closed with a comment.
        env.makeHealthy(scenario)
        let closed = await watcher.wait(within: 30) { env.escalationIssues("HEALTH_UNKNOWN").first?.state == "closed" }
        #expect(closed)
        let number = try #require(env.escalationIssues("HEALTH_UNKNOWN").first?.number)
        #expect(!env.sims.github.comments(repo: env.alertsRepo, issue: number).isEmpty)
        #expect(env.allEscalationIssues.count == 1)
    }
}

extension DetectionTests {
    /// A healthy app is checked through Argo CD alone (Kubernetes is read only for `Degraded`
    /// apps): its checks are not Kubernetes read failures, and the audit log does not say so.
    @Test func healthyAppIsNotReportedAsAKubernetesReadFailure() async throws {
        let env = try DemoEnvironment()
        defer { env.stop() }
        let app = "steady"
        let scenario = env.seed(app: app, environment: "staging")
        env.makeHealthy(scenario)
        let (watcher, logs) = try env.startWatched()

        let polled = await watcher.wait(within: 30) { watcher.healthChecks(app).count >= 10 }
        #expect(polled)
        #expect(env.sims.kubernetes.requestLog.isEmpty)
        env.stopService()
        let dir = (env.dataDir as NSString).appendingPathComponent("audit")
        var lines: [String] = []
        for fileName in try FileManager.default.contentsOfDirectory(atPath: dir) where fileName.hasSuffix(".jsonl") {
            lines += try String(contentsOfFile: (dir as NSString).appendingPathComponent(fileName), encoding: .utf8)
                .split(separator: "\n").map(String.init)
        }
        let claims = lines.filter { $0.contains("Kubernetes read for \(app) failed") }
        #expect(
            claims.isEmpty,
            "\(claims.count) of \(lines.count) audit lines claim a failed Kubernetes read, e.g. \(claims.first ?? "")")
        #expect(watcher.states(app).isEmpty)
    }
}

/// A thread-safe counter for observers.
final class Counter: @unchecked Sendable {
    // Safe: `count` is only touched under `lock`.
    private let lock = NSLock()
    private var count = 0
    /// Adds one; returns the new value.
    @discardableResult func increment() -> Int {
        lock.lock()
        defer { lock.unlock() }
        count += 1
        return count
    }
    var value: Int {
        lock.lock()
        defer { lock.unlock() }
        return count
    }
}
