import Foundation

/// The metric families the operator exports: SPEC section 15 (exact names and labels) plus
/// the two ingress families. Dashboards and rules may use nothing else from the operator.
enum MetricCatalog {
    enum Kind { case counter, gauge, histogram }

    static let families: [String: (kind: Kind, labels: Set<String>)] = [
        "ai_operator_degradations_detected_total": (.counter, ["app_name", "environment"]),
        "ai_operator_rollbacks_proposed_total": (.counter, ["app_name", "environment", "success"]),
        "ai_operator_rollbacks_merged_total": (.counter, ["app_name", "environment", "auto_merged"]),
        "ai_operator_rollbacks_aborted_total": (.counter, ["app_name", "environment", "reason"]),
        "ai_operator_invariant_violations_total": (.counter, ["invariant_id"]),
        "ai_operator_mcp_call_errors_total": (.counter, ["call_name", "error_code"]),
        "ai_operator_fsm_state": (.gauge, ["app_name", "state"]),
        "ai_operator_active_rollbacks": (.gauge, ["environment"]),
        "ai_operator_mean_time_to_recovery_seconds": (.histogram, ["app_name", "environment"]),
        "ai_operator_candidate_resolution_duration_seconds": (.histogram, ["app_name"]),
        "ai_operator_mcp_call_duration_seconds": (.histogram, ["call_name"]),
        // Ingress families (beyond SPEC 15).
        "ai_operator_webhooks_received_total": (.counter, ["source", "event", "outcome"]),
        "ai_operator_http_request_duration_seconds": (.histogram, ["method", "route", "status"]),
    ]

    /// Labels Prometheus adds when scraping (target labels), valid on every series.
    static let targetLabels: Set<String> = ["job", "instance", "namespace", "pod", "service", "endpoint", "container"]

    /// The family and the labels a series name may carry, or nil when it is not exported.
    static func resolve(_ series: String) -> (family: String, labels: Set<String>)? {
        if let family = families[series], family.kind != .histogram {
            return (series, family.labels.union(targetLabels))
        }
        for suffix in ["_bucket", "_sum", "_count"] where series.hasSuffix(suffix) {
            let base = String(series.dropLast(suffix.count))
            if let family = families[base], family.kind == .histogram {
                let extra: Set<String> = suffix == "_bucket" ? ["le"] : []
                return (base, family.labels.union(targetLabels).union(extra))
            }
        }
        return nil
    }

    /// Problems with the operator metrics an expression uses: unknown series names and label
    /// matchers or grouping labels that the family does not have. `allowed` lists other
    /// series (such as `up`) that the expression may select.
    static func problems(in expr: String, allowed: [String: Set<String>] = [:]) -> [String] {
        var problems: [String] = []
        var usedLabels = Set<String>(targetLabels)
        let nameRegex = try! NSRegularExpression(pattern: #"\bai_operator_[a-z0-9_]+"#)
        let expression = expr as NSString
        for match in nameRegex.matches(in: expr, range: NSRange(location: 0, length: expression.length)) {
            let name = expression.substring(with: match.range)
            if let resolved = resolve(name) {
                usedLabels.formUnion(resolved.labels)
            } else {
                problems.append("unknown metric \(name)")
            }
        }
        for (_, labels) in allowed { usedLabels.formUnion(labels) }
        // Selectors: name{label op "value", ...}
        let selector = try! NSRegularExpression(pattern: #"\b([a-zA-Z_:][a-zA-Z0-9_:]*)\s*\{([^}]*)\}"#)
        let matcher = try! NSRegularExpression(pattern: #"([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)"#)
        for match in selector.matches(in: expr, range: NSRange(location: 0, length: expression.length)) {
            let name = expression.substring(with: match.range(at: 1))
            let body = expression.substring(with: match.range(at: 2)) as NSString
            let labels: Set<String>
            if let resolved = resolve(name) {
                labels = resolved.labels
            } else if let allowedLabels = allowed[name] {
                labels = allowedLabels
            } else {
                if !name.hasPrefix("ai_operator_") {
                    problems.append("selector on a series that is not the operator's: \(name)")
                }
                continue
            }
            // Only label names outside quoted values.
            let unquoted = body.replacingOccurrences(
                of: #""([^"\\]|\\.)*""#, with: "\"\"", options: .regularExpression,
                range: NSRange(location: 0, length: body.length))
            let unquotedText = unquoted as NSString
            for labelMatch in matcher.matches(in: unquoted, range: NSRange(location: 0, length: unquotedText.length)) {
                let label = unquotedText.substring(with: labelMatch.range(at: 1))
                if !labels.contains(label) { problems.append("\(name) has no label \(label)") }
            }
        }
        // Grouping: by (a, b) / without (a)
        let grouping = try! NSRegularExpression(pattern: #"\b(by|without)\s*\(([^)]*)\)"#)
        for match in grouping.matches(in: expr, range: NSRange(location: 0, length: expression.length)) {
            for label in expression.substring(with: match.range(at: 2)).split(separator: ",").map({
                $0.trimmingCharacters(in: .whitespaces)
            }) where !label.isEmpty {
                if !usedLabels.contains(label) { problems.append("grouping by \(label), which no selected series has") }
            }
        }
        return problems
    }
}
