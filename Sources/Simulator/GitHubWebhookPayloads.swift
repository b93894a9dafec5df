import Foundation

/// The webhook events GitHub sends (`pull_request`, `pull_request_review`, `issue_comment`,
/// `status`, `check_run`, `check_suite`), queued in `outbox` under the lock and sent after it.
extension GitHubSimulator {
    func envelope(_ key: String, action: String?, sender: String) -> [String: Any] {
        var payload: [String: Any] = [
            "repository": repoJSON(repos[key]!), "sender": userJSON(sender),
            "installation": ["id": installationIDValue, "node_id": "MDIz\(installationIDValue)"],
            "organization": ["login": repos[key]!.owner, "id": 1],
        ]
        if let action { payload["action"] = action }
        return payload
    }

    func queuePullEvent(_ key: String, _ number: Int, action: String, extra: [String: Any] = [:]) {
        let issue = repos[key]!.issues[number]!
        // As GitHub does: a `synchronize` is sent by whoever pushed the new head.
        let pusher = (extra["after"] as? String).flatMap { repos[key]!.commits[$0]?.author.login }
        let sender =
            action == "closed"
            ? (issue.pull?.mergedBy ?? issue.closedBy ?? issue.user)
            : (action == "synchronize" ? pusher ?? issue.user : issue.user)
        var payload = envelope(key, action: action, sender: sender)
        payload["number"] = number
        payload["pull_request"] = prJSON(key, number, detail: true)
        for (name, value) in extra { payload[name] = value }
        outbox.append(("pull_request", action, payload))
    }

    func queueReviewEvent(_ key: String, _ number: Int, _ review: Review) {
        var payload = envelope(key, action: "submitted", sender: review.user)
        payload["review"] = reviewJSON(key, number, review, webhook: true)
        payload["pull_request"] = prJSON(key, number, detail: false)
        outbox.append(("pull_request_review", "submitted", payload))
    }

    func queueCommentEvent(_ key: String, _ number: Int, _ comment: Comment) {
        var payload = envelope(key, action: "created", sender: comment.user)
        payload["issue"] = issueJSON(key, number)
        payload["comment"] = commentJSON(key, number, comment)
        outbox.append(("issue_comment", "created", payload))
    }

    func queueStatusEvent(_ key: String, _ status: CommitStatusEntry) {
        var payload = envelope(key, action: nil, sender: "ci-bot")
        let repo = repos[key]!
        payload.merge(statusJSON(key, status)) { existing, _ in existing }
        payload["sha"] = status.sha
        payload["name"] = repo.fullName
        payload["commit"] = repo.commits[status.sha].map { commitJSON(repo, $0) } ?? ["sha": status.sha]
        payload["branches"] = repo.branches.filter { $0.value == status.sha }.keys.sorted().map {
            [
                "name": $0,
                "commit": ["sha": status.sha, "url": "\(api)/repos/\(repo.fullName)/commits/\(status.sha)"],
                "protected": repo.protection[$0] != nil,
            ] as [String: Any]
        }
        outbox.append(("status", nil, payload))
    }

    func queueCheckRunEvent(_ key: String, _ run: CheckRun) {
        var payload = envelope(key, action: "completed", sender: "github-actions[bot]")
        var checkRun = checkRunJSON(key, run)
        checkRun["check_suite"] = [
            "id": run.suiteID, "head_sha": run.sha, "head_branch": SimJSON.orNull(branchFor(key, run.sha)),
        ]
        payload["check_run"] = checkRun
        outbox.append(("check_run", "completed", payload))
    }

    func branchFor(_ key: String, _ sha: String) -> String? {
        repos[key]?.branches.filter { $0.value == sha }.keys.sorted().first
    }

    func queueCheckSuiteEvent(_ key: String, sha: String, runs: [CheckRun]) {
        var payload = envelope(key, action: "completed", sender: "github-actions[bot]")
        let repo = repos[key]!
        let conclusions = runs.map { $0.conclusion ?? "" }
        let order = ["action_required", "cancelled", "timed_out", "failure", "stale", "neutral", "skipped", "success"]
        var conclusion = "success"
        for candidate in order where conclusions.contains(candidate) {
            conclusion = candidate
            break
        }
        if conclusion == "skipped" || conclusion == "neutral" {
            conclusion = conclusions.contains("success") ? "success" : conclusion
        }
        let headCommit = repo.commits[sha]
        var suite: [String: Any] = [
            "id": runs.first?.suiteID ?? 0, "node_id": "CS_\(runs.first?.suiteID ?? 0)", "head_sha": sha,
            "head_branch": SimJSON.orNull(branchFor(key, sha)), "status": "completed", "conclusion": conclusion,
            "before": SimJSON.orNull(headCommit?.parents.first), "after": sha, "latest_check_runs_count": runs.count,
            "url": "\(api)/repos/\(repo.fullName)/check-suites/\(runs.first?.suiteID ?? 0)",
            "app": ["id": 15368, "slug": "github-actions", "name": "GitHub Actions"],
            "pull_requests": pullRefsForSHA(key, sha), "created_at": Self.iso(runs.map(\.startedAt).min() ?? now),
            "updated_at": Self.iso(now),
        ]
        if let headCommit {
            suite["head_commit"] = [
                "id": headCommit.sha, "tree_id": headCommit.treeSHA, "message": headCommit.message,
                "timestamp": Self.iso(headCommit.date),
                "author": ["name": headCommit.author.name, "email": headCommit.author.email],
                "committer": ["name": headCommit.committer.name, "email": headCommit.committer.email],
            ]
        }
        payload["check_suite"] = suite
        outbox.append(("check_suite", "completed", payload))
    }
}
