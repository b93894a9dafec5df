// The `pr-latency` benchmark: time and GitHub calls from a confirmed degradation to the
// PR-creation request, with and without 50 ms added to every simulated GitHub call.
import Demo
import Foundation
import Logging
import Operator

final class Confirmations: @unchecked Sendable {
    private let lock = NSLock()
    private var at: Date?
    func record(_ report: StepReport) {
        if report.transition.from == .idle, report.transition.to == .degradationDetected {
            lock.lock()
            if at == nil { at = report.at }
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
    let scenario = env.seed(app: "checkout", environment: "staging")
    let confirmed = Confirmations()
    let logger = Logger(label: "bench") {
        OperatorLogHandler(label: $0, level: .critical, json: false, output: LogOutput(capturing: true))
    }
    try env.startService(logger: logger, observer: confirmed.record)
    let deadline = Date().addingTimeInterval(60)
    while Date() < deadline {
        if let confirmedAt = confirmed.value,
            let create = env.sims.github.requestLog.first(where: {
                $0.method == "POST" && $0.path == "/repos/\(scenario.gitopsRepo)/pulls" && $0.at >= confirmedAt
            })
        {
            let calls = env.sims.github.requestLog.filter { $0.at >= confirmedAt && $0.at <= create.at }
            // Calls that started while another was still in flight ran in parallel with it.
            let latency = Double(addedMilliseconds) / 1000
            var sequential = 0
            var busyUntil = Date.distantPast
            for call in calls.sorted(by: { $0.at < $1.at }) {
                if call.at >= busyUntil { sequential += 1 }
                busyUntil = max(busyUntil, call.at.addingTimeInterval(latency * 0.8))
            }
            return LatencyResult(
                seconds: create.at.timeIntervalSince(confirmedAt), calls: calls.count, sequential: sequential)
        }
        try await Task.sleep(nanoseconds: 5_000_000)
    }
    throw NSError(domain: "bench", code: 1, userInfo: [NSLocalizedDescriptionKey: "no PR-creation request within 60 s"])
}

func prLatency(runs: Int) async throws {
    var with: [LatencyResult] = []
    var without: [LatencyResult] = []
    for i in 1...runs {
        let withLatency = try await prLatencyRun(addedMilliseconds: 50)
        let withoutLatency = try await prLatencyRun(addedMilliseconds: 0)
        with.append(withLatency)
        without.append(withoutLatency)
        out(
            String(
                format: "run %d: +50 ms per call: %.0f ms (%d GitHub calls, %d sequential); +0 ms: %.0f ms", i,
                withLatency.seconds * 1000, withLatency.calls, withLatency.sequential, withoutLatency.seconds * 1000))
    }
    let medianWithLatency = median(with.map(\.seconds))
    let medianWithoutLatency = median(without.map(\.seconds))
    let medianSequential = median(with.map { Double($0.sequential) })
    out(
        String(
            format:
                "median: %.0f ms with 50 ms per GitHub call, %.0f ms without; GitHub calls on the path: %.0f, sequential: %.0f (target <= 10)",
            medianWithLatency * 1000, medianWithoutLatency * 1000, median(with.map { Double($0.calls) }),
            medianSequential))
    out(
        String(
            format: "ratio to the latency floor (sequential calls x 50 ms): %.2f",
            medianWithLatency / (medianSequential * 0.05)))
}
