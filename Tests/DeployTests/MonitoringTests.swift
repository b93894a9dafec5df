import Foundation
import TestSupport
import Testing

/// Alert rules (promtool check and unit tests), their Prometheus Operator mirror, and the
/// Grafana dashboard (valid JSON, valid PromQL, only metrics the operator exports).
@Suite(.serialized) struct MonitoringTests {
    static let rules = "deploy/monitoring/alert-rules.yaml"
    static let ruleTests = "deploy/monitoring/alert-rules.test.yaml"
    static let dashboard = "deploy/monitoring/grafana-dashboard.json"

    func ruleList() throws -> [[String: Any]] {
        let doc = try YAMLLoader.loadOne(Self.rules) as? [String: Any] ?? [:]
        return doc.list("groups").flatMap { $0.list("rules") }
    }

    @Test func promtoolCheckRulesPasses() throws {
        let r = try Tool.run(try Tool.promtool(), ["check", "rules", Repo.path(Self.rules)])
        #expect(r.status == 0, "promtool check rules:\n\(r.output)")
        #expect(r.output.contains("SUCCESS"), "\(r.output)")
    }

    @Test func promtoolRuleUnitTestsPass() throws {
        let r = try Tool.run(try Tool.promtool(), ["test", "rules", Repo.path(Self.ruleTests)])
        #expect(r.status == 0, "promtool test rules:\n\(r.output)")
        #expect(r.output.contains("SUCCESS"), "\(r.output)")
    }

    @Test func everyAlertIsActionable() throws {
        let readme = try Repo.read("deploy/README.md")
        let anchors = ReadmeFacts.anchors(readme)
        let rules = try ruleList()
        #expect(rules.count >= 8)
        var names = Set<String>()
        for rule in rules {
            let name = try #require(rule.string("alert"), "recording rules are not expected here: \(rule)")
            #expect(names.insert(name).inserted, "duplicate alert \(name)")
            #expect(
                ["critical", "warning", "info"].contains(rule.dict("labels")?.string("severity") ?? ""),
                "\(name): severity")
            let ann = rule.dict("annotations") ?? [:]
            for key in ["summary", "description", "runbook_url"] {
                #expect(!(ann.string(key) ?? "").isEmpty, "\(name): \(key)")
            }
            let url = ann.string("runbook_url") ?? ""
            #expect(url.contains("/deploy/README.md#"), "\(name): runbook_url must point into deploy/README.md")
            let anchor = url.components(separatedBy: "#").last ?? ""
            #expect(anchors.contains(anchor), "\(name): deploy/README.md has no heading for #\(anchor)")
            let expr = rule.string("expr") ?? ""
            let problems = MetricCatalog.problems(in: expr, allowed: ["up": ["job", "instance"]])
            #expect(problems.isEmpty, "\(name): \(problems)")
        }
    }

    /// The four alerts of the issue, with their thresholds, and a unit test that shows each one
    /// firing and one that shows it silent.
    @Test func requiredAlertsExistWithTheirThresholdsAndAreUnitTested() throws {
        let rules = try ruleList()
        func expr(_ alert: String) -> String { rules.first { $0.string("alert") == alert }?.string("expr") ?? "" }
        let abort = expr("AIOperatorHighAbortRate")
        #expect(
            abort.contains("ai_operator_rollbacks_aborted_total") && abort.contains("[1h]") && abort.hasSuffix("> 2\n"),
            "abort rate > 2/h: \(abort)")
        let ci = expr("AIOperatorRollbackCIFailures")
        #expect(
            ci.contains(#"reason="CI_FAILURE""#) && ci.contains("[1h]") && ci.hasSuffix("> 5\n"),
            "CI failures > 5/h: \(ci)")
        let mttr = expr("AIOperatorSlowRecovery")
        #expect(
            mttr.contains("histogram_quantile(0.95")
                && mttr.contains("ai_operator_mean_time_to_recovery_seconds_bucket") && mttr.hasSuffix("> 600\n"),
            "MTTR p95 > 10 min: \(mttr)")
        let denied = expr("AIOperatorPermissionDenied")
        #expect(
            denied.contains(#"ai_operator_mcp_call_errors_total{error_code="PERMISSION_DENIED"}"#)
                && denied.hasSuffix("> 0\n"), "any PERMISSION_DENIED: \(denied)")
        let denied2 = expr("AIOperatorRollbackAbortedPermissionDenied")
        #expect(denied2.contains(#"reason="PERMISSION_DENIED""#))
        for alert in ["AIOperatorDown", "AIOperatorWebhookStoreUnavailable", "AIOperatorAppStuckInAbort"] {
            #expect(!expr(alert).isEmpty, "\(alert) missing")
        }

        let tests = try YAMLLoader.loadOne(Self.ruleTests) as? [String: Any] ?? [:]
        #expect(tests.strings("rule_files") == ["alert-rules.yaml"])
        var fired = Set<String>()
        var silent = Set<String>()
        for t in tests.list("tests") {
            for a in t.list("alert_rule_test") {
                let name = a.string("alertname") ?? ""
                if a.list("exp_alerts").isEmpty { silent.insert(name) } else { fired.insert(name) }
            }
        }
        for alert in [
            "AIOperatorHighAbortRate", "AIOperatorRollbackCIFailures", "AIOperatorSlowRecovery",
            "AIOperatorPermissionDenied",
        ] {
            #expect(fired.contains(alert), "\(alert) is never shown firing")
            #expect(silent.contains(alert), "\(alert) is never shown silent below its threshold")
        }
        let all = Set(rules.compactMap { $0.string("alert") })
        #expect(all.subtracting(fired).isEmpty, "alerts without a firing unit test: \(all.subtracting(fired))")
    }

    @Test func prometheusRuleMirrorsTheAlertRules() throws {
        let plain = try YAMLLoader.loadOne(Self.rules) as? [String: Any] ?? [:]
        let wrapped = try YAMLLoader.loadOne("deploy/monitoring/prometheusrule.yaml") as? [String: Any] ?? [:]
        #expect(wrapped.string("kind") == "PrometheusRule")
        let a = try JSONSerialization.data(withJSONObject: plain["groups"] ?? [], options: [.sortedKeys])
        let b = try JSONSerialization.data(withJSONObject: wrapped.at("spec.groups") ?? [], options: [.sortedKeys])
        #expect(a == b, "prometheusrule.yaml spec.groups differs from alert-rules.yaml: copy the groups again")
    }

    func loadDashboard() throws -> [String: Any] {
        let data = try #require(FileManager.default.contents(atPath: Repo.path(Self.dashboard)))
        return try #require(
            try JSONSerialization.jsonObject(with: data) as? [String: Any], "the dashboard is not a JSON object")
    }

    /// Every query of the dashboard, panels inside rows included.
    func targets(_ dash: [String: Any]) -> [(panel: String, expr: String)] {
        var out: [(String, String)] = []
        func walk(_ panels: [[String: Any]]) {
            for p in panels {
                for t in p.list("targets") { out.append((p.string("title") ?? "?", t.string("expr") ?? "")) }
                walk(p.list("panels"))
            }
        }
        walk(dash.list("panels"))
        return out
    }

    @Test func dashboardIsAValidGrafanaDashboard() throws {
        let dash = try loadDashboard()
        #expect((dash.int("schemaVersion") ?? 0) >= 36)
        #expect(!(dash.string("title") ?? "").isEmpty && !(dash.string("uid") ?? "").isEmpty)
        let vars = (dash.dict("templating")?.list("list") ?? [])
        let byName = Dictionary(vars.map { ($0.string("name") ?? "", $0) }, uniquingKeysWith: { a, _ in a })
        #expect(byName["datasource"]?.string("type") == "datasource")
        #expect(byName["datasource"]?.string("query") == "prometheus")
        for v in ["app_name", "environment"] {
            #expect(byName[v]?.string("type") == "query", "variable \(v)")
            #expect(
                (byName[v]?.string("definition") ?? "").contains("label_values(ai_operator_"),
                "variable \(v) reads the operator's labels")
        }
        var ids = Set<Int>()
        func walk(_ panels: [[String: Any]]) {
            for p in panels {
                let id = p.int("id") ?? -1
                #expect(ids.insert(id).inserted, "duplicate panel id \(id)")
                #expect(p.dict("gridPos") != nil, "\(p.string("title") ?? "?"): gridPos")
                if p.string("type") != "row" {
                    #expect(!p.list("targets").isEmpty, "\(p.string("title") ?? "?"): no query")
                    #expect(
                        (p.dict("datasource")?.string("uid")) == "${datasource}",
                        "\(p.string("title") ?? "?"): uses the datasource variable")
                }
                walk(p.list("panels"))
            }
        }
        walk(dash.list("panels"))
        #expect(ids.count >= 10)
    }

    @Test func dashboardUsesOnlyExportedMetricsAndCoversTheRequiredViews() throws {
        let all = targets(try loadDashboard())
        #expect(all.count >= 10)
        for (panel, expr) in all {
            #expect(expr.contains("ai_operator_"), "\(panel): queries no operator metric")
            let problems = MetricCatalog.problems(in: expr)
            #expect(problems.isEmpty, "\(panel): \(problems) in \(expr)")
        }
        let joined = all.map(\.expr).joined(separator: "\n")
        // Rollback success rate 24 h, active rollbacks by state, MTTR trend, call latency
        // p50/p95/p99, invariant violations by id, aborts by reason, webhooks, HTTP latency.
        #expect(
            all.contains {
                $0.expr.contains("ai_operator_rollbacks_merged_total")
                    && $0.expr.contains("ai_operator_rollbacks_proposed_total") && $0.expr.contains("[24h]")
            })
        #expect(joined.contains("ai_operator_fsm_state") && joined.contains("ai_operator_active_rollbacks"))
        #expect(
            all.contains {
                $0.expr.contains("histogram_quantile")
                    && $0.expr.contains("ai_operator_mean_time_to_recovery_seconds_bucket")
            })
        for q in ["0.5", "0.95", "0.99"] {
            #expect(
                all.contains {
                    $0.expr.contains("histogram_quantile(\(q),")
                        && $0.expr.contains("ai_operator_mcp_call_duration_seconds_bucket")
                        && $0.expr.contains("call_name")
                }, "call latency p\(q)")
        }
        #expect(
            all.contains {
                $0.expr.contains("ai_operator_invariant_violations_total") && $0.expr.contains("by (invariant_id)")
            })
        #expect(
            all.contains { $0.expr.contains("ai_operator_rollbacks_aborted_total") && $0.expr.contains("by (reason)") })
        #expect(all.contains { $0.expr.contains("ai_operator_webhooks_received_total") && $0.expr.contains("outcome") })
        #expect(joined.contains("ai_operator_http_request_duration_seconds_bucket"))
        #expect(
            joined.contains(#"app_name=~"$app_name""#) && joined.contains(#"environment=~"$environment""#),
            "the template variables filter the queries")
    }

    /// Grafana variables replaced by values, every query is checked by promtool as a recording
    /// rule: a PromQL syntax error fails here rather than as an empty panel.
    @Test func dashboardQueriesAreValidPromQL() throws {
        let all = targets(try loadDashboard())
        var yaml = "groups:\n  - name: dashboard\n    rules:\n"
        for (i, t) in all.enumerated() {
            let expr = t.expr
                .replacingOccurrences(of: "$__rate_interval", with: "5m")
                .replacingOccurrences(of: "$__interval", with: "1m")
                .replacingOccurrences(of: "$app_name", with: ".*")
                .replacingOccurrences(of: "$environment", with: ".*")
            #expect(!expr.contains("$"), "unreplaced variable in \(t.panel): \(expr)")
            let quoted =
                "\""
                + expr.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
                .replacingOccurrences(of: "\n", with: " ") + "\""
            yaml += "      - record: dashboard:query\(i)\n        expr: \(quoted)\n"
        }
        let dir = TemporaryDirectory("deploy-tests-dashboard")
        defer { dir.remove() }
        let file = dir.path + "/dashboard-queries.yaml"
        try yaml.write(toFile: file, atomically: true, encoding: .utf8)
        let r = try Tool.run(try Tool.promtool(), ["check", "rules", file])
        #expect(r.status == 0, "dashboard PromQL:\n\(r.output)")
        #expect(r.output.contains("SUCCESS: \(all.count) rules found"), "\(r.output)")
    }

    @Test func metricCheckerCatchesMistakes() {
        #expect(
            MetricCatalog.problems(in: "rate(ai_operator_rollbacks_total[5m])") == [
                "unknown metric ai_operator_rollbacks_total"
            ])
        #expect(
            !MetricCatalog.problems(in: #"ai_operator_fsm_state{environment="x"}"#).isEmpty,
            "fsm_state has no environment label")
        #expect(
            !MetricCatalog.problems(in: "ai_operator_mean_time_to_recovery_seconds").isEmpty,
            "a histogram is queried by its series")
        #expect(!MetricCatalog.problems(in: "sum by (reason) (ai_operator_active_rollbacks)").isEmpty)
        #expect(
            MetricCatalog.problems(
                in: #"sum by (le) (rate(ai_operator_mcp_call_duration_seconds_bucket{call_name=~"github.*"}[5m]))"#
            ).isEmpty)
    }
}
