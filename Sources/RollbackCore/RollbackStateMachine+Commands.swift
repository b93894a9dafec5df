import Foundation

/// Commands (SPEC 10) and humans acting on the PR directly (SPEC 5).
extension RollbackStateMachine {
    mutating func command(_ c: CommandInput, _ s: inout Step) -> Transition.Outcome {
        guard c.isAuthorized else {
            return .ignored(reason: "\(c.sender) is not authorized to send \(c.kind.rawValue)")
        }
        func notApplied(_ why: String) -> Transition.Outcome {
            s.out.append(
                .reply(
                    CommandReply(
                        channel: c.channel, applied: false,
                        text: CommandReplyRenderer.notApplied(
                            c.kind, sender: c.sender, app: app.name, state: state, why: why))))
            return .ignored(reason: why)
        }
        func reply(_ detail: String) {
            s.out.append(
                .reply(
                    CommandReply(
                        channel: c.channel, applied: true,
                        text: CommandReplyRenderer.applied(c.kind, sender: c.sender, app: app.name, detail: detail))))
        }
        switch c.kind {
        case .approve:
            guard state == .awaitingMergeApproval || state == .awaitingHumanReview else {
                return notApplied("APPROVE is accepted only in AwaitingMergeApproval or AwaitingHumanReview")
            }
            guard let pr = attempt!.pullRequest else { return notApplied("there is no rollback PR") }
            attempt!.approvals.append(.init(approver: c.sender, headSHA: pr.headSHA, at: s.now))
            s.out.append(
                .audit(
                    AuditRecord(
                        actionType: .fsmTransition, level: .info, correlationId: attempt!.correlationId,
                        reasoning:
                            "\(c.sender), an authorized approver, sent APPROVE for head \(ShortSHA.of(pr.headSHA)) of PR #\(pr.number).",
                        fsmBefore: state, fsmAfter: state, event: s.label, invariants: nil, escalation: nil)))
            reply(
                "approval recorded for head \(ShortSHA.of(pr.headSHA)) of PR #\(pr.number); the PR is merged once I6 and I8 pass on fresh data."
            )
            requestMergeFacts(&s)
            return .applied
        case .abort:
            guard state.hasOpenAttempt else { return notApplied("ABORT needs an open attempt") }
            reply(
                "the rollback attempt is aborted\(attempt!.pullRequest != nil && attempt!.merge == nil ? " and its PR closed" : "")."
            )
            abort(
                .abortedByHuman, escalation: nil, detail: "\(c.sender) sent ABORT",
                closePR: "Aborted by \(c.sender) (ABORT).", &s)
            return .applied
        case .manual:
            guard state.hasOpenPR, attempt!.pullRequest != nil else {
                return notApplied("MANUAL needs an open rollback PR")
            }
            reply("the rollback PR is closed; a human takes over.")
            abort(
                .manualTakeover, escalation: nil, detail: "\(c.sender) sent MANUAL",
                closePR: "Closed for manual takeover by \(c.sender) (MANUAL).", &s)
            return .applied
        case .reset:
            guard state == .abort || state == .awaitingHumanReview else {
                return notApplied("RESET is accepted only in Abort or AwaitingHumanReview")
            }
            reply("the attempt has ended (RESET); back to Idle.")
            if state == .awaitingHumanReview {
                closePRIfOpen("Closed on RESET by \(c.sender).", &s)
            } else if let pr = attempt?.pullRequest, attempt?.merge == nil, attempt?.abortReason != .prClosed,
                attempt?.abortReason != .manualTakeover, attempt?.abortReason != .abortedByHuman
            {
                s.out.append(.closePullRequest(number: pr.number, comment: "Closed on RESET by \(c.sender)."))
            }
            if state == .awaitingHumanReview {
                attempt!.abortReason = .reset
                s.out.append(.recordMetric(.rollbackAborted(reason: .reset)))
            }
            s.label = "Reset"
            finish(because: "\(c.sender) sent RESET", &s)
            return .applied
        }
    }

    mutating func pullRequestClosed(_ c: PullRequestClosure, _ s: inout Step) -> Transition.Outcome {
        guard state.hasOpenPR, let pr = attempt!.pullRequest, pr.number == c.number else {
            return .ignored(reason: "not the open rollback PR")
        }
        guard !c.byOperator else { return .ignored(reason: "the operator closed it itself") }
        if c.merged {
            s.label = "MergedExternally"
            attempt!.merge = .init(
                basis: .humanApproval(approver: c.closedBy, headSHA: pr.headSHA), headSHA: pr.headSHA,
                orderedAt: s.now, confirmed: true, external: true)
            if let t = attempt!.target?.sha { rememberRollback(to: t) }
            move(to: .rollbackMerged, because: "\(c.closedBy) merged PR #\(pr.number)", &s)
            s.out.append(.publish(domainEvent(.mergeCompleted, s.now)))
        } else {
            s.label = "PRClosed"
            abort(
                .prClosed, escalation: nil, detail: "\(c.closedBy) closed PR #\(pr.number) without merging",
                closePR: nil, &s)
        }
        return .applied
    }

    mutating func pullRequestHeadChanged(_ number: Int, _ sha: String, _ s: inout Step) -> Transition.Outcome {
        guard state.hasOpenPR, let pr = attempt!.pullRequest, pr.number == number else {
            return .ignored(reason: "not the open rollback PR")
        }
        guard pr.headSHA != sha else { return .ignored(reason: "the head did not change") }
        attempt!.pullRequest!.headSHA = sha
        if state == .prCreated { s.out.append(.fetchCI(prNumber: number, headSHA: sha)) }
        return .applied
    }
}
