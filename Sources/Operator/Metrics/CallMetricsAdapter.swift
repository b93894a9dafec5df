// The clients report each external call's duration and error code; this feeds them to the
// service's metrics.
import Clients

/// External call durations and errors into the SPEC 15 metrics.
struct CallMetricsAdapter: CallMetrics {
    let metrics: OperatorMetrics
    func observeDuration(callName: String, seconds: Double) { metrics.mcpCallDuration.observe([callName], seconds) }
    func countError(callName: String, errorCode: String) { metrics.mcpCallErrors.inc([callName, errorCode]) }
}
