// The `poller` benchmark: the real binary's CPU per poll cycle and resident memory against a
// simulated Argo CD holding many healthy monitored applications.
import Demo
import Foundation

/// `count` healthy monitored applications in the simulated Argo CD (every other one in production
/// when `alternatingEnvironments`, else all in staging).
func seedApplications(_ env: DemoEnvironment, _ count: Int, alternatingEnvironments: Bool) {
    for i in 0..<count {
        let environment = alternatingEnvironments && i % 2 == 1 ? "production" : "staging"
        env.sims.argocd.setApplication(
            name: "app-\(i)", labels: ["environment": environment, "ai-operator.enabled": "true"],
            annotations: ["ai-operator.io/manifest-repo": "acme/gitops"],
            repoURL: "https://github.com/acme/app-\(i % 100).git", path: "deploy",
            targetRevision: String(format: "%040x", i), namespace: "ns-\(i % 50)")
    }
}

func pollerRun(apps: Int, cycles: Int, binary: String) async throws -> (
    cpuPerCycle: Double, rssMB: Double, hwmMB: Double
) {
    let env = try DemoEnvironment()
    defer { env.stop() }
    seedApplications(env, apps, alternatingEnvironments: true)
    let port = { () -> Int in
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        close(fd)
        return Int(UInt16(bigEndian: address.sin_port))
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
    let process = Process()
    process.executableURL = URL(fileURLWithPath: binary)
    process.arguments = ["serve"]
    process.environment = environment
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle(forWritingAtPath: "/tmp/poller-bench-child.log") ?? FileHandle.nullDevice
    try process.run()
    defer {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }
    // Warm up: two full polls (every app known to the engine, first commits done).
    func lists() -> Int {
        env.sims.argocd.requestLog.filter { $0.method == "GET" && $0.path == "/api/v1/applications" }.count
    }
    let warmDeadline = Date().addingTimeInterval(300)
    while lists() < 3 && Date() < warmDeadline { try await Task.sleep(nanoseconds: 100_000_000) }
    let before = procStat(process.processIdentifier)
    let listsBefore = lists()
    let windowStart = Date()
    if ProcessInfo.processInfo.environment["BENCH_TRACE_RSS"] != nil {
        for i in 0..<cycles {
            try await Task.sleep(nanoseconds: 1_000_000_000)
            let sample = procStat(process.processIdentifier)
            out(String(format: "  t=%ds RSS %.1f MB, CPU %.2f s", i + 4, sample.rssMB, sample.cpuSeconds))
        }
    } else {
        try await Task.sleep(nanoseconds: UInt64(cycles) * 1_000_000_000)
    }
    let after = procStat(process.processIdentifier)
    // Cycles that ran in the window: list calls the simulated Argo CD answered.
    let measuredCycles = Double(max(1, lists() - listsBefore))
    _ = windowStart
    out(
        String(
            format: "  %d apps: %.0f poll cycles in %.0f s", apps, measuredCycles, Date().timeIntervalSince(windowStart)
        ))
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
