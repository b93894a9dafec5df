import Clients
import Foundation
import Logging
import RollbackCore

extension EffectRunner {
    /// The last safety net, then the squash-merge with the head-SHA guard.
    ///
    /// Production needs `.humanApproval` for exactly `expectedHeadSHA` with that approval
    /// recorded in the attempt; an automatic merge needs staging and all 8 invariants PASS.
    /// Anything else is `.criticalInvariantViolated` and GitHub is not called.
    ///
    /// Idempotent: a PR merged already (by us before a crash, or by a human) is
    /// `.mergeSucceeded` (the client re-reads the PR on a 405). `BASE_SHA_MISMATCH` (the head
    /// moved) is re-read once: merged meanwhile => success, else `.mergeFailed` with
    /// `retriesExhausted` (merging the new head would need a new decision).
    func merge(_ order: MergeOrder, app: MonitoredApp, machine: RollbackStateMachine) async -> RollbackEvent {
        if let violation = Self.mergeViolation(
            order, app: app, machine: machine, policy: settings.configuration.writePolicy)
        {
            logger.critical(
                "merge refused by the effect runner's safety net",
                metadata: [
                    "app": "\(app.name)", "pr": "\(order.prNumber)", "reason": "\(violation)",
                ])
            return .criticalInvariantViolated(violation)
        }
        do {
            let outcome = try await github.mergePullRequest(
                repo: order.repository, number: order.prNumber,
                headSha: order.expectedHeadSHA)
            switch outcome {
            case .merged(let sha):
                logger.info(
                    "rollback PR merged", metadata: ["app": "\(app.name)", "pr": "\(order.prNumber)", "sha": "\(sha)"])
                return .mergeSucceeded(mergeCommitSHA: sha.isEmpty ? nil : sha)
            case .alreadyMerged(let sha):
                logger.info(
                    "rollback PR was merged already", metadata: ["app": "\(app.name)", "pr": "\(order.prNumber)"])
                return .mergeSucceeded(mergeCommitSHA: sha)
            }
        } catch let apiError as APIError where apiError.code == .baseShaMismatch {
            logFailure("merge", apiError, app: app, ["pr": "\(order.prNumber)"])
            if let pr = try? await github.getPullRequest(repo: order.repository, number: order.prNumber), pr.isMerged {
                return .mergeSucceeded(mergeCommitSHA: pr.mergeCommitSha)
            }
            return .mergeFailed(Self.failure(apiError))
        } catch {
            logFailure("merge", error, app: app, level: .error, ["pr": "\(order.prNumber)"])
            return .mergeFailed(Self.failure(error))
        }
    }

    /// Why this merge must not happen, or nil.
    static func mergeViolation(
        _ order: MergeOrder, app: MonitoredApp, machine: RollbackStateMachine, policy: WritePolicy
    ) -> String? {
        let short = ShortSHA.of(order.expectedHeadSHA)
        guard order.repository.lowercased() == app.info.manifestRepository.lowercased() else {
            return
                "a merge in \(order.repository), not the app's GitOps repository \(app.info.manifestRepository), was about to happen"
        }
        if let refusal = policy.refusal(for: app.info) {
            return "a merge the write policy refuses was about to happen (\(refusal))"
        }
        guard let pr = machine.attempt?.pullRequest, pr.number == order.prNumber else {
            return "a merge of PR #\(order.prNumber), not the attempt's PR, was about to happen"
        }
        guard let operatorCommit = pr.operatorCommitSHA, operatorCommit == order.expectedHeadSHA else {
            return "a merge of head \(short), not the operator's own commit, was about to happen"
        }
        switch order.basis {
        case .humanApproval(let approver, let sha):
            guard sha == order.expectedHeadSHA else {
                return "a merge of head \(short) on an approval of another head \(ShortSHA.of(sha)) was about to happen"
            }
            let approvals = machine.attempt?.approvals ?? []
            guard approvals.contains(where: { $0.headSHA == sha && $0.approver.lowercased() == approver.lowercased() })
            else {
                return "a merge without an authorized approval of head \(short) was about to happen"
            }
            return nil
        case .automatic(let report):
            guard app.info.environment == .staging else {
                return "an automatic merge in production was about to happen (head \(short))"
            }
            guard report.results.count == InvariantID.allCases.count, report.allPass,
                Set(report.results.map(\.id)) == Set(InvariantID.allCases)
            else {
                return "an automatic merge without all 8 invariants PASS was about to happen (head \(short))"
            }
            return nil
        }
    }

    /// Reviews of the rollback PR not yet reflected in the attempt, the latest
    /// non-`COMMENTED` one per reviewer: approvals of the current head not recorded yet,
    /// and a dismissal or a request for changes by someone whose approval is recorded.
    /// Repeats are left out (the core would ignore them anyway): reviews the attempt already
    /// reflects, and reviews this runner already reported with a settled answer (an approval
    /// judged unauthorized is asked again: the team read may have failed). A failed read
    /// gives none.
    func fetchReviews(prNumber: Int, app: MonitoredApp, machine: RollbackStateMachine) async -> [RollbackEvent] {
        let repo = app.info.manifestRepository
        let reviews: [Review]
        do { reviews = try await github.listReviews(repo: repo, number: prNumber) } catch {
            logFailure("fetchReviews", error, app: app, ["pr": "\(prNumber)"])
            return Self.hardFailure(error).map { [$0] } ?? []
        }
        var latest: [String: Review] = [:]  // lowercased login -> latest deciding review
        var order: [String] = []
        for review in reviews {
            guard let login = review.user?.login else { continue }
            let state = review.state.uppercased()
            guard state == "APPROVED" || state == "CHANGES_REQUESTED" || state == "DISMISSED" else { continue }
            let key = login.lowercased()
            if latest[key] == nil { order.append(key) }
            latest[key] = review
        }
        let approvals = machine.attempt?.approvals ?? []
        let head = machine.attempt?.pullRequest.flatMap { $0.number == prNumber ? $0.headSHA : nil }
        var pending: [(login: String, state: GitHubSignal.Review.State, sha: String?, key: String)] = []
        for key in order {
            let review = latest[key]!
            let reportKey = "\(prNumber):\(review.id):\(review.state.uppercased())"
            if reportedReviews.withLock({ $0.contains(reportKey) }) { continue }
            let login = review.user!.login
            let recorded = approvals.contains { $0.approver.lowercased() == key }
            switch review.state.uppercased() {
            case "APPROVED":
                if let head, review.commitId != head { continue }  // an approval of an older head does not hold
                if approvals.contains(where: { $0.approver.lowercased() == key && $0.headSHA == review.commitId }) {
                    continue
                }
                pending.append((login, .approved, review.commitId, reportKey))
            case "DISMISSED":
                if recorded { pending.append((login, .dismissed, review.commitId, reportKey)) }
            default:
                if recorded { pending.append((login, .changesRequested, review.commitId, reportKey)) }
            }
        }
        guard !pending.isEmpty else { return [] }
        // Who opened the PR: the operator never approves its own PR.
        var author: String?
        if pending.contains(where: { $0.state == .approved }) {
            author = (try? await github.getPullRequest(repo: repo, number: prNumber))?.user?.login
        }
        var events: [RollbackEvent] = []
        var settled: [String] = []
        for pendingReview in pending {
            let isOperator = [author, settings.operatorLogin].contains {
                $0?.lowercased() == pendingReview.login.lowercased()
            }
            let authorized =
                pendingReview.state == .approved && !isOperator
                ? await approvers.isAuthorized(pendingReview.login) : false
            events.append(
                .reviewSubmitted(
                    ReviewInput(
                        reviewer: pendingReview.login, state: pendingReview.state, commitSHA: pendingReview.sha,
                        isAuthorizedApprover: authorized, isOperator: isOperator)))
            // A "not authorized" answer may come from a failed team read: that one is asked again.
            if pendingReview.state != .approved || authorized || isOperator { settled.append(pendingReview.key) }
        }
        reportedReviews.withLock { set in
            if set.count > 10_000 { set.removeAll() }
            set.formUnion(settled)
        }
        return events
    }
}
