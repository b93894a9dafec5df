import Foundation

/// Merge decisions (SPEC 5 and 9): invariants from fresh facts, approvals, the merge gate.
extension RollbackStateMachine {
    /// Starts a fresh merge decision: read the facts (read 1).
    mutating func requestMergeFacts(_ step: inout Step) {
        guard let pr = attempt?.pullRequest else { return }
        attempt!.mergeFactsReads = 0
        step.out.append(.gatherMergeFacts(prNumber: pr.number, read: 1))
    }

    mutating func mergeFactsGathered(_ mergeFacts: MergeFacts, _ step: inout Step) -> Transition.Outcome {
        guard state == .awaitingMergeApproval || state == .awaitingHumanReview else {
            return .ignored(reason: "no merge decision is pending")
        }
        guard let pr = attempt!.pullRequest, mergeFacts.prNumber == pr.number else {
            return .ignored(reason: "facts for another PR")
        }
        guard let target = attempt!.target else { return .ignored(reason: "the attempt has no target") }
        let config = step.config
        let reads = attempt!.mergeFactsReads + 1
        attempt!.mergeFactsReads = reads
        attempt!.pullRequest!.headSHA = mergeFacts.headSHA
        let checks = attempt!.confirmingChecks
        var streak = 0
        for check in checks.reversed() { if check.degraded { streak += 1 } else { break } }
        let facts = InvariantFacts(
            environment: app.environment, health: mergeFacts.health, replicas: mergeFacts.replicas,
            consecutiveDegradedChecks: streak, requiredDegradedChecks: config.persistenceChecks,
            targetUptime: target.uptime, targetCIPassed: target.ciPassed, minimumUptime: config.minimumUptime,
            headSHA: mergeFacts.headSHA,
            headCI: mergeFacts.headCI.sha == mergeFacts.headSHA ? mergeFacts.headCI.verdict : .pending,
            openOperatorPRs: mergeFacts.openOperatorPRs, prNumber: pr.number, mergeable: mergeFacts.mergeable,
            mergeableState: mergeFacts.mergeableState, mergeableReads: reads,
            maxMergeableReads: config.mergeableMaxReads)
        let report = InvariantReport.evaluate(facts)
        attempt!.lastInvariants = report
        let approval = attempt!.approval(for: mergeFacts.headSHA)

        func audit(_ decision: String) {
            step.out.append(
                .audit(
                    AuditRecord(
                        actionType: .invariantCheck, level: report.allPass ? .info : .warning,
                        correlationId: attempt!.correlationId,
                        reasoning: ReasoningRenderer.invariantCheck(app: app.name, report: report, decision: decision),
                        fsmBefore: step.from, fsmAfter: step.from, event: step.label, invariants: report,
                        escalation: nil)))
        }

        if report.needsMergeableReread {
            audit("GitHub is still computing mergeability, reading again in \(config.mergeableRereadDelay) s")
            schedule(.mergeFactsReread, after: config.mergeableRereadDelay, &step)
            return .applied
        }
        attempt!.mergeFactsReads = 0

        if state == .awaitingMergeApproval && mergeFacts.health == .healthy {
            audit("health is restored, the PR is closed instead of merged")
            step.label = "HealthRestored"
            closePRIfOpen("Health restored before merge, rollback no longer needed.", &step)
            step.out.append(.publish(domainEvent(.healthRestored, step.now)))
            finish(because: "Argo CD reports Healthy at merge time (I2 FAIL)", &step)
            return .applied
        }

        // Only the operator's own change is ever merged (SPEC 19).
        if mergeFacts.headChanges == nil && mergeFacts.headSHA == pr.operatorCommitSHA {
            audit("the PR's diff against its base could not be read; not merging, re-checking")
            if state == .awaitingMergeApproval { schedule(.mergeFactsReread, after: config.ciPollInterval, &step) }
            return .applied
        }
        if let refusal = MergeIntegrity.refusal(
            headSHA: mergeFacts.headSHA, operatorCommitSHA: pr.operatorCommitSHA, changes: mergeFacts.headChanges,
            manifestPath: app.manifestPath, currentRevision: attempt!.currentRevision, targetRevision: target.sha)
        {
            audit("not merging: \(TextFormatting.redact(refusal.description))")
            foreignHead(mergeFacts.headSHA, pushedBy: mergeFacts.headAuthor, refusal: refusal, &step)
            return .applied
        }

        // Which rule decides: an approval of this head (human rule), or the staging auto-merge.
        let required: [InvariantID]?
        if let approval {
            required =
                (state == .awaitingHumanReview && app.environment == .staging)
                ? InvariantID.allCases.filter { $0 != .environment && $0 != .persistence }
                : [.ciSuccess, .branchProtection]
            if report.passes(required!) {
                audit("\(approval.approver) approved head \(ShortSHA.of(mergeFacts.headSHA)); merging")
                step.label = state == .awaitingHumanReview ? "Command(APPROVE)" : "HumanApproved"
                orderMerge(
                    .humanApproval(approver: approval.approver, headSHA: mergeFacts.headSHA),
                    headSHA: mergeFacts.headSHA, &step)
                return .applied
            }
        } else if state == .awaitingMergeApproval && app.environment == .staging {
            required = InvariantID.allCases
            if report.allPass {
                audit("all 8 invariants PASS in staging; auto-merging")
                step.label = "AutoMergeAllowed"
                orderMerge(.automatic(report), headSHA: mergeFacts.headSHA, &step)
                return .applied
            }
        } else {
            required = nil
        }

        guard required != nil else {
            audit("no approval of head \(ShortSHA.of(mergeFacts.headSHA)) yet; waiting")
            return .applied
        }
        // SPEC 9, "on FAIL".
        if report.outcome(.ciSuccess) == .fail && facts.headCI == .failed && state == .awaitingMergeApproval {
            audit("CI of the PR head failed")
            step.label = "InvariantFailed"
            step.out.append(.recordMetric(.invariantViolation(.ciSuccess)))
            abort(
                .ciFailure, escalation: .ciFailure,
                detail: "CI of the rollback PR head \(ShortSHA.of(mergeFacts.headSHA)) failed", closePR: nil, &step)
            return .applied
        }
        let serious = [InvariantID.stablePrevious, .noConflicts, .branchProtection].filter {
            report.outcome($0) == .fail
        }
        if !serious.isEmpty && state == .awaitingMergeApproval {
            audit("\(serious.map(\.rawValue).joined(separator: ", ")) FAIL; escalating")
            step.label = "InvariantFailed"
            for id in serious { step.out.append(.recordMetric(.invariantViolation(id))) }
            let code: ReasonCode = serious == [.branchProtection] ? .notMergeable : .invariantFailed
            escalate(
                code, "\(serious.map(\.rawValue).joined(separator: ", ")) failed immediately before the merge", &step)
            move(to: .awaitingHumanReview, because: "\(serious.map(\.rawValue).joined(separator: ", ")) FAIL", &step)
            return .applied
        }
        audit(
            "not merging yet: \(report.failed.filter { required!.contains($0) }.map(\.rawValue).joined(separator: ", ")) FAIL; re-checking"
        )
        if state == .awaitingMergeApproval { schedule(.mergeFactsReread, after: config.ciPollInterval, &step) }
        return .applied
    }

    /// The merge gate: every merge order passes here. A merge that would break a safety
    /// rule is an emergency stop instead (SPEC 5, last row).
    mutating func orderMerge(_ basis: MergeBasis, headSHA: String, _ step: inout Step) {
        let pr = attempt!.pullRequest!
        guard let operatorCommit = pr.operatorCommitSHA, operatorCommit == headSHA else {
            return emergencyStop(
                "a merge of head \(ShortSHA.of(headSHA)), not the operator's own commit, was about to happen", &step)
        }
        switch basis {
        case .automatic(let report):
            guard app.environment == .staging, report.allPass else {
                return emergencyStop(
                    "an automatic merge without all 8 invariants PASS in staging was about to happen", &step)
            }
        case .humanApproval(_, let sha):
            guard sha == headSHA, attempt!.approval(for: sha) != nil else {
                return emergencyStop(
                    "a merge without an authorized approval of head \(ShortSHA.of(headSHA)) was about to happen", &step)
            }
        }
        if case .exceeded(let why) = step.context.quotas.check(
            .merge(repository: app.manifestRepository), now: step.now, configuration: step.config)
        {
            escalate(.quotaExceeded, why, &step)
            if state != .awaitingHumanReview {
                move(to: .awaitingHumanReview, because: "the merge quota is exhausted", &step)
            }
            return
        }
        let order = MergeOrder(
            repository: app.manifestRepository, prNumber: pr.number, expectedHeadSHA: headSHA,
            method: "squash", basis: basis)
        attempt!.merge = .init(basis: basis, headSHA: headSHA, orderedAt: step.now, confirmed: false, external: false)
        if let targetSHA = attempt!.target?.sha { rememberRollback(to: targetSHA) }
        move(
            to: .rollbackMerged,
            because: ReasoningRenderer.merge(app: app.name, prNumber: pr.number, headSHA: headSHA, basis: basis)
                .dropLast().replacingOccurrences(of: "Ordered a squash-merge", with: "it ordered a squash-merge"), &step
        )
        step.out.append(.recordQuota(.merged(repository: app.manifestRepository)))
        step.out.append(.merge(order))
    }

    mutating func rememberRollback(to sha: String) {
        if !rolledBackTo.contains(sha) { rolledBackTo.append(sha) }
        if rolledBackTo.count > 20 { rolledBackTo.removeFirst(rolledBackTo.count - 20) }
    }

    mutating func emergencyStop(_ detail: String, _ step: inout Step) {
        step.label = "CriticalInvariantViolated"
        step.out.append(
            .audit(
                AuditRecord(
                    actionType: .error, level: .error, correlationId: attempt?.correlationId,
                    reasoning: "Emergency stop for \(app.name): \(detail).", fsmBefore: step.from, fsmAfter: .abort,
                    event: step.label, invariants: attempt?.lastInvariants, escalation: .invariantFailed)))
        if attempt == nil { startAttempt(&step) }
        abort(.invariantFailed, escalation: .invariantFailed, detail: "emergency stop: \(detail)", closePR: nil, &step)
    }

    mutating func criticalInvariantViolated(_ detail: String, _ step: inout Step) -> Transition.Outcome {
        guard state != .abort else { return .ignored(reason: "already stopped in Abort") }
        emergencyStop(detail, &step)
        return .applied
    }

    mutating func reviewSubmitted(_ review: ReviewInput, _ step: inout Step) -> Transition.Outcome {
        guard state.hasOpenPR, let pr = attempt!.pullRequest else { return .ignored(reason: "no open rollback PR") }
        guard !review.isOperator else { return .ignored(reason: "the operator never approves its own PR") }
        switch review.state {
        case .approved:
            guard review.isAuthorizedApprover else {
                return .ignored(reason: "\(review.reviewer) is not an authorized approver")
            }
            guard let sha = review.commitSHA, sha == pr.headSHA else {
                return .ignored(
                    reason:
                        "the approval is for \(review.commitSHA.map(ShortSHA.of) ?? "no commit"), not the current head \(ShortSHA.of(pr.headSHA))"
                )
            }
            attempt!.approvals.append(.init(approver: review.reviewer, headSHA: sha, at: step.now))
            step.out.append(
                .audit(
                    AuditRecord(
                        actionType: .mcpCall, level: .info, correlationId: attempt!.correlationId,
                        reasoning:
                            "\(review.reviewer), an authorized approver, approved head \(ShortSHA.of(sha)) of PR #\(pr.number).",
                        fsmBefore: state, fsmAfter: state, event: step.label, invariants: nil, escalation: nil)))
            if state != .prCreated { requestMergeFacts(&step) }
            return .applied
        case .dismissed, .changesRequested:
            // A dismissed approval no longer counts, and an approver who then asks for changes
            // has withdrawn their approval.
            let before = attempt!.approvals.count
            attempt!.approvals.removeAll { $0.approver.lowercased() == review.reviewer.lowercased() }
            return before == attempt!.approvals.count
                ? .ignored(reason: "no approval by \(review.reviewer) to withdraw") : .applied
        case .commented, .other:
            return .ignored(reason: "a \(review.state.rawValue) review does not change the decision")
        }
    }

    mutating func mergeSucceeded(_ step: inout Step) -> Transition.Outcome {
        guard state == .rollbackMerged, let merge = attempt!.merge, !merge.confirmed else {
            return .ignored(reason: "no merge is pending")
        }
        attempt!.merge!.confirmed = true
        step.out.append(.publish(domainEvent(.mergeCompleted, step.now)))
        // Counted when GitHub confirms the merge, whatever follows (SPEC 15).
        step.out.append(.recordMetric(.rollbackMerged(autoMerged: merge.basis.isAutomatic)))
        step.out.append(
            .audit(
                AuditRecord(
                    actionType: .mcpCall, level: .info, correlationId: attempt!.correlationId,
                    reasoning:
                        "GitHub confirmed the squash-merge of PR #\(attempt!.pullRequest!.number) for \(app.name).",
                    fsmBefore: state, fsmAfter: state, event: step.label, invariants: nil, escalation: nil)))
        return .applied
    }

    mutating func mergeFailed(_ failure: ExternalCallFailure, _ step: inout Step) -> Transition.Outcome {
        guard state == .rollbackMerged, let merge = attempt!.merge, !merge.confirmed else {
            return .ignored(reason: "no merge is pending")
        }
        if failure.code == .alreadyMerged { return mergeSucceeded(&step) }
        guard !failure.code.isRetryable || failure.retriesExhausted else {
            return .ignored(
                reason: "\(failure.code.rawValue) is retryable and retries remain; the effect runner retries")
        }
        let code: ReasonCode =
            failure.code == .permissionDenied
            ? .permissionDenied : (failure.code == .rateLimitExceeded ? .rateLimited : .notMergeable)
        attempt!.merge = nil
        abort(
            code, escalation: code,
            detail:
                "the merge of the rollback PR failed with \(failure.code.rawValue): \(TextFormatting.redact(failure.message))",
            closePR: nil, &step)
        return .applied
    }
}
