import Audit
import Foundation
import Logging
import Operator
import RollbackCore
import Simulator

/// The demo: a staging rollback (opened, checked, auto-merged, recovered) and a production one
/// (waits for a human; the demo approves as the simulated maintainer), printed as a timeline.
public final class DemoScript: @unchecked Sendable {
    // Safe: `printed` and `started` are only touched under `lock`.
    let env: DemoEnvironment
    let write: @Sendable (String) -> Void
    private let lock = NSLock()
    private var printedInvariants: [String: InvariantReport] = [:]
    private var printedCandidates: Set<String> = []
    private var reached: [String: RollbackState] = [:]
    private let started = Date()

    public init(env: DemoEnvironment, write: @escaping @Sendable (String) -> Void) {
        self.env = env
        self.write = write
    }

    public struct Outcome: Sendable {
        public var staging: RollbackState?
        public var production: RollbackState?
        public var succeeded: Bool { staging == .rollbackComplete && production == .rollbackComplete }
    }

    /// Plays both scenarios; `startService` must not have been called.
    public func run(logger: Logger, scenarioTimeout: Double = 90) async throws -> Outcome {
        let service = try env.startService(logger: logger, observer: { [weak self] in self?.observe($0) })
        let base = "http://127.0.0.1:\(service.port)"
        write(
            "ai-operator demo: the real service on \(base), against simulated GitHub, Argo CD, Kubernetes, Prometheus and Slack on loopback."
        )
        write("Timings are accelerated (poll every 0.2 s, 3 consecutive degraded checks confirm a degradation).")
        write("")

        let stagingScenario = env.seed(app: "checkout", environment: "staging")
        write(
            "Scenario 1 (staging): checkout runs \(short(stagingScenario.badRevision)) and degrades: 1/3 replicas available, 2 pods in CrashLoopBackOff."
        )
        let staging = await waitFor("checkout", within: scenarioTimeout) { $0 == .rollbackComplete || $0 == .abort }
        write("")

        let productionScenario = env.seed(app: "payments", environment: "production")
        write(
            "Scenario 2 (production): payments runs \(short(productionScenario.badRevision)) and degrades the same way."
        )
        _ = await waitFor("payments", within: scenarioTimeout) { $0 == .awaitingMergeApproval || $0 == .abort }
        if let pr = env.sims.github.pulls(repo: productionScenario.gitopsRepo).first(where: { $0.state == "open" }) {
            // Give the operator a few polls to show it does not merge on its own.
            try? await Task.sleep(nanoseconds: 1_500_000_000)
            let merged = env.sims.github.pulls(repo: productionScenario.gitopsRepo).contains { $0.merged }
            line(
                "payments",
                "still waiting for a human after CI passed: \(merged ? "MERGED (unexpected)" : "no merge without approval")"
            )
            _ = env.sims.github.addReview(
                repo: productionScenario.gitopsRepo, number: pr.number, user: env.approver, state: "APPROVED",
                commitID: pr.headSHA, body: "Rollback looks right.")
            line(
                "payments",
                "\(env.approver) (an authorized approver) approves PR #\(pr.number) at \(short(pr.headSHA)) on GitHub")
        }
        let production = await waitFor("payments", within: scenarioTimeout) { $0 == .rollbackComplete || $0 == .abort }
        write("")
        let outcome = Outcome(staging: staging, production: production)
        write(
            "Summary: checkout (staging) \(staging?.rawValue ?? "timed out"); payments (production) \(production?.rawValue ?? "timed out")."
        )
        write(
            "Slack messages sent: \(env.sims.slack.messages.count); escalation issues in \(env.alertsRepo): \(env.sims.github.issues(repo: env.alertsRepo).count)."
        )
        let auditDir = (env.dataDir as NSString).appendingPathComponent("audit")
        if let verification = try? AuditVerifier.verify(directory: auditDir) {
            write(
                "Audit log \(auditDir): \(verification.isValid ? "verified" : "BROKEN: \(verification.problem.map { "\($0)" } ?? "")"), \(verification.entriesChecked) hash-chained entries."
            )
        }
        write(
            "Try: curl \(base)/api/v1/applications | curl \(base)/api/v1/applications/payments | curl \(base)/metrics")
        return outcome
    }

    /// Waits (bounded) until `app` reaches a state accepted by `done`; returns that state.
    private func waitFor(_ app: String, within seconds: Double, _ done: (RollbackState) -> Bool) async -> RollbackState?
    {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let reachedState = state(app), done(reachedState) { return reachedState }
            try? await Task.sleep(nanoseconds: 50_000_000)
        }
        return nil
    }

    private func state(_ app: String) -> RollbackState? {
        lock.lock()
        defer { lock.unlock() }
        return reached[app]
    }

    /// Prints what matters of each step: state changes with their reason, the candidates
    /// when a target is chosen, the invariant table when it is evaluated.
    func observe(_ step: StepReport) {
        guard !step.transition.isIgnored else { return }
        let attempt = step.machine.attempt ?? step.machine.lastAttempt
        lock.lock()
        reached[step.app] = step.transition.to
        var showCandidates = false
        if step.transition.to == .candidateResolved, let attempt,
            printedCandidates.insert(attempt.correlationId).inserted
        {
            showCandidates = true
        }
        var showInvariants: InvariantReport?
        if let report = attempt?.lastInvariants, printedInvariants[step.app] != report {
            printedInvariants[step.app] = report
            showInvariants = report
        }
        lock.unlock()

        // The invariants are evaluated before the decision they justify: print them first.
        if let invariants = showInvariants {
            line(step.app, "safety invariants (\(invariants.allPass ? "all PASS" : "not all PASS")):")
            for result in invariants.results {
                write(
                    "             \(result.id.rawValue.padding(toLength: 22, withPad: " ", startingAt: 0)) \(result.outcome.rawValue)  \(result.evidence)"
                )
            }
        }
        if step.transition.from != step.transition.to {
            let reason = attempt?.history.last(where: { $0.to == step.transition.to })?.reason ?? step.transition.event
            line(step.app, "\(step.transition.from.rawValue) -> \(step.transition.to.rawValue): \(reason)")
            if step.transition.to == .prCreated, let pr = attempt?.pullRequest {
                line(step.app, "pull request #\(pr.number) \(pr.url) (branch \(pr.headBranch))")
            }
        }
        if showCandidates, let attempt {
            line(step.app, "candidates, newest first:")
            for candidate in attempt.candidates {
                write(
                    "             \(short(candidate.sha))  \(candidate.taken ? "TAKEN  " : "skipped")  \(candidate.reason)"
                )
            }
        }
    }

    private func line(_ app: String, _ text: String) {
        let elapsed = String(format: "%6.1fs", Date().timeIntervalSince(started))
        write("[\(elapsed)] \(app.padding(toLength: 9, withPad: " ", startingAt: 0)) \(text)")
    }

    private func short(_ sha: String) -> String { String(sha.prefix(7)) }
}
