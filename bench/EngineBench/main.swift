// Engine benchmarks (issue: the operator end to end).
//
//   EngineBench pr-latency [RUNS]
//     Time from the health check that confirms a degradation to the PR-creation request, with
//     the GitHub simulator adding 50 ms to every call; counts the GitHub calls on that path and
//     how many of them were sequential. Baseline in the same run: the same path with 0 ms added.
//
//   EngineBench poller APPS CYCLES BIN
//     Starts the real binary BIN (`ai-operator serve`, 1 s polls) against a simulated Argo CD
//     holding APPS healthy monitored applications; prints the service's CPU per poll cycle and
//     its resident memory. Baseline in the same run: the same with 1 application.
//
//   EngineBench sim APPS [ENVFILE] [SECONDS]
//     Only the simulators, with APPS applications; writes the environment `ai-operator serve`
//     needs to ENVFILE, for profiling the binary by hand (e.g. under heaptrack).
//
//   EngineBench sizes
//     The in-memory sizes of the per-application values the engine keeps.
import Demo
import Foundation
import Logging
import Operator
import RollbackCore
import Simulator

func median(_ xs: [Double]) -> Double {
    let s = xs.sorted()
    return s.isEmpty ? .nan : (s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2)
}

func out(_ s: String) {
    var b = Array(s.utf8)
    b.append(10)
    b.withUnsafeBytes { _ = write(1, $0.baseAddress, $0.count) }
}

// MARK: - PR latency

final class Confirmations: @unchecked Sendable {
    private let lock = NSLock()
    private var at: Date?
    func record(_ r: StepReport) {
        if r.transition.from == .idle, r.transition.to == .degradationDetected {
            lock.lock()
            if at == nil { at = r.at }
            lock.unlock()
        }
    }
    var value: Date? {
        lock.lock()
        defer { lock.unlock() }
        return at
    }
}

struct LatencyResult {
    var seconds: Double
    var calls: Int
    var sequential: Int
}

func prLatencyRun(addedMilliseconds: Int) async throws -> LatencyResult {
    let env = try DemoEnvironment()
    defer { env.stop() }
    env.sims.github.faults.latencyMilliseconds = addedMilliseconds
    let s = env.seed(app: "checkout", environment: "staging")
    let confirmed = Confirmations()
    let logger = Logger(label: "bench") {
        OperatorLogHandler(label: $0, level: .critical, json: false, output: LogOutput(capturing: true))
    }
    try env.startService(logger: logger, observer: confirmed.record)
    let deadline = Date().addingTimeInterval(60)
    while Date() < deadline {
        if let t0 = confirmed.value,
            let create = env.sims.github.requestLog.first(where: {
                $0.method == "POST" && $0.path == "/repos/\(s.gitopsRepo)/pulls" && $0.at >= t0
            })
        {
            let calls = env.sims.github.requestLog.filter { $0.at >= t0 && $0.at <= create.at }
            // Calls that started while another was still in flight ran in parallel with it.
            let latency = Double(addedMilliseconds) / 1000
            var sequential = 0
            var busyUntil = Date.distantPast
            for c in calls.sorted(by: { $0.at < $1.at }) {
                if c.at >= busyUntil { sequential += 1 }
                busyUntil = max(busyUntil, c.at.addingTimeInterval(latency * 0.8))
            }
            return LatencyResult(seconds: create.at.timeIntervalSince(t0), calls: calls.count, sequential: sequential)
        }
        try await Task.sleep(nanoseconds: 5_000_000)
    }
    throw NSError(domain: "bench", code: 1, userInfo: [NSLocalizedDescriptionKey: "no PR-creation request within 60 s"])
}

func prLatency(runs: Int) async throws {
    var with: [LatencyResult] = []
    var without: [LatencyResult] = []
    for i in 1...runs {
        let a = try await prLatencyRun(addedMilliseconds: 50)
        let b = try await prLatencyRun(addedMilliseconds: 0)
        with.append(a)
        without.append(b)
        out(
            String(
                format: "run %d: +50 ms per call: %.0f ms (%d GitHub calls, %d sequential); +0 ms: %.0f ms", i,
                a.seconds * 1000, a.calls, a.sequential, b.seconds * 1000))
    }
    let m50 = median(with.map(\.seconds))
    let m0 = median(without.map(\.seconds))
    let seq = median(with.map { Double($0.sequential) })
    out(
        String(
            format:
                "median: %.0f ms with 50 ms per GitHub call, %.0f ms without; GitHub calls on the path: %.0f, sequential: %.0f (target <= 10)",
            m50 * 1000, m0 * 1000, median(with.map { Double($0.calls) }), seq))
    out(String(format: "ratio to the latency floor (sequential calls x 50 ms): %.2f", m50 / (seq * 0.05)))
}

// MARK: - Poller cost

/// `n` healthy monitored applications in the simulated Argo CD (every other one in production
/// when `alternatingEnvironments`, else all in staging).
func seedApplications(_ env: DemoEnvironment, _ n: Int, alternatingEnvironments: Bool) {
    for i in 0..<n {
        let environment = alternatingEnvironments && i % 2 == 1 ? "production" : "staging"
        env.sims.argocd.setApplication(
            name: "app-\(i)", labels: ["environment": environment, "ai-operator.enabled": "true"],
            annotations: ["ai-operator.io/manifest-repo": "acme/gitops"],
            repoURL: "https://github.com/acme/app-\(i % 100).git", path: "deploy",
            targetRevision: String(format: "%040x", i), namespace: "ns-\(i % 50)")
    }
}

func procStat(_ pid: Int32) -> (cpuSeconds: Double, rssMB: Double, hwmMB: Double) {
    let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
    let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
    let fields = stat.split(separator: ")").last?.split(separator: " ") ?? []
    let cpu = fields.count > 12 ? (Double(fields[11]) ?? 0) + (Double(fields[12]) ?? 0) : 0
    let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
    func kb(_ key: String) -> Double {
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(key) }) else { return 0 }
        return (Double(line.split(separator: " ").dropFirst().first ?? "0") ?? 0) / 1024
    }
    return (cpu / ticks, kb("VmRSS:"), kb("VmHWM:"))
}

func pollerRun(apps: Int, cycles: Int, binary: String) async throws -> (
    cpuPerCycle: Double, rssMB: Double, hwmMB: Double
) {
    let env = try DemoEnvironment()
    defer { env.stop() }
    seedApplications(env, apps, alternatingEnvironments: true)
    let port = { () -> Int in
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var sa = sockaddr_in()
        sa.sin_family = sa_family_t(AF_INET)
        sa.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &sa) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &sa) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        close(fd)
        return Int(UInt16(bigEndian: sa.sin_port))
    }()
    var environment = ProcessInfo.processInfo.environment
    environment.merge(
        try env.environment(
            port: port,
            overrides: [
                "POLL_INTERVAL_SEC": "1",
                "LOG_LEVEL": ProcessInfo.processInfo.environment["BENCH_LOG_LEVEL"] ?? "ERROR",
            ])
    ) { $1 }
    let p = Process()
    p.executableURL = URL(fileURLWithPath: binary)
    p.arguments = ["serve"]
    p.environment = environment
    p.standardOutput = FileHandle.nullDevice
    p.standardError = FileHandle(forWritingAtPath: "/tmp/poller-bench-child.log") ?? FileHandle.nullDevice
    try p.run()
    defer {
        if p.isRunning {
            p.terminate()
            p.waitUntilExit()
        }
    }
    // Warm up: two full polls (every app known to the engine, first commits done).
    func lists() -> Int {
        env.sims.argocd.requestLog.filter { $0.method == "GET" && $0.path == "/api/v1/applications" }.count
    }
    let warmDeadline = Date().addingTimeInterval(300)
    while lists() < 3 && Date() < warmDeadline { try await Task.sleep(nanoseconds: 100_000_000) }
    let before = procStat(p.processIdentifier)
    let listsBefore = lists()
    let t0 = Date()
    if ProcessInfo.processInfo.environment["BENCH_TRACE_RSS"] != nil {
        for i in 0..<cycles {
            try await Task.sleep(nanoseconds: 1_000_000_000)
            let s = procStat(p.processIdentifier)
            out(String(format: "  t=%ds RSS %.1f MB, CPU %.2f s", i + 4, s.rssMB, s.cpuSeconds))
        }
    } else {
        try await Task.sleep(nanoseconds: UInt64(cycles) * 1_000_000_000)
    }
    let after = procStat(p.processIdentifier)
    // Cycles that ran in the window: list calls the simulated Argo CD answered.
    let measuredCycles = Double(max(1, lists() - listsBefore))
    _ = t0
    out(String(format: "  %d apps: %.0f poll cycles in %.0f s", apps, measuredCycles, Date().timeIntervalSince(t0)))
    return ((after.cpuSeconds - before.cpuSeconds) / measuredCycles, after.rssMB, after.hwmMB)
}

func poller(apps: Int, cycles: Int, binary: String) async throws {
    let base = try await pollerRun(apps: 1, cycles: cycles, binary: binary)
    let run = try await pollerRun(apps: apps, cycles: cycles, binary: binary)
    out(
        String(
            format:
                "%d apps: %.3f s CPU per poll cycle, RSS %.1f MB (peak %.1f MB); baseline 1 app: %.3f s CPU per cycle, RSS %.1f MB; ratio CPU %.1fx, RSS %.2fx",
            apps, run.cpuPerCycle, run.rssMB, run.hwmMB, base.cpuPerCycle, base.rssMB,
            run.cpuPerCycle / max(base.cpuPerCycle, 0.0001), run.rssMB / max(base.rssMB, 0.0001)))
}

let args = CommandLine.arguments
let mode = args.count > 1 ? args[1] : "pr-latency"
let done = DispatchSemaphore(value: 0)
let failed = ManagedFlag()
final class ManagedFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var v = false
    func set() {
        lock.lock()
        v = true
        lock.unlock()
    }
    var value: Bool {
        lock.lock()
        defer { lock.unlock() }
        return v
    }
}
Task.detached {
    do {
        switch mode {
        case "pr-latency": try await prLatency(runs: args.count > 2 ? Int(args[2]) ?? 5 : 5)
        case "engine-mem":
            let n = Int(args[2]) ?? 1000
            let env = try DemoEnvironment()
            defer { env.stop() }
            seedApplications(env, n, alternatingEnvironments: false)
            let counter = StepCounter()
            let logger = Logger(label: "bench") {
                OperatorLogHandler(label: $0, level: .critical, json: false, output: LogOutput(capturing: true))
            }
            _ = mallocTrim(0)
            let before = UInt64(procStat(getpid()).rssMB * 1024 * 1024)
            let service = try env.startService(
                overrides: ["POLL_INTERVAL_SEC": "1"], logger: logger, observer: counter.record)
            while counter.count < n { try await Task.sleep(nanoseconds: 50_000_000) }
            _ = mallocTrim(0)
            let afterFirst = UInt64(procStat(getpid()).rssMB * 1024 * 1024)
            while counter.count < 4 * n { try await Task.sleep(nanoseconds: 50_000_000) }
            _ = mallocTrim(0)
            let afterPolls = UInt64(procStat(getpid()).rssMB * 1024 * 1024)
            let m = service.engineForInspection!.machine(of: "app-1")!
            let json = try JSONEncoder().encode(m)
            out(
                "in use: before \((before) / 1024) KB; after each app's first check \((afterFirst) / 1024) KB (\((Int(afterFirst) - Int(before)) / n) bytes/app); after 4 polls \((afterPolls) / 1024) KB; one machine as JSON: \(json.count) bytes"
            )
        case "argo-size":
            let env = try DemoEnvironment()
            defer { env.stop() }
            seedApplications(env, Int(args[2]) ?? 100, alternatingEnvironments: false)
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/bin/sh")
            p.arguments = [
                "-c",
                "curl -s -o /tmp/argo-list.json -w '%{size_download} bytes in %{time_total} s' -H 'Authorization: Bearer argocd-token' '\(env.sims.baseURLs["argocd"]!)/api/v1/applications?selector=ai-operator.enabled%3Dtrue'",
            ]
            try p.run()
            p.waitUntilExit()
            out("")
        case "sizes":
            out(
                "RollbackStateMachine \(MemoryLayout<RollbackStateMachine>.size), Attempt \(MemoryLayout<Attempt>.size), StabilityWindow \(MemoryLayout<StabilityWindow>.size), HealthCheckRecord \(MemoryLayout<HealthCheckRecord>.size), HealthObservation \(MemoryLayout<HealthObservation>.size), ApplicationInfo \(MemoryLayout<ApplicationInfo>.size), MonitoredApp \(MemoryLayout<MonitoredApp>.size)"
            )
        case "sim":
            // Simulators only, for profiling the real binary by hand: writes the environment
            // `ai-operator serve` needs to FILE (shell `export` lines) and keeps serving.
            let env = try DemoEnvironment()
            defer { env.stop() }
            seedApplications(env, Int(args[2]) ?? 1000, alternatingEnvironments: true)
            let vars = try env.environment(port: 0, overrides: ["POLL_INTERVAL_SEC": "1", "LOG_LEVEL": "ERROR"])
            let text =
                vars.sorted { $0.key < $1.key }.map { "export \($0.key)='\($0.value)'" }.joined(separator: "\n") + "\n"
            try text.write(toFile: args.count > 3 ? args[3] : "/tmp/sim.env", atomically: true, encoding: .utf8)
            out("simulators up; environment in \(args.count > 3 ? args[3] : "/tmp/sim.env")")
            try await Task.sleep(nanoseconds: UInt64(Double(args.count > 4 ? args[4] : "600")! * 1e9))
        case "poller":
            try await poller(
                apps: Int(args[2]) ?? 1000, cycles: args.count > 3 ? Int(args[3]) ?? 10 : 10,
                binary: args.count > 4 ? args[4] : "ai-operator")
        default:
            out("usage: EngineBench pr-latency [RUNS] | poller APPS CYCLES BIN | sim APPS [ENVFILE] [SECONDS]")
            failed.set()
        }
    } catch {
        out("EngineBench: \(error)")
        failed.set()
    }
    done.signal()
}
done.wait()
exit(failed.value ? 1 : 0)

final class StepCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var n = 0
    func record(_ r: StepReport) {
        lock.lock()
        n += 1
        lock.unlock()
    }
    var count: Int {
        lock.lock()
        defer { lock.unlock() }
        return n
    }
}

@_silgen_name("malloc_trim") func mallocTrim(_ pad: Int) -> Int32
