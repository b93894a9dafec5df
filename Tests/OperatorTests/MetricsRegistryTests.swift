import Operator
import Testing

@Suite struct MetricsRegistryTests {
    @Test func rendersCountersGaugesAndHistogramsInTheTextFormat() {
        let registry = MetricsRegistry()
        let counter = registry.counter("x_total", "Things.", labels: ["a"])
        let gauge = registry.gauge("y", "Level.")
        let histogram = registry.histogram("z_seconds", "Time.", labels: ["k"], buckets: [0.1, 1])
        counter.inc(["q\"uote\\n"])
        counter.inc(["q\"uote\\n"], by: 2)
        gauge.set([], 1.5)
        histogram.observe(["a"], 0.05)
        histogram.observe(["a"], 0.5)
        histogram.observe(["a"], 5)
        let text = registry.render()
        #expect(text.contains("# TYPE x_total counter\n"))
        #expect(text.contains(#"x_total{a="q\"uote\\n"} 3"#))
        #expect(text.contains("# TYPE y gauge\ny 1.5\n"))
        #expect(text.contains(#"z_seconds_bucket{k="a",le="0.1"} 1"#))
        #expect(text.contains(#"z_seconds_bucket{k="a",le="1"} 2"#))
        #expect(text.contains(#"z_seconds_bucket{k="a",le="+Inf"} 3"#))
        #expect(text.contains(#"z_seconds_count{k="a"} 3"#))
        #expect(text.contains(#"z_seconds_sum{k="a"} 5.55"#))
    }

    @Test func everySpecFamilyIsRegisteredWithItsType() {
        let text = OperatorMetrics().registry.render()
        let expected: [(String, String)] = [
            ("ai_operator_degradations_detected_total", "counter"), ("ai_operator_rollbacks_proposed_total", "counter"),
            ("ai_operator_rollbacks_merged_total", "counter"), ("ai_operator_rollbacks_aborted_total", "counter"),
            ("ai_operator_invariant_violations_total", "counter"), ("ai_operator_mcp_call_errors_total", "counter"),
            ("ai_operator_fsm_state", "gauge"), ("ai_operator_active_rollbacks", "gauge"),
            ("ai_operator_mean_time_to_recovery_seconds", "histogram"),
            ("ai_operator_candidate_resolution_duration_seconds", "histogram"),
            ("ai_operator_mcp_call_duration_seconds", "histogram"),
            ("ai_operator_webhooks_received_total", "counter"),
            ("ai_operator_http_request_duration_seconds", "histogram"),
        ]
        for (name, type) in expected { #expect(text.contains("# TYPE \(name) \(type)\n"), "\(name)") }
    }
}
