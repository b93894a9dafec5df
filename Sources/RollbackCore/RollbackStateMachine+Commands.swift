import Foundation

/// Commands (SPEC 10) and humans acting on the PR directly (SPEC 5).
extension RollbackStateMachine {
    mutating func command(_ command: CommandInput, _ step: inout Step) -> Transition.Outcome {
        guard command.isAuthorized else {
            return .ignored(reason: "\(command.sender) is not authorized to send \(command.kind.rawValue)")
        }
        func notApplied(_ why: String) -> Transition.Outcome {
            step.out.append(
                .reply(
                    CommandReply(
                        channel: command.channel, applied: false,
                        text: CommandReplyRenderer.notApplied(
                            command.kind, sender: command.sender, app: app.name, state: state, why: why))))
            return .ignored(reason: why)
        }
        func reply(_ detail: String) {
            step.out.append(
                .reply(
                    CommandReply(
                        channel: command.channel, applied: true,
                        text: CommandReplyRenderer.applied(
                            command.kind, sender: command.sender, app: app.name, detail: detail))))
        }
        if commentAlreadyApplied(command.commentID) {
            return .ignored(reason: "comment \(command.commentID ?? 0) was applied already")
        }
        switch command.kind {
        case .approve:
            guard state == .awaitingMergeApproval || state == .awaitingHumanReview else {
                return notApplied("APPROVE is accepted only in AwaitingMergeApproval or AwaitingHumanReview")
            }
            guard let pr = attempt!.pullRequest else { return notApplied("there is no rollback PR") }
            guard let operatorCommit = pr.operatorCommitSHA, pr.headSHA == operatorCommit else {
                return notApplied(
                    "the PR head \(ShortSHA.of(pr.headSHA)) is not the operator's commit; APPROVE applies only to the operator's own change"
                )
            }
            attempt!.approvals.append(.init(approver: command.sender, headSHA: pr.headSHA, at: step.now))
            step.out.append(
                .audit(
                    AuditRecord(
                        actionType: .fsmTransition, level: .info, correlationId: attempt!.correlationId,
                        reasoning:
                            "\(command.sender), an authorized approver, sent APPROVE for head \(ShortSHA.of(pr.headSHA)) of PR #\(pr.number).",
                        fsmBefore: state, fsmAfter: state, event: step.label, invariants: nil, escalation: nil)))
            reply(
                "approval recorded for head \(ShortSHA.of(pr.headSHA)) of PR #\(pr.number); the PR is merged once I6 and I8 pass on fresh data."
            )
            requestMergeFacts(&step)
            return .applied
        case .abort:
            guard state.hasOpenAttempt else { return notApplied("ABORT needs an open attempt") }
            reply(
                "the rollback attempt is aborted\(attempt!.pullRequest != nil && attempt!.merge == nil ? " and its PR closed" : "")."
            )
            abort(
                .abortedByHuman, escalation: nil, detail: "\(command.sender) sent ABORT",
                closePR: "Aborted by \(command.sender) (ABORT).", &step)
            return .applied
        case .manual:
            guard state.hasOpenPR, attempt!.pullRequest != nil else {
                return notApplied("MANUAL needs an open rollback PR")
            }
            reply("the rollback PR is closed; a human takes over.")
            abort(
                .manualTakeover, escalation: nil, detail: "\(command.sender) sent MANUAL",
                closePR: "Closed for manual takeover by \(command.sender) (MANUAL).", &step)
            return .applied
        case .reset:
            guard state == .abort || state == .awaitingHumanReview else {
                return notApplied("RESET is accepted only in Abort or AwaitingHumanReview")
            }
            reply("the attempt has ended (RESET); back to Idle.")
            if state == .awaitingHumanReview {
                closePRIfOpen("Closed on RESET by \(command.sender).", &step)
            } else if let pr = attempt?.pullRequest, attempt?.merge == nil, attempt?.abortReason != .prClosed,
                attempt?.abortReason != .manualTakeover, attempt?.abortReason != .abortedByHuman
            {
                step.out.append(.closePullRequest(number: pr.number, comment: "Closed on RESET by \(command.sender)."))
            }
            if state == .awaitingHumanReview {
                attempt!.abortReason = .reset
                step.out.append(.recordMetric(.rollbackAborted(reason: .reset)))
            }
            step.label = "Reset"
            finish(because: "\(command.sender) sent RESET", &step)
            return .applied
        }
    }

    mutating func pullRequestClosed(_ closure: PullRequestClosure, _ step: inout Step) -> Transition.Outcome {
        guard state.hasOpenPR, let pr = attempt!.pullRequest, pr.number == closure.number else {
            return .ignored(reason: "not the open rollback PR")
        }
        guard !closure.byOperator else { return .ignored(reason: "the operator closed it itself") }
        if closure.merged {
            step.label = "MergedExternally"
            attempt!.merge = .init(
                basis: .humanApproval(approver: closure.closedBy, headSHA: pr.headSHA), headSHA: pr.headSHA,
                orderedAt: step.now, confirmed: true, external: true)
            if let targetSHA = attempt!.target?.sha { rememberRollback(to: targetSHA) }
            move(to: .rollbackMerged, because: "\(closure.closedBy) merged PR #\(pr.number)", &step)
            step.out.append(.publish(domainEvent(.mergeCompleted, step.now)))
            step.out.append(.recordMetric(.rollbackMerged(autoMerged: false)))
        } else {
            step.label = "PRClosed"
            abort(
                .prClosed, escalation: nil, detail: "\(closure.closedBy) closed PR #\(pr.number) without merging",
                closePR: nil, &step)
        }
        return .applied
    }

    mutating func pullRequestHeadChanged(_ number: Int, _ sha: String, pushedBy: String?, _ step: inout Step)
        -> Transition.Outcome
    {
        guard state.hasOpenPR, let pr = attempt!.pullRequest, pr.number == number else {
            return .ignored(reason: "not the open rollback PR")
        }
        guard pr.headSHA != sha else { return .ignored(reason: "the head did not change") }
        attempt!.pullRequest!.headSHA = sha
        // Only the head's identity is known here: MergeIntegrity's first rule decides.
        if sha != pr.operatorCommitSHA,
            let refusal = MergeIntegrity.refusal(
                headSHA: sha, operatorCommitSHA: pr.operatorCommitSHA, changes: nil, manifestPath: app.manifestPath,
                currentRevision: nil, targetRevision: nil)
        {
            foreignHead(sha, pushedBy: pushedBy, refusal: refusal, &step)
        }
        if state == .prCreated { step.out.append(.fetchCI(prNumber: number, headSHA: sha)) }
        return .applied
    }
}
