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
        let result = try Tool.run(try Tool.promtool(), ["check", "rules", Repo.path(Self.rules)])
        #expect(result.status == 0, "promtool check rules:\n\(result.output)")
        #expect(result.output.contains("SUCCESS"), "\(result.output)")
    }

    @Test func promtoolRuleUnitTestsPass() throws {
        let result = try Tool.run(try Tool.promtool(), ["test", "rules", Repo.path(Self.ruleTests)])
        #expect(result.status == 0, "promtool test rules:\n\(result.output)")
        #expect(result.output.contains("SUCCESS"), "\(result.output)")
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
            let annotations = rule.dict("annotations") ?? [:]
            for key in ["summary", "description", "runbook_url"] {
                #expect(!(annotations.string(key) ?? "").isEmpty, "\(name): \(key)")
            }
            let url = annotations.string("runbook_url") ?? ""
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
        for testGroup in tests.list("tests") {
            for alertTest in testGroup.list("alert_rule_test") {
                let name = alertTest.string("alertname") ?? ""
                if alertTest.list("exp_alerts").isEmpty { silent.insert(name) } else { fired.insert(name) }
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
        let plainGroups = try JSONSerialization.data(withJSONObject: plain["groups"] ?? [], options: [.sortedKeys])
        let wrappedGroups = try JSONSerialization.data(
            withJSONObject: wrapped.at("spec.groups") ?? [], options: [.sortedKeys])
        #expect(
            plainGroups == wrappedGroups,
            "prometheusrule.yaml spec.groups differs from alert-rules.yaml: copy the groups again")
    }

    func loadDashboard() throws -> [String: Any] {
        let data = try #require(FileManager.default.contents(atPath: Repo.path(Self.dashboard)))
        return try #require(
            try JSONSerialization.jsonObject(with: data) as? [String: Any], "the dashboard is not a JSON object")
    }

    /// Every query of the dashboard, panels inside rows included.
    func targets(_ dashboard: [String: Any]) -> [(panel: String, expr: String)] {
        var out: [(String, String)] = []
        func walk(_ panels: [[String: Any]]) {
            for panel in panels {
                for target in panel.list("targets") {
                    out.append((panel.string("title") ?? "?", target.string("expr") ?? ""))
                }
                walk(panel.list("panels"))
            }
        }
        walk(dashboard.list("panels"))
        return out
    }

    @Test func dashboardIsAValidGrafanaDashboard() throws {
        let dashboard = try loadDashboard()
        #expect((dashboard.int("schemaVersion") ?? 0) >= 36)
        #expect(!(dashboard.string("title") ?? "").isEmpty && !(dashboard.string("uid") ?? "").isEmpty)
        let templateVariables = (dashboard.dict("templating")?.list("list") ?? [])
        let byName = Dictionary(
            templateVariables.map { ($0.string("name") ?? "", $0) }, uniquingKeysWith: { first, _ in first })
        #expect(byName["datasource"]?.string("type") == "datasource")
        #expect(byName["datasource"]?.string("query") == "prometheus")
        for variableName in ["app_name", "environment"] {
            #expect(byName[variableName]?.string("type") == "query", "variable \(variableName)")
            #expect(
                (byName[variableName]?.string("definition") ?? "").contains("label_values(ai_operator_"),
                "variable \(variableName) reads the operator's labels")
        }
        var ids = Set<Int>()
        func walk(_ panels: [[String: Any]]) {
            for panel in panels {
                let id = panel.int("id") ?? -1
                #expect(ids.insert(id).inserted, "duplicate panel id \(id)")
                #expect(panel.dict("gridPos") != nil, "\(panel.string("title") ?? "?"): gridPos")
                if panel.string("type") != "row" {
                    #expect(!panel.list("targets").isEmpty, "\(panel.string("title") ?? "?"): no query")
                    #expect(
                        (panel.dict("datasource")?.string("uid")) == "${datasource}",
                        "\(panel.string("title") ?? "?"): uses the datasource variable")
                }
                walk(panel.list("panels"))
            }
        }
        walk(dashboard.list("panels"))
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
        for quantile in ["0.5", "0.95", "0.99"] {
            #expect(
                all.contains {
                    $0.expr.contains("histogram_quantile(\(quantile),")
                        && $0.expr.contains("ai_operator_mcp_call_duration_seconds_bucket")
                        && $0.expr.contains("call_name")
                }, "call latency p\(quantile)")
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
        for (index, target) in all.enumerated() {
            let expr = target.expr
                .replacingOccurrences(of: "$__rate_interval", with: "5m")
                .replacingOccurrences(of: "$__interval", with: "1m")
                .replacingOccurrences(of: "$app_name", with: ".*")
                .replacingOccurrences(of: "$environment", with: ".*")
            #expect(!expr.contains("$"), "unreplaced variable in \(target.panel): \(expr)")
            let quoted =
                "\""
                + expr.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
                .replacingOccurrences(of: "\n", with: " ") + "\""
            yaml += "      - record: dashboard:query\(index)\n        expr: \(quoted)\n"
        }
        let dir = TemporaryDirectory("deploy-tests-dashboard")
        defer { dir.remove() }
        let file = dir.path + "/dashboard-queries.yaml"
        try yaml.write(toFile: file, atomically: true, encoding: .utf8)
        let result = try Tool.run(try Tool.promtool(), ["check", "rules", file])
        #expect(result.status == 0, "dashboard PromQL:\n\(result.output)")
        #expect(result.output.contains("SUCCESS: \(all.count) rules found"), "\(result.output)")
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
