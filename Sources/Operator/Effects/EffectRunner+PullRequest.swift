import Clients
import Foundation
import Logging
import RollbackCore

extension EffectRunner {
    /// SPEC 7, idempotent at every step ("look before create"):
    /// 1. an open PR from `plan.headBranch` into `plan.baseBranch` exists: reuse it (add any
    ///    missing label) and stop;
    /// 2. the branch exists: reuse it (unless it is a stale branch of an earlier attempt that
    ///    diverged from the base: `CONFLICT`, see `refuseStaleBranch`); else create it from the
    ///    base branch head (a creation answering `CONFLICT` "already exists" is reused);
    /// 3. the manifest on the branch already pins `plan.targetRevision`: nothing to commit;
    ///    else one commit changing only that value (blob-sha guarded; a stale blob is re-read
    ///    once);
    /// 4. create the PR (`CONFLICT` "already exists" is listed again and reused);
    /// 5. add the labels.
    ///
    /// Fresh path: 8 sequential GitHub calls (list PRs, get head ref (404), get base ref,
    /// create ref, get file, put file, create PR, add labels). Never writes outside
    /// `rollback/*` (the client refuses it too).
    func openPullRequest(_ plan: PullRequestPlan, app: MonitoredApp) async -> RollbackEvent {
        let repo = plan.repository
        guard plan.headBranch.hasPrefix(GitHubClient.writableBranchPrefix) else {
            return .pullRequestCreationFailed(
                ExternalCallFailure(
                    code: .validationError, message: "refusing head branch \(plan.headBranch): not a rollback/* branch",
                    retriesExhausted: true))
        }
        do {
            // The three lookups are independent: one round trip instead of three.
            async let openPR = findOpenPullRequest(plan)
            async let headBranch = branchIfExists(plan.repository, plan.headBranch)
            async let baseBranch = github.getBranch(repo: plan.repository, branch: plan.baseBranch)
            if let pr = try await openPR {
                logger.info(
                    "rollback PR already open; reusing it", metadata: ["app": "\(app.name)", "pr": "\(pr.number)"])
                return .pullRequestCreated(try await ensureLabels(pr, plan))
            }
            if try await headBranch != nil {
                try await refuseStaleBranch(plan)
                try await ensureCommit(plan, app: app)
            } else {
                // A new branch starts at the base head: its manifest is the base's at that commit,
                // so it is read while the branch is being created.
                let base = try await baseBranch
                async let created: Void = createBranch(plan, at: base.sha)
                async let manifest = github.getFile(repo: plan.repository, path: plan.manifestPath, ref: base.sha)
                try await created
                try await ensureCommit(plan, app: app, known: try await manifest)
            }
            let pr: PullRequest
            do {
                pr = try await github.createPullRequest(
                    repo: repo, title: plan.title, head: plan.headBranch,
                    base: plan.baseBranch, body: plan.body)
            } catch let apiError as APIError where apiError.code == .conflict {
                // "A pull request already exists": created by an earlier run whose answer was lost.
                guard let existing = try await findOpenPullRequest(plan) else { throw apiError }
                pr = existing
            }
            let ref = try await ensureLabels(pr, plan)
            logger.info(
                "rollback PR opened", metadata: ["app": "\(app.name)", "pr": "\(ref.number)", "head": "\(ref.headSHA)"])
            return .pullRequestCreated(ref)
        } catch {
            logFailure("openPullRequest", error, app: app, level: .error, ["branch": "\(plan.headBranch)"])
            return .pullRequestCreationFailed(Self.failure(error))
        }
    }

    func findOpenPullRequest(_ plan: PullRequestPlan) async throws -> PullRequest? {
        try await github.listPullRequests(
            repo: plan.repository, state: "open", head: plan.headBranch, base: plan.baseBranch
        )
        .first { $0.head.ref == plan.headBranch && $0.base.ref == plan.baseBranch }
    }

    /// Adds the plan's labels the PR does not carry yet; returns the PR as the core sees it.
    func ensureLabels(_ pr: PullRequest, _ plan: PullRequestPlan) async throws -> PullRequestRef {
        let have = Set(pr.labelNames.map { $0.lowercased() })
        let missing = plan.labels.filter { !have.contains($0.lowercased()) }
        if !missing.isEmpty {
            _ = try await github.addLabels(repo: plan.repository, number: pr.number, labels: missing)
        }
        return PullRequestRef(number: pr.number, url: pr.htmlUrl ?? "", headBranch: pr.head.ref, headSHA: pr.head.sha)
    }

    /// The branch's head, or nil when it does not exist.
    func branchIfExists(_ repo: String, _ branch: String) async throws -> GitRef? {
        do { return try await github.getBranch(repo: repo, branch: branch) } catch let apiError as APIError
            where apiError.code == .notFound
        { return nil }
    }

    func createBranch(_ plan: PullRequestPlan, at sha: String) async throws {
        do {
            _ = try await github.createBranch(repo: plan.repository, branch: plan.headBranch, sha: sha)
        } catch let apiError as APIError where apiError.code == .conflict {
            // "Reference already exists": an earlier run created it.
        }
    }

    /// A branch left by an earlier attempt (same target, PR closed since) that has diverged
    /// from the base: its commit is not this attempt's, and a PR from it would not merge.
    /// The client cannot delete or move branches (least privilege), so this is reported as
    /// `CONFLICT` for a human to delete the branch. A branch the base has not moved past, or
    /// whose own commits carry this attempt's correlation id (a crash-resume while the base
    /// moved), is reused. Costs two reads, only when the branch already exists.
    func refuseStaleBranch(_ plan: PullRequestPlan) async throws {
        let comparison = try await github.compare(repo: plan.repository, base: plan.baseBranch, head: plan.headBranch)
        guard comparison.status == "diverged", comparison.aheadBy > 0 else { return }
        let own = try await github.listCommits(
            repo: plan.repository, from: plan.headBranch, perPage: min(100, comparison.aheadBy)
        )
        .prefix(comparison.aheadBy)
        if own.contains(where: { $0.message.contains(plan.correlationId) }) { return }
        throw APIError(
            code: .conflict, call: "effects.openPullRequest",
            message:
                "branch \(plan.headBranch) exists from an earlier attempt and has diverged from \(plan.baseBranch); delete it and RESET"
        )
    }

    /// Exactly one commit on the branch changing only `targetRevision` (none if it is already there).
    /// - Parameter known: the file as it is on the branch, when the caller already read it.
    func ensureCommit(_ plan: PullRequestPlan, app: MonitoredApp, known: FileContent? = nil) async throws {
        var rereads = 0
        var cached = known
        while true {
            let file: FileContent
            if let knownFile = cached {
                file = knownFile
                cached = nil
            } else {
                file = try await github.getFile(repo: plan.repository, path: plan.manifestPath, ref: plan.headBranch)
            }
            let text = file.text
            if try ManifestReader.targetRevision(in: text, repoURL: app.sourceRepoURL) == plan.targetRevision { return }
            let edit = try ManifestEditor.setTargetRevision(
                in: text, to: plan.targetRevision, repoURL: app.sourceRepoURL,
                expectedCurrent: plan.currentRevision)
            let message =
                "Rollback \(app.name) to \(ShortSHA.of(plan.targetRevision))\n\n"
                + "Set targetRevision in \(plan.manifestPath) from \(plan.currentRevision) to \(plan.targetRevision).\n\n"
                + "Correlation-Id: \(plan.correlationId)\n"
            do {
                _ = try await github.putFile(
                    repo: plan.repository, path: plan.manifestPath, branch: plan.headBranch,
                    content: Array(edit.text.utf8), message: message, sha: file.sha)
                return
            } catch let apiError as APIError where apiError.code == .conflict && rereads == 0 {
                // The blob moved under us (an earlier run's commit landed): read again, once.
                rereads += 1
                logger.info(
                    "manifest changed on the rollback branch; reading it again",
                    metadata: ["app": "\(app.name)", "call": "\(apiError.call)", "error_code": "CONFLICT"])
            }
        }
    }
}
