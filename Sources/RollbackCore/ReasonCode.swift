/// Why an escalation was raised or an attempt ended (SPEC 10, 11). The raw values are the
/// contract; `words` is the human form used in escalation titles.
public enum ReasonCode: String, Sendable, Equatable, Codable, CaseIterable {
    // Escalation codes (SPEC 11).
    case approvalRequired = "APPROVAL_REQUIRED"
    case ciFailure = "CI_FAILURE"
    case ciTimeout = "CI_TIMEOUT"
    case noCandidate = "NO_CANDIDATE"
    case prCreationFailed = "PR_CREATION_FAILED"
    case permissionDenied = "PERMISSION_DENIED"
    case invariantFailed = "INVARIANT_FAILED"
    case notMergeable = "NOT_MERGEABLE"
    case approvalTimeout = "APPROVAL_TIMEOUT"
    case recoveryTimeout = "RECOVERY_TIMEOUT"
    case newDegradation = "NEW_DEGRADATION"
    case healthUnknown = "HEALTH_UNKNOWN"
    case healthMissing = "HEALTH_MISSING"
    case argocdUnreachable = "ARGOCD_UNREACHABLE"
    case revisionMismatch = "REVISION_MISMATCH"
    case staleState = "STALE_STATE"
    case quotaExceeded = "QUOTA_EXCEEDED"
    case rateLimited = "RATE_LIMITED"
    /// A write the write policy refuses (SPEC 19): nothing is written.
    case policyDenied = "POLICY_DENIED"
    // Ends of an attempt that are not escalations (SPEC 5, 10).
    case prClosed = "PR_CLOSED"
    case abortedByHuman = "ABORTED_BY_HUMAN"
    case manualTakeover = "MANUAL_TAKEOVER"
    case reset = "RESET"

    /// The reason in words, for `[URGENT] AI Operator Escalation: <app> - <reason in words>`.
    public var words: String {
        switch self {
        case .approvalRequired: "Approval Required for Rollback PR"
        case .ciFailure: "CI Failure on Rollback PR"
        case .ciTimeout: "CI Timeout on Rollback PR"
        case .noCandidate: "No Rollback Candidate Found"
        case .prCreationFailed: "Rollback PR Creation Failed"
        case .permissionDenied: "Permission Denied"
        case .invariantFailed: "Safety Invariant Failed"
        case .notMergeable: "Rollback PR Not Mergeable"
        case .approvalTimeout: "Approval Timeout"
        case .recoveryTimeout: "No Recovery After Rollback"
        case .newDegradation: "New Degradation After Rollback"
        case .healthUnknown: "Health Unknown"
        case .healthMissing: "Application Missing"
        case .argocdUnreachable: "Argo CD Unreachable"
        case .revisionMismatch: "Revision Mismatch"
        case .staleState: "Stale Rollback Attempt"
        case .quotaExceeded: "Rollback Quota Exceeded"
        case .rateLimited: "GitHub Rate Limited"
        case .policyDenied: "Write Policy Denied"
        case .prClosed: "Rollback PR Closed by a Human"
        case .abortedByHuman: "Aborted by a Human"
        case .manualTakeover: "Manual Takeover"
        case .reset: "Reset"
        }
    }
}
