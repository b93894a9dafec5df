import Clients
import Foundation
import Logging
import RollbackCore

extension EffectRunner {
    /// SPEC 7, idempotent at every step ("look before create"), and SPEC 19: nothing is written
    /// unless the write policy allows it, asked again here right before the first write.
    /// 1. the write policy for the app and the plan, and the manifest on the base branch: it
    ///    must be this app's `Application` (name, namespace, source repository). A refusal is
    ///    `.policyDenied` and nothing is written;
    /// 2. an open PR from `plan.headBranch` into `plan.baseBranch` exists: reuse it only when its
    ///    head is exactly this attempt's change (add any missing label) and stop;
    /// 3. the branch exists: reuse it only when it adds nothing to the base or only this
    ///    attempt's change (a crash-resume); any other content is refused, never reused, deleted
    ///    or force-pushed; else create it from the base branch head;
    /// 4. the manifest on the branch already pins `plan.targetRevision`: nothing to commit;
    ///    else one commit changing only that value (blob-sha guarded; a stale blob is re-read
    ///    once);
    /// 5. create the PR (`CONFLICT` "already exists" is listed again and reused);
    /// 6. add the labels.
    /// The PR is reported with the operator's commit: the only head that is ever merged.
    ///
    /// Fresh path: 8 sequential GitHub calls (list PRs, get head ref (404), get base ref and the
    /// base's manifest, create ref, put file, create PR, add labels). Never writes outside
    /// `rollback/*` (the client refuses it too).
    func openPullRequest(_ plan: PullRequestPlan, app: MonitoredApp) async -> RollbackEvent {
        guard plan.headBranch.hasPrefix(GitHubClient.writableBranchPrefix) else {
            return .pullRequestCreationFailed(
                ExternalCallFailure(
                    code: .validationError, message: "refusing head branch \(plan.headBranch): not a rollback/* branch",
                    retriesExhausted: true))
        }
        if let refusal = writeRefusal(plan, app: app) { return denied(refusal, plan, app: app) }
        do {
            // The lookups are independent: one round trip instead of four.
            async let openPR = findOpenPullRequest(plan)
            async let headBranch = branchIfExists(plan.repository, plan.headBranch)
            async let baseBranch = github.getBranch(repo: plan.repository, branch: plan.baseBranch)
            async let baseManifest = github.getFile(
                repo: plan.repository, path: plan.manifestPath, ref: plan.baseBranch)
            let manifest = try await baseManifest
            if let refusal = settings.configuration.writePolicy.refusal(
                manifest: ManifestIdentity.read(manifest.text), for: app.info, argoNamespace: app.argoNamespace)
            {
                return denied(refusal, plan, app: app)
            }
            if let pr = try await openPR {
                try await requireOperatorChange(plan, headSHA: pr.head.sha)
                logger.info(
                    "rollback PR already open; reusing it", metadata: ["app": "\(app.name)", "pr": "\(pr.number)"])
                return .pullRequestCreated(try await ensureLabels(pr, plan, operatorCommit: pr.head.sha))
            }
            let operatorCommit: String
            if let existing = try await headBranch {
                try await requireReusableBranch(plan, head: existing.sha)
                operatorCommit = try await ensureCommit(plan, app: app, branchHead: existing.sha)
            } else {
                // A new branch starts at the base head: the manifest just read is the one it holds
                // (a base that moved meanwhile fails the blob guard and is read again).
                let base = try await baseBranch
                try await createBranch(plan, at: base.sha)
                operatorCommit = try await ensureCommit(plan, app: app, branchHead: base.sha, known: manifest)
            }
            let pr: PullRequest
            do {
                pr = try await github.createPullRequest(
                    repo: plan.repository, title: plan.title, head: plan.headBranch,
                    base: plan.baseBranch, body: plan.body)
            } catch let apiError as APIError where apiError.code == .conflict {
                // "A pull request already exists": created by an earlier run whose answer was lost.
                guard let existing = try await findOpenPullRequest(plan) else { throw apiError }
                pr = existing
            }
            let ref = try await ensureLabels(pr, plan, operatorCommit: operatorCommit)
            logger.info(
                "rollback PR opened", metadata: ["app": "\(app.name)", "pr": "\(ref.number)", "head": "\(ref.headSHA)"])
            return .pullRequestCreated(ref)
        } catch let refusal as PolicyRefusal {
            return denied(refusal, plan, app: app)
        } catch {
            logFailure("openPullRequest", error, app: app, level: .error, ["branch": "\(plan.headBranch)"])
            return .pullRequestCreationFailed(Self.failure(error))
        }
    }

    /// The write policy for this plan (SPEC 19), asked right before the first write: the app
    /// may write to the plan's repository and base branch, and the plan is the app's.
    func writeRefusal(_ plan: PullRequestPlan, app: MonitoredApp) -> PolicyRefusal? {
        if let refusal = settings.configuration.writePolicy.refusal(for: app.info) { return refusal }
        guard WritePolicy.sameRepository(plan.repository, app.info.manifestRepository),
            plan.baseBranch == app.info.baseBranch
        else {
            return PolicyRefusal(
                rule: "a PR goes only into the app's own repository and base branch "
                    + "(\(app.info.manifestRepository), \(app.info.baseBranch))",
                value: "\(plan.repository) \(plan.baseBranch)")
        }
        return nil
    }

    private func denied(_ refusal: PolicyRefusal, _ plan: PullRequestPlan, app: MonitoredApp) -> RollbackEvent {
        logger.error(
            "the write policy refused the rollback PR; nothing written",
            metadata: [
                "app": "\(app.name)", "repository": "\(plan.repository)", "branch": "\(plan.headBranch)",
                "rule": "\(refusal.rule)", "value": "\(refusal.value)",
            ])
        return .policyDenied(refusal)
    }

    /// Throws a refusal unless `headSHA` is exactly this plan's change: every commit on it is one
    /// the operator writes (its `Correlation-Id:` trailer: this attempt's after a crash, or an
    /// earlier attempt's for the same target after a reset) and its diff against the base is
    /// exactly the one-line edit. Whoever made such a head, merging it merges nothing but the
    /// intended change; anything else on the branch is refused.
    func requireOperatorChange(_ plan: PullRequestPlan, headSHA: String) async throws {
        try Self.requireOperatorChange(
            plan, try await github.compare(repo: plan.repository, base: plan.baseBranch, head: headSHA))
    }

    /// The check of `requireOperatorChange` on a compare already read.
    static func requireOperatorChange(_ plan: PullRequestPlan, _ comparison: Comparison) throws {
        let ahead = comparison.commits ?? []
        guard comparison.aheadBy >= 1, ahead.count == comparison.aheadBy,
            ahead.allSatisfy({ $0.message.contains("\nCorrelation-Id: ") })
        else {
            throw PolicyRefusal(
                rule: "the rollback branch \(plan.headBranch) may hold only this attempt's commit",
                value: "\(comparison.aheadBy) commit(s) ahead of \(plan.baseBranch)"
                    + Self.authors(ahead).map { " by \($0)" }.joined())
        }
        let changes = Self.headChanges(comparison)
        if let refusal = MergeIntegrity.diffRefusal(
            changes ?? [], manifestPath: plan.manifestPath, currentRevision: plan.currentRevision,
            targetRevision: plan.targetRevision)
        {
            throw refusal
        }
    }

    /// A branch that already exists is reused only when it adds nothing to the base, or only
    /// this attempt's own change (a run that crashed after its commit). Anything else is left
    /// alone: the operator never deletes or force-pushes a branch.
    func requireReusableBranch(_ plan: PullRequestPlan, head: String) async throws {
        let comparison = try await github.compare(repo: plan.repository, base: plan.baseBranch, head: head)
        guard comparison.aheadBy > 0 else { return }
        do { try Self.requireOperatorChange(plan, comparison) } catch let refusal as PolicyRefusal {
            throw PolicyRefusal(
                rule: "a pre-existing rollback branch that holds anything else is never reused (delete "
                    + "\(plan.headBranch) and RESET)",
                value: refusal.value)
        }
    }

    /// The compare's file list as the core reads it (nil when GitHub sent none).
    static func headChanges(_ comparison: Comparison) -> [HeadChange]? {
        comparison.files.map { files in
            files.map {
                HeadChange(path: $0.filename, additions: $0.additions, deletions: $0.deletions, patch: $0.patch)
            }
        }
    }

    /// Who wrote these commits (logins, else names), for an escalation.
    static func authors(_ commits: [Commit]) -> [String] {
        var seen: [String] = []
        for commit in commits {
            let who = commit.author?.login ?? commit.commit.author?.name ?? "unknown"
            if !seen.contains(who) { seen.append(who) }
        }
        return seen.prefix(5).map { $0 }
    }

    func findOpenPullRequest(_ plan: PullRequestPlan) async throws -> PullRequest? {
        try await github.listPullRequests(
            repo: plan.repository, state: "open", head: plan.headBranch, base: plan.baseBranch
        )
        .first { $0.head.ref == plan.headBranch && $0.base.ref == plan.baseBranch }
    }

    /// Adds the plan's labels the PR does not carry yet; returns the PR as the core sees it.
    func ensureLabels(_ pr: PullRequest, _ plan: PullRequestPlan, operatorCommit: String) async throws
        -> PullRequestRef
    {
        let have = Set(pr.labelNames.map { $0.lowercased() })
        let missing = plan.labels.filter { !have.contains($0.lowercased()) }
        if !missing.isEmpty {
            _ = try await github.addLabels(repo: plan.repository, number: pr.number, labels: missing)
        }
        return PullRequestRef(
            number: pr.number, url: pr.htmlUrl ?? "", headBranch: pr.head.ref, headSHA: pr.head.sha,
            operatorCommitSHA: operatorCommit)
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

    /// Exactly one commit on the branch changing only `targetRevision` (none if it is already there).
    /// Returns the operator's commit: the one it wrote now, or, when an earlier run wrote it,
    /// the branch head once verified to be exactly that change.
    /// - Parameters:
    ///   - branchHead: the branch head the caller read or created the branch at.
    ///   - known: the file as it is on the branch, when the caller already read it.
    func ensureCommit(
        _ plan: PullRequestPlan, app: MonitoredApp, branchHead: String, known: FileContent? = nil
    ) async throws -> String {
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
            if try ManifestReader.targetRevision(in: text, repoURL: app.sourceRepoURL) == plan.targetRevision {
                // An earlier run's commit: the head is verified before it counts as the operator's.
                let head =
                    rereads == 0
                    ? branchHead
                    : try await github.getBranch(
                        repo: plan.repository, branch: plan.headBranch
                    ).sha
                try await requireOperatorChange(plan, headSHA: head)
                return head
            }
            let edit = try ManifestEditor.setTargetRevision(
                in: text, to: plan.targetRevision, repoURL: app.sourceRepoURL,
                expectedCurrent: plan.currentRevision)
            let message =
                "Rollback \(app.name) to \(ShortSHA.of(plan.targetRevision))\n\n"
                + "Set targetRevision in \(plan.manifestPath) from \(plan.currentRevision) to \(plan.targetRevision).\n\n"
                + "Correlation-Id: \(plan.correlationId)\n"
            do {
                let written = try await github.putFile(
                    repo: plan.repository, path: plan.manifestPath, branch: plan.headBranch,
                    content: Array(edit.text.utf8), message: message, sha: file.sha)
                return written.commitSha
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
