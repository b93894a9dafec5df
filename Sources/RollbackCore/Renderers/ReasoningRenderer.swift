/// The audit `reasoning` sentence of each action (SPEC 14).
public enum ReasoningRenderer {
    /// A state transition: "payment-service moved from PRCreated to AwaitingMergeApproval
    /// on CIReported because CI of PR #42 passed."
    public static func transition(app: String, from: RollbackState, to: RollbackState, event: String, because: String)
        -> String
    {
        if from == to {
            return "\(app) stayed in \(from.rawValue) on \(event) because \(because)."
        }
        return "\(app) moved from \(from.rawValue) to \(to.rawValue) on \(event) because \(because)."
    }

    /// An invariant evaluation before a merge decision.
    public static func invariantCheck(app: String, report: InvariantReport, decision: String) -> String {
        let failed = report.failed
        let summary =
            failed.isEmpty
            ? "all 8 invariants PASS"
            : "\(failed.map(\.rawValue).joined(separator: ", ")) FAIL"
        return "Invariants of \(app) evaluated before the merge decision: \(summary); \(decision)."
    }

    /// An escalation.
    public static func escalation(app: String, code: ReasonCode, detail: String) -> String {
        "Escalated \(app) to humans with reason \(code.rawValue) because \(detail)."
    }

    /// A merge order.
    public static func merge(app: String, prNumber: Int, headSHA: String, basis: MergeBasis) -> String {
        switch basis {
        case .automatic:
            "Ordered a squash-merge of PR #\(prNumber) for \(app) at head \(ShortSHA.of(headSHA)) because all 8 invariants PASS in staging."
        case .humanApproval(let who, _):
            "Ordered a squash-merge of PR #\(prNumber) for \(app) at head \(ShortSHA.of(headSHA)) because \(who) approved that head and the required invariants PASS."
        }
    }
}
