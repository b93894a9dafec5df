import Demo
import Foundation
import Simulator
import TestSupport
import Testing

/// The real `ai-operator` executable as a child process (built next to the test runner by
/// `swift build --build-tests`), for the crash-recovery tests: started, SIGKILLed, restarted.
final class CrashBinary: @unchecked Sendable {
    let child: ChildProcess
    var process: Process { child.process }
    var text: String { child.text }
    var pid: Int32 { child.pid }
    var isRunning: Bool { child.isRunning }

    init(arguments: [String], environment: [String: String]) throws {
        var env = environment
        env["LOG_FORMAT"] = "text"
        child = try ChildProcess(
            executable: ChildProcess.siblingExecutable("ai-operator"), arguments: arguments, environment: env)
    }

    /// Waits (bounded) for the `port=N` log line, then for `/readyz` 200; returns the port.
    func waitForReady(seconds: Double = 30) async -> Int? {
        var port: Int?
        _ = await poll(within: seconds) {
            if let r = self.text.range(of: #"port=(\d+)"#, options: .regularExpression) {
                port = Int(self.text[r].dropFirst(5))
            }
            return port != nil || !self.isRunning
        }
        guard let port, isRunning else { return nil }
        let ready = await poll(within: seconds) {
            (try? RawHTTP.request(port: port, method: "GET", path: "/readyz", timeout: 2))?.status == 200
                || !self.isRunning
        }
        return ready && isRunning ? port : nil
    }

    /// Waits (bounded) for the process to exit; its status, or nil while it still runs. Then
    /// waits (bounded) for the end of its output, so `text` holds all it printed.
    func waitForExit(seconds: Double = 20) async -> Int32? {
        _ = await poll(within: seconds) { !self.isRunning }
        if isRunning { return nil }
        _ = await poll(within: 10) { self.child.outputEnded }
        return process.terminationStatus
    }

    /// SIGKILL, then a bounded wait for the exit.
    func kill9() async {
        if isRunning { kill(pid, SIGKILL) }
        _ = await waitForExit(seconds: 10)
    }

    /// SIGTERM (then SIGKILL after 15 s).
    func terminate() async {
        if isRunning { process.terminate() }
        _ = await waitForExit(seconds: 15)
        await kill9()
    }
}

/// Polls every 20 ms until `condition` holds or `seconds` pass (never blocks a thread).
func poll(within seconds: Double, _ condition: () -> Bool) async -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if condition() { return true }
        try? await Task.sleep(nanoseconds: 20_000_000)
    }
    return condition()
}

/// One crash scenario: the simulators, one degraded staging app, and the real `serve` binary
/// on a fixed port and data dir that survive the kill.
final class CrashScenario: @unchecked Sendable {
    // Safe: used from one test task at a time.
    let env: DemoEnvironment
    let s: SimulatorSuite.RollbackScenario
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
        s = env.seed(app: app, environment: environment)
    }

    var github: GitHubSimulator { env.sims.github }

    /// Starts `ai-operator serve` (the first time on a free port, after that on the same one)
    /// and points GitHub's webhooks at it.
    func start() async throws {
        let b = try CrashBinary(
            arguments: ["serve"], environment: try env.environment(port: port, overrides: overrides))
        binary = b
        guard let p = await b.waitForReady() else {
            logs.append(b.text)
            await b.kill9()
            throw CrashTestError("the binary did not become ready:\n\(b.text.suffix(3000))")
        }
        if port == 0 {
            port = p
            env.pointWebhooks(atPort: p)
        }
        #expect(p == port)
    }

    /// SIGKILL of the running binary.
    func kill9() async {
        guard let b = binary else { return }
        await b.kill9()
        logs.append(b.text)
        binary = nil
        kills += 1
    }

    /// Stops the running binary (SIGTERM). Idempotent.
    func stopBinary() async {
        if let b = binary {
            await b.terminate()
            logs.append(b.text)
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
        let c = try CrashScenario(app: app, environment: environment, overrides: overrides)
        do {
            try await body(c)
        } catch {
            await c.stop()
            throw error
        }
        await c.stop()
    }

    /// The output of every binary run so far (the last `n` characters).
    func output(_ n: Int = 4000) -> String {
        String((logs + [binary?.text ?? ""]).joined(separator: "\n--- restart ---\n").suffix(n))
    }

    // MARK: - Reading the truth

    func apiGet(_ path: String) -> [String: Any]? {
        guard port != 0, let r = try? RawHTTP.request(port: port, method: "GET", path: path, timeout: 3),
            r.status == 200
        else { return nil }
        return r.json
    }

    var state: String? { appView?["state"] as? String }

    var appView: [String: Any]? { apiGet("/api/v1/applications/\(app)") }

    /// The app's state and its attempt's history, for failure messages.
    var brief: String {
        guard let v = appView else { return "(API not answering)" }
        let a = (v["attempt"] ?? v["lastAttempt"]) as? [String: Any]
        let h = (a?["history"] as? [[String: Any]] ?? []).map {
            "\($0["to"] ?? "?") (\($0["event"] ?? "")): \($0["reason"] ?? "")"
        }
        return
            "state \(v["state"] ?? "?"), attempt \(a?["correlationId"] ?? "none") \(a?["state"] ?? "") issue \(a?["escalationIssueUrl"] ?? "none"); history: \(h)"
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
        github.branches(repo: s.gitopsRepo).keys.filter { $0.hasPrefix("rollback/") }.sorted()
    }

    /// Commits on `branch` that the environment branch does not hold.
    func commitsBeyondBase(_ branch: String) -> [SimulatorCommit] {
        let base = Set(github.commits(repo: s.gitopsRepo, on: s.envBranch).map(\.sha))
        return github.commits(repo: s.gitopsRepo, on: branch).filter { !base.contains($0.sha) }
    }

    /// Waits (bounded) until the restarted binary reports the app `Idle` with a recovered last
    /// attempt; returns that last attempt.
    func waitForCompletion(seconds: Double = 60) async -> [String: Any]? {
        var last: [String: Any]?
        _ = await poll(within: seconds) {
            guard let v = self.appView, v["state"] as? String == "Idle",
                let l = v["lastAttempt"] as? [String: Any], l["outcome"] as? String == "recovered"
            else { return false }
            last = l
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
        let pulls = github.pulls(repo: s.gitopsRepo)
        #expect(pulls.count == 1, "\(point): pull requests \(pulls.map { "#\($0.number) \($0.headRef) \($0.state)" })")
        let branches = rollbackBranches
        #expect(branches.count == 1, "\(point): rollback branches \(branches)")
        if let branch = branches.first {
            let own = commitsBeyondBase(branch)
            #expect(own.count == 1, "\(point): commits on \(branch) beyond the base: \(own.map { $0.message })")
            if let cid = last?["correlationId"] as? String, let c = own.first {
                #expect(
                    c.message.contains("Correlation-Id: \(cid)"),
                    "\(point): the rollback commit belongs to another attempt: \(c.message)")
            }
        }
        let merges = github.merges.filter { $0.repo.lowercased() == s.gitopsRepo.lowercased() }
        #expect(merges.count <= 1, "\(point): merges \(merges.map { "#\($0.number)" })")
        if mergeExpected { #expect(merges.count == 1, "\(point): no merge") }
        if let pr = pulls.first { #expect(pr.merged, "\(point): PR #\(pr.number) not merged") }
        if let pr = pulls.first {
            let want: Set<String> = ["ai-operator", "rollback", s.environment]
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
        let manifest = github.file(repo: s.gitopsRepo, path: s.manifestPath, ref: s.envBranch) ?? ""
        #expect(
            manifest.contains(s.goodRevisions.last!) && !manifest.contains(s.badRevision),
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
    init(_ d: String) { description = d }
}

/// `*` matches one path segment, a final `**` any rest (as in the simulators' fault rules).
func pathMatches(_ pattern: String, _ path: String) -> Bool {
    let ps = pattern.split(separator: "/")
    let xs = path.split(separator: "/")
    for (i, seg) in ps.enumerated() {
        if seg == "**" && i == ps.count - 1 { return true }
        guard i < xs.count, seg == "*" || seg == xs[i] else { return false }
    }
    return ps.count == xs.count
}
