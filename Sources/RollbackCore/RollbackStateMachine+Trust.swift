import Foundation

/// The trust boundaries of SPEC 19 inside the machine: a write the policy refuses ends the
/// attempt with `POLICY_DENIED` before anything is written; a PR head that is not the
/// operator's own commit voids the merge decision and is escalated once; a ChatOps command
/// counts once per comment.
extension RollbackStateMachine {
    /// At the start of an attempt: refuses an app the write policy does not allow, and
    /// escalates once a label that disagrees with the branch it deploys from. Returns false
    /// when the attempt was ended.
    mutating func checkWritePolicyAtStart(_ step: inout Step) -> Bool {
        if let refusal = step.config.writePolicy.refusal(for: app) {
            denyByPolicy(refusal, &step)
            return false
        }
        // A label that disagrees with the branch is named in the production approval request
        // opened next (the environment is already the stricter one).
        return true
    }

    /// Ends the open attempt with `POLICY_DENIED`: one escalation naming the rule and the value,
    /// audited; nothing is written to the app's repositories.
    mutating func denyByPolicy(_ refusal: PolicyRefusal, _ step: inout Step) {
        step.label = "PolicyDenied"
        abort(
            .policyDenied, escalation: .policyDenied,
            detail: "the write policy refused: \(TextFormatting.redact(refusal.description))", closePR: nil, &step)
    }

    mutating func policyDenied(_ refusal: PolicyRefusal, _ step: inout Step) -> Transition.Outcome {
        guard state.hasOpenAttempt, state != .abort else { return .ignored(reason: "no open attempt to stop") }
        denyByPolicy(refusal, &step)
        return .applied
    }

    /// A hard failure of a call the attempt depends on (SPEC 12): `PERMISSION_DENIED` escalates
    /// at once with its security alert, any other non-retryable code with its escalation code;
    /// the attempt stops instead of waiting for a timeout that would report the wrong reason.
    mutating func callFailed(_ failure: ExternalCallFailure, _ step: inout Step) -> Transition.Outcome {
        guard state.hasOpenAttempt, state != .abort, state != .rollbackMerged, state != .rollbackComplete else {
            return .ignored(reason: "no open attempt waits on this call")
        }
        guard !failure.code.isRetryable || failure.retriesExhausted, failure.code != .alreadyMerged else {
            return .ignored(reason: "\(failure.code.rawValue) is retryable; the next poll asks again")
        }
        let code: ReasonCode = failure.code == .permissionDenied ? .permissionDenied : failure.code.escalationCode
        abort(
            code, escalation: code,
            detail: "a call failed with \(failure.code.rawValue): \(TextFormatting.redact(failure.message))",
            closePR: nil, &step)
        return .applied
    }

    /// A head that is not exactly the operator's change: approvals are void; staging stops
    /// automating (`AwaitingHumanReview`); one escalation per head says who pushed what.
    mutating func foreignHead(_ sha: String, pushedBy: String?, refusal: PolicyRefusal, _ step: inout Step) {
        let voided = attempt!.approvals.count
        attempt!.approvals.removeAll()
        var seen = attempt!.foreignHeads ?? []
        guard !seen.contains(sha) else { return }
        seen.append(sha)
        attempt!.foreignHeads = seen
        let branch = attempt!.pullRequest?.headBranch ?? attempt!.headBranch ?? "the rollback branch"
        let who = pushedBy.map { "by \($0) " } ?? ""
        escalate(
            .policyDenied,
            "head \(ShortSHA.of(sha)) of \(branch) was pushed \(who)and is not the operator's change "
                + "(\(TextFormatting.redact(refusal.description))); it will not be merged"
                + (voided > 0 ? ", and the approval given is void" : ""),
            &step)
        if app.environment == .staging && (state == .prCreated || state == .awaitingMergeApproval) {
            move(to: .awaitingHumanReview, because: "the PR head is not the operator's commit", &step)
        }
    }

    /// Whether a ChatOps command with this comment id was applied already; records it if not.
    mutating func commentAlreadyApplied(_ commentID: Int?) -> Bool {
        guard let commentID, attempt != nil else { return false }
        var applied = attempt!.appliedCommentIDs ?? []
        if applied.contains(commentID) { return true }
        applied.append(commentID)
        if applied.count > 200 { applied.removeFirst(applied.count - 200) }
        attempt!.appliedCommentIDs = applied
        return false
    }
}
