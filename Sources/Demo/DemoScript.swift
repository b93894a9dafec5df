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

        let s1 = env.seed(app: "checkout", environment: "staging")
        write(
            "Scenario 1 (staging): checkout runs \(short(s1.badRevision)) and degrades: 1/3 replicas available, 2 pods in CrashLoopBackOff."
        )
        let staging = await waitFor("checkout", within: scenarioTimeout) { $0 == .rollbackComplete || $0 == .abort }
        write("")

        let s2 = env.seed(app: "payments", environment: "production")
        write("Scenario 2 (production): payments runs \(short(s2.badRevision)) and degrades the same way.")
        _ = await waitFor("payments", within: scenarioTimeout) { $0 == .awaitingMergeApproval || $0 == .abort }
        if let pr = env.sims.github.pulls(repo: s2.gitopsRepo).first(where: { $0.state == "open" }) {
            // Give the operator a few polls to show it does not merge on its own.
            try? await Task.sleep(nanoseconds: 1_500_000_000)
            let merged = env.sims.github.pulls(repo: s2.gitopsRepo).contains { $0.merged }
            line(
                "payments",
                "still waiting for a human after CI passed: \(merged ? "MERGED (unexpected)" : "no merge without approval")"
            )
            _ = env.sims.github.addReview(
                repo: s2.gitopsRepo, number: pr.number, user: env.approver, state: "APPROVED",
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
        if let v = try? AuditVerifier.verify(directory: auditDir) {
            write(
                "Audit log \(auditDir): \(v.isValid ? "verified" : "BROKEN: \(v.problem.map { "\($0)" } ?? "")"), \(v.entriesChecked) hash-chained entries."
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
            if let s = state(app), done(s) { return s }
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
    func observe(_ r: StepReport) {
        guard !r.transition.isIgnored else { return }
        let attempt = r.machine.attempt ?? r.machine.lastAttempt
        lock.lock()
        reached[r.app] = r.transition.to
        var showCandidates = false
        if r.transition.to == .candidateResolved, let a = attempt, printedCandidates.insert(a.correlationId).inserted {
            showCandidates = true
        }
        var showInvariants: InvariantReport?
        if let report = attempt?.lastInvariants, printedInvariants[r.app] != report {
            printedInvariants[r.app] = report
            showInvariants = report
        }
        lock.unlock()

        // The invariants are evaluated before the decision they justify: print them first.
        if let inv = showInvariants {
            line(r.app, "safety invariants (\(inv.allPass ? "all PASS" : "not all PASS")):")
            for res in inv.results {
                write(
                    "             \(res.id.rawValue.padding(toLength: 22, withPad: " ", startingAt: 0)) \(res.outcome.rawValue)  \(res.evidence)"
                )
            }
        }
        if r.transition.from != r.transition.to {
            let reason = attempt?.history.last(where: { $0.to == r.transition.to })?.reason ?? r.transition.event
            line(r.app, "\(r.transition.from.rawValue) -> \(r.transition.to.rawValue): \(reason)")
            if r.transition.to == .prCreated, let pr = attempt?.pullRequest {
                line(r.app, "pull request #\(pr.number) \(pr.url) (branch \(pr.headBranch))")
            }
        }
        if showCandidates, let a = attempt {
            line(r.app, "candidates, newest first:")
            for c in a.candidates {
                write("             \(short(c.sha))  \(c.taken ? "TAKEN  " : "skipped")  \(c.reason)")
            }
        }
    }

    private func line(_ app: String, _ text: String) {
        let t = String(format: "%6.1fs", Date().timeIntervalSince(started))
        write("[\(t)] \(app.padding(toLength: 9, withPad: " ", startingAt: 0)) \(text)")
    }

    private func short(_ sha: String) -> String { String(sha.prefix(7)) }
}
