import Foundation

/// Merge decisions (SPEC 5 and 9): invariants from fresh facts, approvals, the merge gate.
extension RollbackStateMachine {
    /// Starts a fresh merge decision: read the facts (read 1).
    mutating func requestMergeFacts(_ s: inout Step) {
        guard let pr = attempt?.pullRequest else { return }
        attempt!.mergeFactsReads = 0
        s.out.append(.gatherMergeFacts(prNumber: pr.number, read: 1))
    }

    mutating func mergeFactsGathered(_ f: MergeFacts, _ s: inout Step) -> Transition.Outcome {
        guard state == .awaitingMergeApproval || state == .awaitingHumanReview else {
            return .ignored(reason: "no merge decision is pending")
        }
        guard let pr = attempt!.pullRequest, f.prNumber == pr.number else {
            return .ignored(reason: "facts for another PR")
        }
        guard let target = attempt!.target else { return .ignored(reason: "the attempt has no target") }
        let c = s.config
        let reads = attempt!.mergeFactsReads + 1
        attempt!.mergeFactsReads = reads
        attempt!.pullRequest!.headSHA = f.headSHA
        let checks = attempt!.confirmingChecks
        var streak = 0
        for ch in checks.reversed() { if ch.degraded { streak += 1 } else { break } }
        let facts = InvariantFacts(
            environment: app.environment, health: f.health, replicas: f.replicas,
            consecutiveDegradedChecks: streak, requiredDegradedChecks: c.persistenceChecks,
            targetUptime: target.uptime, targetCIPassed: target.ciPassed, minimumUptime: c.minimumUptime,
            headSHA: f.headSHA, headCI: f.headCI.sha == f.headSHA ? f.headCI.verdict : .pending,
            openOperatorPRs: f.openOperatorPRs, prNumber: pr.number, mergeable: f.mergeable,
            mergeableState: f.mergeableState, mergeableReads: reads, maxMergeableReads: c.mergeableMaxReads)
        let report = InvariantReport.evaluate(facts)
        attempt!.lastInvariants = report
        let approval = attempt!.approval(for: f.headSHA)

        func audit(_ decision: String) {
            s.out.append(
                .audit(
                    AuditRecord(
                        actionType: .invariantCheck, level: report.allPass ? .info : .warning,
                        correlationId: attempt!.correlationId,
                        reasoning: ReasoningRenderer.invariantCheck(app: app.name, report: report, decision: decision),
                        fsmBefore: s.from, fsmAfter: s.from, event: s.label, invariants: report, escalation: nil)))
        }

        if report.needsMergeableReread {
            audit("GitHub is still computing mergeability, reading again in \(c.mergeableRereadDelay) s")
            schedule(.mergeFactsReread, after: c.mergeableRereadDelay, &s)
            return .applied
        }
        attempt!.mergeFactsReads = 0

        if state == .awaitingMergeApproval && f.health == .healthy {
            audit("health is restored, the PR is closed instead of merged")
            s.label = "HealthRestored"
            closePRIfOpen("Health restored before merge, rollback no longer needed.", &s)
            s.out.append(.publish(domainEvent(.healthRestored, s.now)))
            finish(because: "Argo CD reports Healthy at merge time (I2 FAIL)", &s)
            return .applied
        }

        // Which rule decides: an approval of this head (human rule), or the staging auto-merge.
        let required: [InvariantID]?
        if let ap = approval {
            required =
                (state == .awaitingHumanReview && app.environment == .staging)
                ? InvariantID.allCases.filter { $0 != .environment && $0 != .persistence }
                : [.ciSuccess, .branchProtection]
            if report.passes(required!) {
                audit("\(ap.approver) approved head \(ShortSHA.of(f.headSHA)); merging")
                s.label = state == .awaitingHumanReview ? "Command(APPROVE)" : "HumanApproved"
                orderMerge(.humanApproval(approver: ap.approver, headSHA: f.headSHA), headSHA: f.headSHA, &s)
                return .applied
            }
        } else if state == .awaitingMergeApproval && app.environment == .staging {
            required = InvariantID.allCases
            if report.allPass {
                audit("all 8 invariants PASS in staging; auto-merging")
                s.label = "AutoMergeAllowed"
                orderMerge(.automatic(report), headSHA: f.headSHA, &s)
                return .applied
            }
        } else {
            required = nil
        }

        guard required != nil else {
            audit("no approval of head \(ShortSHA.of(f.headSHA)) yet; waiting")
            return .applied
        }
        // SPEC 9, "on FAIL".
        if report.outcome(.ciSuccess) == .fail && facts.headCI == .failed && state == .awaitingMergeApproval {
            audit("CI of the PR head failed")
            s.label = "InvariantFailed"
            s.out.append(.recordMetric(.invariantViolation(.ciSuccess)))
            abort(
                .ciFailure, escalation: .ciFailure,
                detail: "CI of the rollback PR head \(ShortSHA.of(f.headSHA)) failed", closePR: nil, &s)
            return .applied
        }
        let serious = [InvariantID.stablePrevious, .noConflicts, .branchProtection].filter {
            report.outcome($0) == .fail
        }
        if !serious.isEmpty && state == .awaitingMergeApproval {
            audit("\(serious.map(\.rawValue).joined(separator: ", ")) FAIL; escalating")
            s.label = "InvariantFailed"
            for id in serious { s.out.append(.recordMetric(.invariantViolation(id))) }
            let code: ReasonCode = serious == [.branchProtection] ? .notMergeable : .invariantFailed
            escalate(code, "\(serious.map(\.rawValue).joined(separator: ", ")) failed immediately before the merge", &s)
            move(to: .awaitingHumanReview, because: "\(serious.map(\.rawValue).joined(separator: ", ")) FAIL", &s)
            return .applied
        }
        audit(
            "not merging yet: \(report.failed.filter { required!.contains($0) }.map(\.rawValue).joined(separator: ", ")) FAIL; re-checking"
        )
        if state == .awaitingMergeApproval { schedule(.mergeFactsReread, after: c.ciPollInterval, &s) }
        return .applied
    }

    /// The merge gate: every merge order passes here. A merge that would break a safety
    /// rule is an emergency stop instead (SPEC 5, last row).
    mutating func orderMerge(_ basis: MergeBasis, headSHA: String, _ s: inout Step) {
        let pr = attempt!.pullRequest!
        switch basis {
        case .automatic(let r):
            guard app.environment == .staging, r.allPass else {
                return emergencyStop(
                    "an automatic merge without all 8 invariants PASS in staging was about to happen", &s)
            }
        case .humanApproval(_, let sha):
            guard sha == headSHA, attempt!.approval(for: sha) != nil else {
                return emergencyStop(
                    "a merge without an authorized approval of head \(ShortSHA.of(headSHA)) was about to happen", &s)
            }
        }
        if case .exceeded(let why) = s.context.quotas.check(
            .merge(repository: app.manifestRepository), now: s.now, configuration: s.config)
        {
            escalate(.quotaExceeded, why, &s)
            if state != .awaitingHumanReview {
                move(to: .awaitingHumanReview, because: "the merge quota is exhausted", &s)
            }
            return
        }
        let order = MergeOrder(
            repository: app.manifestRepository, prNumber: pr.number, expectedHeadSHA: headSHA,
            method: "squash", basis: basis)
        attempt!.merge = .init(basis: basis, headSHA: headSHA, orderedAt: s.now, confirmed: false, external: false)
        if let t = attempt!.target?.sha { rememberRollback(to: t) }
        move(
            to: .rollbackMerged,
            because: ReasoningRenderer.merge(app: app.name, prNumber: pr.number, headSHA: headSHA, basis: basis)
                .dropLast().replacingOccurrences(of: "Ordered a squash-merge", with: "it ordered a squash-merge"), &s)
        s.out.append(.recordQuota(.merged(repository: app.manifestRepository)))
        s.out.append(.merge(order))
    }

    mutating func rememberRollback(to sha: String) {
        if !rolledBackTo.contains(sha) { rolledBackTo.append(sha) }
        if rolledBackTo.count > 20 { rolledBackTo.removeFirst(rolledBackTo.count - 20) }
    }

    mutating func emergencyStop(_ detail: String, _ s: inout Step) {
        s.label = "CriticalInvariantViolated"
        s.out.append(
            .audit(
                AuditRecord(
                    actionType: .error, level: .error, correlationId: attempt?.correlationId,
                    reasoning: "Emergency stop for \(app.name): \(detail).", fsmBefore: s.from, fsmAfter: .abort,
                    event: s.label, invariants: attempt?.lastInvariants, escalation: .invariantFailed)))
        if attempt == nil { startAttempt(&s) }
        abort(.invariantFailed, escalation: .invariantFailed, detail: "emergency stop: \(detail)", closePR: nil, &s)
    }

    mutating func criticalInvariantViolated(_ detail: String, _ s: inout Step) -> Transition.Outcome {
        guard state != .abort else { return .ignored(reason: "already stopped in Abort") }
        emergencyStop(detail, &s)
        return .applied
    }

    mutating func reviewSubmitted(_ r: ReviewInput, _ s: inout Step) -> Transition.Outcome {
        guard state.hasOpenPR, let pr = attempt!.pullRequest else { return .ignored(reason: "no open rollback PR") }
        guard !r.isOperator else { return .ignored(reason: "the operator never approves its own PR") }
        switch r.state {
        case .approved:
            guard r.isAuthorizedApprover else { return .ignored(reason: "\(r.reviewer) is not an authorized approver") }
            guard let sha = r.commitSHA, sha == pr.headSHA else {
                return .ignored(
                    reason:
                        "the approval is for \(r.commitSHA.map(ShortSHA.of) ?? "no commit"), not the current head \(ShortSHA.of(pr.headSHA))"
                )
            }
            attempt!.approvals.append(.init(approver: r.reviewer, headSHA: sha, at: s.now))
            s.out.append(
                .audit(
                    AuditRecord(
                        actionType: .mcpCall, level: .info, correlationId: attempt!.correlationId,
                        reasoning:
                            "\(r.reviewer), an authorized approver, approved head \(ShortSHA.of(sha)) of PR #\(pr.number).",
                        fsmBefore: state, fsmAfter: state, event: s.label, invariants: nil, escalation: nil)))
            if state != .prCreated { requestMergeFacts(&s) }
            return .applied
        case .dismissed:
            let before = attempt!.approvals.count
            attempt!.approvals.removeAll { $0.approver == r.reviewer }
            return before == attempt!.approvals.count
                ? .ignored(reason: "no approval by \(r.reviewer) to dismiss") : .applied
        case .changesRequested, .commented, .other:
            return .ignored(reason: "a \(r.state.rawValue) review does not change the decision")
        }
    }

    mutating func mergeSucceeded(_ s: inout Step) -> Transition.Outcome {
        guard state == .rollbackMerged, let m = attempt!.merge, !m.confirmed else {
            return .ignored(reason: "no merge is pending")
        }
        attempt!.merge!.confirmed = true
        s.out.append(.publish(domainEvent(.mergeCompleted, s.now)))
        s.out.append(
            .audit(
                AuditRecord(
                    actionType: .mcpCall, level: .info, correlationId: attempt!.correlationId,
                    reasoning:
                        "GitHub confirmed the squash-merge of PR #\(attempt!.pullRequest!.number) for \(app.name).",
                    fsmBefore: state, fsmAfter: state, event: s.label, invariants: nil, escalation: nil)))
        return .applied
    }

    mutating func mergeFailed(_ f: ExternalCallFailure, _ s: inout Step) -> Transition.Outcome {
        guard state == .rollbackMerged, let m = attempt!.merge, !m.confirmed else {
            return .ignored(reason: "no merge is pending")
        }
        if f.code == .alreadyMerged { return mergeSucceeded(&s) }
        guard !f.code.isRetryable || f.retriesExhausted else {
            return .ignored(reason: "\(f.code.rawValue) is retryable and retries remain; the effect runner retries")
        }
        let code: ReasonCode =
            f.code == .permissionDenied
            ? .permissionDenied : (f.code == .rateLimitExceeded ? .rateLimited : .notMergeable)
        attempt!.merge = nil
        abort(
            code, escalation: code,
            detail: "the merge of the rollback PR failed with \(f.code.rawValue): \(TextFormatting.redact(f.message))",
            closePR: nil, &s)
        return .applied
    }
}
