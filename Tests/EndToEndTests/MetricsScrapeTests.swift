import Demo
import Foundation
import Operator
import RollbackCore
import TestSupport
import Testing

/// `/metrics` after real rollbacks: every SPEC section 15 family is there with its type and
/// exact label names, histogram buckets are the SPEC's, and `promtool check metrics` accepts it.
@Suite struct MetricsScrapeTests {
    static let families: [(name: String, type: String, labels: Set<String>)] = [
        ("ai_operator_degradations_detected_total", "counter", ["app_name", "environment"]),
        ("ai_operator_rollbacks_proposed_total", "counter", ["app_name", "environment", "success"]),
        ("ai_operator_rollbacks_merged_total", "counter", ["app_name", "environment", "auto_merged"]),
        ("ai_operator_rollbacks_aborted_total", "counter", ["app_name", "environment", "reason"]),
        ("ai_operator_invariant_violations_total", "counter", ["invariant_id"]),
        ("ai_operator_mcp_call_errors_total", "counter", ["call_name", "error_code"]),
        ("ai_operator_fsm_state", "gauge", ["app_name", "state"]),
        ("ai_operator_active_rollbacks", "gauge", ["environment"]),
        ("ai_operator_mean_time_to_recovery_seconds", "histogram", ["app_name", "environment"]),
        ("ai_operator_candidate_resolution_duration_seconds", "histogram", ["app_name"]),
        ("ai_operator_mcp_call_duration_seconds", "histogram", ["call_name"]),
    ]

    static let buckets: [String: [String]] = [
        "ai_operator_mean_time_to_recovery_seconds": ["30", "60", "120", "300", "600", "1200", "+Inf"],
        "ai_operator_candidate_resolution_duration_seconds": ["10", "30", "60", "120", "+Inf"],
        "ai_operator_mcp_call_duration_seconds": ["0.1", "0.5", "1", "2", "5", "10", "+Inf"],
    ]

    @Test func everySpecFamilyIsLiveAfterRollbacks() async throws {
        let env = try DemoEnvironment()
        defer { env.stop() }
        // A staging rollback that completes, one whose CI fails (an abort), and one stopped by
        // an invariant at the merge decision.
        env.seed(app: "checkout", environment: "staging")
        let service = try env.startService(logger: capturingLogger(LogOutput(capturing: true)))
        let engine = try #require(service.engineForInspection)
        let completed = await eventuallyAsync(within: 60) {
            engine.machine(of: "checkout")?.lastAttempt != nil && engine.machine(of: "checkout")?.state == .idle
        }
        try #require(completed)
        env.sims.github.setAutoCheckRun(branchPrefix: "rollback/", name: "ci", conclusion: "failure", delay: 0.2)
        env.seed(app: "payments", environment: "staging")
        let aborted = await eventuallyAsync(within: 60) { engine.machine(of: "payments")?.state == .abort }
        try #require(aborted)
        // A third whose mergeability never settles: I8 fails at the merge decision.
        env.sims.github.setAutoCheckRun(branchPrefix: "rollback/", name: "ci", conclusion: "success", delay: 0.2)
        env.sims.github.mergeableNullReads = 1_000
        env.seed(app: "orders", environment: "staging")
        let escalated = await eventuallyAsync(within: 60) {
            engine.machine(of: "orders")?.state == .awaitingHumanReview
        }
        try #require(
            escalated,
            "orders is \(engine.machine(of: "orders")?.state.rawValue ?? "unknown"); history: \(engine.machine(of: "orders")?.attempt?.history.map { "\($0.from.rawValue)->\($0.to.rawValue) \($0.event): \($0.reason)" } ?? [])"
        )

        // The state is published when the step commits; its metrics follow once its audit entry
        // is written, so scrape until every family has a series (or 10 s have passed).
        var scrape = try await httpAsync(port: service.port, method: "GET", path: "/metrics", headers: [], body: [])
        let deadline = ContinuousClock.now + .seconds(10)
        while !Self.families.allSatisfy({ Self.hasSeries($0, in: scrape.text) }), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
            scrape = try await httpAsync(port: service.port, method: "GET", path: "/metrics", headers: [], body: [])
        }
        #expect(scrape.status == 200)
        #expect(scrape.header("content-type")?.hasPrefix("text/plain; version=0.0.4") == true)
        let text = scrape.text
        for family in Self.families {
            #expect(text.contains("# TYPE \(family.name) \(family.type)\n"), "\(family.name) type")
            let samples = Self.samples(family, in: text)
            let series = samples.filter { family.type != "histogram" || $0.hasPrefix(family.name + "_count") }
            if series.isEmpty { Issue.record("\(family.name) has no series after the rollbacks") }
            for seriesLine in series {
                #expect(Self.labelNames(String(seriesLine)) == family.labels, "\(family.name): \(seriesLine)")
            }
            if let want = Self.buckets[family.name] {
                let le = samples.filter { $0.hasPrefix(family.name + "_bucket") }.compactMap {
                    Self.label("le", String($0))
                }
                #expect(Array(le.prefix(want.count)) == want, "\(family.name) buckets \(le.prefix(want.count))")
            }
        }
        #expect(
            text.contains(
                #"ai_operator_rollbacks_merged_total{app_name="checkout",environment="staging",auto_merged="true"} 1"#))
        #expect(
            text.contains(
                #"ai_operator_rollbacks_aborted_total{app_name="payments",environment="staging",reason="CI_FAILURE"} 1"#
            ))

        // promtool, from Debian's prometheus package, checks the exposition format.
        let promtool = try #require(
            ["/usr/bin/promtool", "/usr/local/bin/promtool"].first { FileManager.default.isExecutableFile(atPath: $0) },
            "promtool is missing: install Debian's prometheus package (.ci/install-deps does)")
        let promtoolProcess = Process()
        promtoolProcess.executableURL = URL(fileURLWithPath: promtool)
        promtoolProcess.arguments = ["check", "metrics"]
        let input = Pipe()
        let output = Pipe()
        promtoolProcess.standardInput = input
        promtoolProcess.standardOutput = output
        promtoolProcess.standardError = output
        try promtoolProcess.run()
        input.fileHandleForWriting.write(Data(scrape.body))
        try input.fileHandleForWriting.close()
        let report = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let finished = await eventuallyAsync(within: 30) { !promtoolProcess.isRunning }
        #expect(finished)
        #expect(promtoolProcess.terminationStatus == 0, "promtool check metrics: \(report)")
    }

    static func samples(_ family: (name: String, type: String, labels: Set<String>), in text: String) -> [Substring] {
        text.split(separator: "\n").filter { $0.hasPrefix(family.name) && !$0.hasPrefix("#") }
    }

    static func hasSeries(_ family: (name: String, type: String, labels: Set<String>), in text: String) -> Bool {
        samples(family, in: text).contains { family.type != "histogram" || $0.hasPrefix(family.name + "_count") }
    }

    static func labelNames(_ sample: String) -> Set<String> {
        guard let open = sample.firstIndex(of: "{"), let close = sample.lastIndex(of: "}") else { return [] }
        let inner = sample[sample.index(after: open)..<close]
        var names: Set<String> = []
        var inQuotes = false
        var escaped = false
        var current = ""
        for character in inner {
            if inQuotes {
                if escaped {
                    escaped = false
                } else if character == "\\" {
                    escaped = true
                } else if character == "\"" {
                    inQuotes = false
                }
            } else if character == "\"" {
                inQuotes = true
            } else if character == "=" {
                names.insert(current)
                current = ""
            } else if character != "," {
                current.append(character)
            }
        }
        return names.subtracting(["le"])
    }

    static func label(_ name: String, _ sample: String) -> String? {
        guard let nameRange = sample.range(of: "\(name)=\"") else { return nil }
        let rest = sample[nameRange.upperBound...]
        return rest.firstIndex(of: "\"").map { String(rest[..<$0]) }
    }
}
