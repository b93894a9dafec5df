import Storage

/// Every metric family the service exports (SPEC section 15 plus the ingress families).
/// Created once per service; `/metrics` renders the registry. No label value is taken from a
/// request: methods, routes, statuses, events and outcomes all come from closed sets.
public final class OperatorMetrics: Sendable {
    public let registry = MetricsRegistry()
    /// The newest rejected webhook requests, in memory only (listed with the deliveries).
    let rejectedRequests = RejectedRequests(capacity: 1000)

    // Ingress.
    public let webhooksReceived: Counter
    public let httpRequestDuration: Histogram
    public let githubRateLimitRemaining: Gauge
    /// Stored deliveries set aside (body unreadable or undecodable), by `SetAsideReason`.
    public let deliveriesSetAside: Counter

    // SPEC section 15.
    public let degradationsDetected: Counter
    public let rollbacksProposed: Counter
    public let rollbacksMerged: Counter
    public let rollbacksAborted: Counter
    public let invariantViolations: Counter
    public let mcpCallErrors: Counter
    public let fsmState: Gauge
    public let activeRollbacks: Gauge
    public let meanTimeToRecovery: Histogram
    public let candidateResolutionDuration: Histogram
    public let mcpCallDuration: Histogram

    public init() {
        webhooksReceived = registry.counter(
            "ai_operator_webhooks_received_total",
            "Webhook requests received, by source, event and outcome.",
            labels: ["source", "event", "outcome"])
        httpRequestDuration = registry.histogram(
            "ai_operator_http_request_duration_seconds",
            "Time from the first byte of a request to its answer, by method, route and status.",
            labels: ["method", "route", "status"],
            buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10])
        githubRateLimitRemaining = registry.gauge(
            "ai_operator_github_rate_limit_remaining",
            "GitHub API requests left in the current rate-limit window (last seen).")
        deliveriesSetAside = registry.counter(
            "ai_operator_deliveries_set_aside_total",
            "Stored webhook deliveries set aside and never routed: the body cannot be read or decoded, by reason.",
            labels: ["reason"])
        for reason in SetAsideReason.allCases { deliveriesSetAside.inc([reason.rawValue], by: 0) }
        degradationsDetected = registry.counter(
            "ai_operator_degradations_detected_total",
            "Persistent degradations confirmed.", labels: ["app_name", "environment"])
        rollbacksProposed = registry.counter(
            "ai_operator_rollbacks_proposed_total",
            "Rollback pull requests proposed.", labels: ["app_name", "environment", "success"])
        rollbacksMerged = registry.counter(
            "ai_operator_rollbacks_merged_total",
            "Rollback pull requests merged.", labels: ["app_name", "environment", "auto_merged"])
        rollbacksAborted = registry.counter(
            "ai_operator_rollbacks_aborted_total",
            "Rollback attempts aborted, by reason.", labels: ["app_name", "environment", "reason"])
        invariantViolations = registry.counter(
            "ai_operator_invariant_violations_total",
            "Safety invariants that failed at a merge decision.", labels: ["invariant_id"])
        mcpCallErrors = registry.counter(
            "ai_operator_mcp_call_errors_total",
            "External calls that failed, by call and error code.", labels: ["call_name", "error_code"])
        fsmState = registry.gauge(
            "ai_operator_fsm_state", "1 for the state each application is in.", labels: ["app_name", "state"])
        activeRollbacks = registry.gauge(
            "ai_operator_active_rollbacks", "Rollback attempts in progress.", labels: ["environment"])
        meanTimeToRecovery = registry.histogram(
            "ai_operator_mean_time_to_recovery_seconds",
            "Time from confirmed degradation to recovery after a rollback.",
            labels: ["app_name", "environment"], buckets: [30, 60, 120, 300, 600, 1200])
        candidateResolutionDuration = registry.histogram(
            "ai_operator_candidate_resolution_duration_seconds",
            "Time to choose a rollback target.", labels: ["app_name"],
            buckets: [10, 30, 60, 120])
        mcpCallDuration = registry.histogram(
            "ai_operator_mcp_call_duration_seconds", "Duration of external calls.",
            labels: ["call_name"], buckets: [0.1, 0.5, 1, 2, 5, 10])
        for env in ["staging", "production"] { activeRollbacks.set([env], 0) }
        // A request no route takes, whatever its method: created now, so strangers add no series.
        for method in ["GET", "POST", "HEAD", "other"] {
            prepareRequestSeries(method: method, route: "unmatched", statuses: [404, 405])
        }
    }

    /// Creates the request-duration series of `method` on `route` for each status, at zero.
    func prepareRequestSeries(method: String, route: String, statuses: [Int]) {
        for status in statuses { httpRequestDuration.prepare([method, route, String(status)]) }
    }
}
