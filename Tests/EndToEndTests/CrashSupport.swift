import Demo
import Foundation
import Simulator
import TestSupport
import Testing

/// One crash scenario: the simulators, one degraded staging app, and the real `serve` binary
/// on a fixed port and data dir that survive the kill.
final class CrashScenario: @unchecked Sendable {
    // Safe: used from one test task at a time.
    let env: DemoEnvironment
    let scenario: SimulatorSuite.RollbackScenario
    let app: String
    private(set) var binary: CrashBinary?
    private(set) var port = 0
    /// Every binary's output, for failure messages.
    private var logs: [String] = []
    private(set) var kills = 0

    /// Extra configuration of every binary run (e.g. a longer `COMPLETE_HOLD_SEC`).
    let overrides: [String: String]

    init(app: String, environment: String = "staging", overrides: [String: String] = [:]) throws {
        self.app = app
        self.overrides = overrides
        env = try DemoEnvironment()
        scenario = env.seed(app: app, environment: environment)
    }

    var github: GitHubSimulator { env.sims.github }

    /// Starts `ai-operator serve` (the first time on a free port, after that on the same one)
    /// and points GitHub's webhooks at it.
    func start() async throws {
        let launched = try CrashBinary(
            arguments: ["serve"], environment: try env.environment(port: port, overrides: overrides))
        binary = launched
        guard let readyPort = await launched.waitForReady() else {
            logs.append(launched.text)
            await launched.kill9()
            throw CrashTestError("the binary did not become ready:\n\(launched.text.suffix(3000))")
        }
        if port == 0 {
            port = readyPort
            env.pointWebhooks(atPort: readyPort)
        }
        #expect(readyPort == port)
    }

    /// SIGKILL of the running binary.
    func kill9() async {
        guard let running = binary else { return }
        await running.kill9()
        logs.append(running.text)
        binary = nil
        kills += 1
    }

    /// Stops the running binary (SIGTERM). Idempotent.
    func stopBinary() async {
        if let running = binary {
            await running.terminate()
            logs.append(running.text)
            binary = nil
        }
    }

    /// Stops the binary, then runs the real `ai-operator audit verify <DATA_DIR>/audit`:
    /// the hash chain written across the crashes must verify.
    func expectAuditVerifies(_ point: String) async throws {
        await stopBinary()
        let verify = try CrashBinary(
            arguments: ["audit", "verify", (env.dataDir as NSString).appendingPathComponent("audit")],
            environment: [:])
        let status = await verify.waitForExit(seconds: 20)
        #expect(status == 0, "\(point): audit verify: \(verify.text)")
        #expect(verify.text.contains("audit log OK"), "\(point): audit verify: \(verify.text)")
    }

    /// Stops the binary and everything else (the data dir is removed). Idempotent.
    func stop() async {
        await stopBinary()
        env.stop()
    }

    /// Runs `body` with a fresh scenario and always stops it, whether `body` finished or threw.
    static func run(
        app: String, environment: String = "staging", overrides: [String: String] = [:],
        _ body: (CrashScenario) async throws -> Void
    ) async throws {
        let crash = try CrashScenario(app: app, environment: environment, overrides: overrides)
        do {
            try await body(crash)
        } catch {
            await crash.stop()
            throw error
        }
        await crash.stop()
    }

    /// The output of every binary run so far (the last `n` characters).
    func output(_ limit: Int = 4000) -> String {
        String((logs + [binary?.text ?? ""]).joined(separator: "\n--- restart ---\n").suffix(limit))
    }

    // MARK: - Reading the truth

    func apiGet(_ path: String) -> [String: Any]? {
        guard port != 0, let response = try? RawHTTP.request(port: port, method: "GET", path: path, timeout: 3),
            response.status == 200
        else { return nil }
        return response.json
    }

    var state: String? { appView?["state"] as? String }

    var appView: [String: Any]? { apiGet("/api/v1/applications/\(app)") }

    /// The app's state and its attempt's history, for failure messages.
    var brief: String {
        guard let view = appView else { return "(API not answering)" }
        let attempt = (view["attempt"] ?? view["lastAttempt"]) as? [String: Any]
        let history = (attempt?["history"] as? [[String: Any]] ?? []).map {
            "\($0["to"] ?? "?") (\($0["event"] ?? "")): \($0["reason"] ?? "")"
        }
        return
            "state \(view["state"] ?? "?"), attempt \(attempt?["correlationId"] ?? "none") \(attempt?["state"] ?? "") issue \(attempt?["escalationIssueUrl"] ?? "none"); history: \(history)"
    }

    /// Did a GitHub request `method` on a path matching `pattern` (FaultRule syntax) reach the simulator?
    func requested(_ method: String, _ pattern: String) -> Bool {
        github.requestLog.contains { $0.method == method && pathMatches(pattern, $0.path) }
    }

    /// GitHub CI deliveries (`check_run`/`check_suite` `completed`) the service answered 202.
    var acceptedCIDeliveries: [String] {
        github.webhooks.deliveries.filter {
            ($0.event == "check_run" || $0.event == "check_suite") && $0.action == "completed" && $0.statusCode == 202
        }.map(\.id)
    }

    var rollbackBranches: [String] {
        github.branches(repo: scenario.gitopsRepo).keys.filter { $0.hasPrefix("rollback/") }.sorted()
    }

    /// Commits on `branch` that the environment branch does not hold.
    func commitsBeyondBase(_ branch: String) -> [SimulatorCommit] {
        let base = Set(github.commits(repo: scenario.gitopsRepo, on: scenario.envBranch).map(\.sha))
        return github.commits(repo: scenario.gitopsRepo, on: branch).filter { !base.contains($0.sha) }
    }

    /// Waits (bounded) until the restarted binary reports the app `Idle` with a recovered last
    /// attempt; returns that last attempt.
    func waitForCompletion(seconds: Double = 60) async -> [String: Any]? {
        var last: [String: Any]?
        _ = await poll(within: seconds) {
            guard let view = self.appView, view["state"] as? String == "Idle",
                let lastAttempt = view["lastAttempt"] as? [String: Any],
                lastAttempt["outcome"] as? String == "recovered"
            else { return false }
            last = lastAttempt
            return true
        }
        return last
    }

    /// After the restart: the attempt completes, and GitHub holds exactly one PR, one rollback
    /// branch with one commit beyond the base, one merge, no escalation issue.
    /// `approvalEscalation`: production's one "approval required" issue is expected.
    func expectCompletedExactlyOnce(_ point: String, mergeExpected: Bool = true, approvalEscalation: Bool = false) async
    {
        let last = await waitForCompletion()
        #expect(last != nil, "\(point): the attempt did not complete; \(brief); output:\n\(output())")
        let pulls = github.pulls(repo: scenario.gitopsRepo)
        #expect(pulls.count == 1, "\(point): pull requests \(pulls.map { "#\($0.number) \($0.headRef) \($0.state)" })")
        let branches = rollbackBranches
        #expect(branches.count == 1, "\(point): rollback branches \(branches)")
        if let branch = branches.first {
            let own = commitsBeyondBase(branch)
            #expect(own.count == 1, "\(point): commits on \(branch) beyond the base: \(own.map { $0.message })")
            if let cid = last?["correlationId"] as? String, let commit = own.first {
                #expect(
                    commit.message.contains("Correlation-Id: \(cid)"),
                    "\(point): the rollback commit belongs to another attempt: \(commit.message)")
            }
        }
        let merges = github.merges.filter { $0.repo.lowercased() == scenario.gitopsRepo.lowercased() }
        #expect(merges.count <= 1, "\(point): merges \(merges.map { "#\($0.number)" })")
        if mergeExpected { #expect(merges.count == 1, "\(point): no merge") }
        if let pr = pulls.first { #expect(pr.merged, "\(point): PR #\(pr.number) not merged") }
        if let pr = pulls.first {
            let want: Set<String> = ["ai-operator", "rollback", scenario.environment]
            #expect(Set(pr.labels) == want, "\(point): labels \(pr.labels)")
        }
        let issues = github.issues(repo: env.alertsRepo)
        #expect(issues.count <= 1, "\(point): escalation issues \(issues.map(\.title))")
        if approvalEscalation {
            #expect(
                issues.allSatisfy { ($0.body ?? "").contains("APPROVAL_REQUIRED") },
                "\(point): unexpected escalation \(issues.map(\.title))")
        } else {
            #expect(issues.isEmpty, "\(point): unexpected escalation \(issues.map(\.title))")
        }
        let manifest =
            github.file(repo: scenario.gitopsRepo, path: scenario.manifestPath, ref: scenario.envBranch) ?? ""
        #expect(
            manifest.contains(scenario.goodRevisions.last!) && !manifest.contains(scenario.badRevision),
            "\(point): manifest not rolled back")
        if let cid = last?["correlationId"] as? String, let attempt = apiGet("/api/v1/rollbacks/\(cid)") {
            let to = (attempt["history"] as? [[String: Any]] ?? []).compactMap { $0["to"] as? String }
            #expect(to.contains("RollbackComplete"), "\(point): history \(to)")
        }
    }
}

typealias SimulatorCommit = GitHubSimulator.CommitInfo

struct CrashTestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// `*` matches one path segment, a final `**` any rest (as in the simulators' fault rules).
func pathMatches(_ pattern: String, _ path: String) -> Bool {
    let patternParts = pattern.split(separator: "/")
    let pathParts = path.split(separator: "/")
    for (index, segment) in patternParts.enumerated() {
        if segment == "**" && index == patternParts.count - 1 { return true }
        guard index < pathParts.count, segment == "*" || segment == pathParts[index] else { return false }
    }
    return patternParts.count == pathParts.count
}
