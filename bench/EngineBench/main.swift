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

let args = CommandLine.arguments
let mode = args.count > 1 ? args[1] : "pr-latency"
let done = DispatchSemaphore(value: 0)
let failed = ManagedFlag()

Task.detached {
    do {
        switch mode {
        case "pr-latency": try await prLatency(runs: args.count > 2 ? Int(args[2]) ?? 5 : 5)
        case "engine-mem":
            let appCount = Int(args[2]) ?? 1000
            let env = try DemoEnvironment()
            defer { env.stop() }
            seedApplications(env, appCount, alternatingEnvironments: false)
            let counter = StepCounter()
            let logger = Logger(label: "bench") {
                OperatorLogHandler(label: $0, level: .critical, json: false, output: LogOutput(capturing: true))
            }
            _ = mallocTrim(0)
            let before = UInt64(procStat(getpid()).rssMB * 1024 * 1024)
            let service = try env.startService(
                overrides: ["POLL_INTERVAL_SEC": "1"], logger: logger, observer: counter.record)
            while counter.count < appCount { try await Task.sleep(nanoseconds: 50_000_000) }
            _ = mallocTrim(0)
            let afterFirst = UInt64(procStat(getpid()).rssMB * 1024 * 1024)
            while counter.count < 4 * appCount { try await Task.sleep(nanoseconds: 50_000_000) }
            _ = mallocTrim(0)
            let afterPolls = UInt64(procStat(getpid()).rssMB * 1024 * 1024)
            let machine = service.engineForInspection!.machine(of: "app-1")!
            let json = try JSONEncoder().encode(machine)
            out(
                "in use: before \((before) / 1024) KB; after each app's first check \((afterFirst) / 1024) KB (\((Int(afterFirst) - Int(before)) / appCount) bytes/app); after 4 polls \((afterPolls) / 1024) KB; one machine as JSON: \(json.count) bytes"
            )
        case "argo-size":
            let env = try DemoEnvironment()
            defer { env.stop() }
            seedApplications(env, Int(args[2]) ?? 100, alternatingEnvironments: false)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = [
                "-c",
                "curl -s -o /tmp/argo-list.json -w '%{size_download} bytes in %{time_total} s' -H 'Authorization: Bearer argocd-token' '\(env.sims.baseURLs["argocd"]!)/api/v1/applications?selector=ai-operator.enabled%3Dtrue'",
            ]
            try process.run()
            process.waitUntilExit()
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
