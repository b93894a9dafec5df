import Foundation

/// REST and webhook JSON shapes (lock held).
extension GitHubSimulator {
    static func iso(_ d: Date) -> String {
        d.formatted(Date.ISO8601FormatStyle(timeZone: TimeZone(identifier: "UTC")!))
    }
    var api: String { baseURL }
    static let web = "https://github.com"

    func userJSON(_ login: String) -> [String: Any] {
        let isBot = login.hasSuffix("[bot]")
        let id = Int(SimulatorCrypto.sha1Hex(Array(login.lowercased().utf8)).prefix(7), radix: 16) ?? 1
        return [
            "login": login, "id": id, "node_id": "U_\(id)", "type": isBot ? "Bot" : "User", "site_admin": false,
            "html_url": "\(Self.web)/\(isBot ? "apps/" + login.dropLast(5) : Substring(login))",
            "url": "\(api)/users/\(login)", "avatar_url": "https://avatars.githubusercontent.com/u/\(id)?v=4",
        ]
    }

    func repoJSON(_ r: Repo) -> [String: Any] {
        var owner = userJSON(r.owner)
        owner["type"] = "Organization"
        return [
            "id": r.id, "node_id": "R_\(r.id)", "name": r.name, "full_name": r.fullName, "private": true,
            "owner": owner,
            "html_url": "\(Self.web)/\(r.fullName)", "url": "\(api)/repos/\(r.fullName)",
            "default_branch": r.defaultBranch,
            "fork": false, "archived": false, "disabled": false, "visibility": "private",
            "clone_url": "\(Self.web)/\(r.fullName).git", "has_issues": true,
            "created_at": "2024-01-01T00:00:00Z", "updated_at": Self.iso(now), "pushed_at": Self.iso(now),
        ]
    }

    func personJSON(_ p: Person, _ d: Date) -> [String: Any] {
        ["name": p.name, "email": p.email, "date": Self.iso(d)]
    }

    func commitJSON(_ r: Repo, _ c: Commit, files: Bool = false) -> [String: Any] {
        var out: [String: Any] = [
            "sha": c.sha, "node_id": "C_\(c.sha.prefix(12))",
            "url": "\(api)/repos/\(r.fullName)/commits/\(c.sha)",
            "html_url": "\(Self.web)/\(r.fullName)/commit/\(c.sha)",
            "commit": [
                "message": c.message, "author": personJSON(c.author, c.date),
                "committer": personJSON(c.committer, c.date),
                "tree": ["sha": c.treeSHA, "url": "\(api)/repos/\(r.fullName)/git/trees/\(c.treeSHA)"],
                "url": "\(api)/repos/\(r.fullName)/git/commits/\(c.sha)", "comment_count": 0,
                "verification": ["verified": false, "reason": "unsigned", "signature": NSNull(), "payload": NSNull()],
            ] as [String: Any],
            "author": c.author.login.map(userJSON) ?? NSNull(),
            "committer": c.committer.login.map(userJSON) ?? NSNull(),
            "parents": c.parents.map {
                [
                    "sha": $0, "url": "\(api)/repos/\(r.fullName)/commits/\($0)",
                    "html_url": "\(Self.web)/\(r.fullName)/commit/\($0)",
                ]
            },
        ]
        if files {
            let parentTree = c.parents.first.flatMap { r.commits[$0]?.tree } ?? [:]
            out["files"] = fileChanges(parentTree, c.tree)
            let f = out["files"] as! [[String: Any]]
            let add = f.reduce(0) { $0 + ($1["additions"] as! Int) }
            let del = f.reduce(0) { $0 + ($1["deletions"] as! Int) }
            out["stats"] = ["additions": add, "deletions": del, "total": add + del]
        }
        return out
    }

    func fileChanges(_ from: [String: [UInt8]], _ to: [String: [UInt8]]) -> [[String: Any]] {
        Set(from.keys).union(to.keys).sorted().compactMap { path in
            let a = from[path]
            let b = to[path]
            if a == b { return nil }
            let oldLines =
                a.map {
                    String(decoding: $0, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(
                        String.init)
                } ?? []
            let newLines =
                b.map {
                    String(decoding: $0, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(
                        String.init)
                } ?? []
            let removed = oldLines.filter { !newLines.contains($0) }
            let added = newLines.filter { !oldLines.contains($0) }
            let patch =
                "@@ -1,\(oldLines.count) +1,\(newLines.count) @@\n"
                + (removed.map { "-" + $0 } + added.map { "+" + $0 }).joined(separator: "\n")
            return [
                "filename": path, "status": a == nil ? "added" : (b == nil ? "removed" : "modified"),
                "additions": added.count, "deletions": removed.count, "changes": added.count + removed.count,
                "sha": b.map(GitObjects.blobSHA) ?? "0000000000000000000000000000000000000000", "patch": patch,
            ]
        }
    }

    func refJSON(_ r: Repo, _ branch: String, _ sha: String) -> [String: Any] {
        [
            "ref": "refs/heads/\(branch)", "node_id": "REF_\(sha.prefix(10))",
            "url": "\(api)/repos/\(r.fullName)/git/refs/heads/\(branch)",
            "object": ["type": "commit", "sha": sha, "url": "\(api)/repos/\(r.fullName)/git/commits/\(sha)"],
        ]
    }

    func labelJSON(_ r: Repo, _ name: String) -> [String: Any] {
        let l = r.labels[name.lowercased()] ?? Label(id: 0, name: name, color: "ededed", description: nil)
        return [
            "id": l.id, "node_id": "LA_\(l.id)", "url": "\(api)/repos/\(r.fullName)/labels/\(l.name)", "name": l.name,
            "color": l.color, "default": false, "description": SimJSON.orNull(l.description),
        ]
    }

    func prRefJSON(_ r: Repo, ref: String, sha: String) -> [String: Any] {
        ["label": "\(r.owner):\(ref)", "ref": ref, "sha": sha, "user": userJSON(r.owner), "repo": repoJSON(r)]
    }

    func prJSON(_ key: String, _ number: Int, detail: Bool, consumeRead: Bool = false) -> [String: Any] {
        let r = repos[key]!
        let i = r.issues[number]!
        let p = i.pull!
        let head = pullHeadSHA(key, i)
        let base = pullBaseSHA(key, i)
        let urlBase = "\(api)/repos/\(r.fullName)"
        var out: [String: Any] = [
            "id": i.id, "node_id": "PR_\(i.id)", "number": number, "state": i.state, "locked": false, "title": i.title,
            "body": SimJSON.orNull(i.body), "user": userJSON(i.user), "draft": p.draft,
            "labels": i.labels.map { labelJSON(r, $0) }, "assignees": i.assignees.map(userJSON),
            "requested_reviewers": [Any](),
            "created_at": Self.iso(i.createdAt), "updated_at": Self.iso(i.updatedAt),
            "closed_at": SimJSON.orNull(i.closedAt.map(Self.iso)),
            "merged_at": SimJSON.orNull(p.mergedAt.map(Self.iso)),
            "merge_commit_sha": SimJSON.orNull(
                p.mergeCommitSHA
                    ?? (i.state == "open" ? SimulatorCrypto.sha1Hex(Array("test-merge \(head) \(base)".utf8)) : nil)),
            "head": prRefJSON(r, ref: p.headRef, sha: head), "base": prRefJSON(r, ref: p.baseRef, sha: base),
            "html_url": "\(Self.web)/\(r.fullName)/pull/\(number)", "url": "\(urlBase)/pulls/\(number)",
            "issue_url": "\(urlBase)/issues/\(number)", "diff_url": "\(Self.web)/\(r.fullName)/pull/\(number).diff",
            "author_association": i.user.hasSuffix("[bot]") ? "NONE" : "MEMBER", "auto_merge": NSNull(),
            "active_lock_reason": NSNull(),
        ]
        if detail {
            let (mergeable, state) = mergeability(key, number, consumeRead: consumeRead)
            let cmp = compare(key, base: base, head: head)
            let changed =
                mergedTree(key, base: base, head: head).map { fileChanges(r.commits[base]?.tree ?? [:], $0).count } ?? 0
            out["merged"] = p.merged
            out["mergeable"] = SimJSON.orNull(i.state == "open" ? mergeable : nil)
            out["mergeable_state"] = i.state == "open" ? state : "unknown"
            out["rebaseable"] = SimJSON.orNull(i.state == "open" ? mergeable : nil)
            out["merged_by"] = SimJSON.orNull(p.mergedBy.map(userJSON))
            out["comments"] = i.comments.count
            out["review_comments"] = 0
            out["maintainer_can_modify"] = p.maintainerCanModify
            out["commits"] = p.merged ? max(1, cmp.ahead.count) : cmp.ahead.count
            out["additions"] = 1
            out["deletions"] = 1
            out["changed_files"] = changed
        }
        return out
    }

    func issueJSON(_ key: String, _ number: Int) -> [String: Any] {
        let r = repos[key]!
        let i = r.issues[number]!
        var out: [String: Any] = [
            "id": i.id, "node_id": "I_\(i.id)", "number": number, "title": i.title, "body": SimJSON.orNull(i.body),
            "user": userJSON(i.user), "state": i.state, "state_reason": SimJSON.orNull(i.stateReason), "locked": false,
            "labels": i.labels.map { labelJSON(r, $0) }, "assignees": i.assignees.map(userJSON),
            "assignee": SimJSON.orNull(i.assignees.first.map(userJSON)), "comments": i.comments.count,
            "created_at": Self.iso(i.createdAt), "updated_at": Self.iso(i.updatedAt),
            "closed_at": SimJSON.orNull(i.closedAt.map(Self.iso)),
            "html_url": "\(Self.web)/\(r.fullName)/\(i.pull == nil ? "issues" : "pull")/\(number)",
            "url": "\(api)/repos/\(r.fullName)/issues/\(number)", "repository_url": "\(api)/repos/\(r.fullName)",
            "comments_url": "\(api)/repos/\(r.fullName)/issues/\(number)/comments",
            "author_association": i.user.hasSuffix("[bot]") ? "NONE" : "MEMBER",
        ]
        if let p = i.pull {
            out["pull_request"] = [
                "url": "\(api)/repos/\(r.fullName)/pulls/\(number)",
                "html_url": "\(Self.web)/\(r.fullName)/pull/\(number)",
                "diff_url": "\(Self.web)/\(r.fullName)/pull/\(number).diff",
                "patch_url": "\(Self.web)/\(r.fullName)/pull/\(number).patch",
                "merged_at": SimJSON.orNull(p.mergedAt.map(Self.iso)),
            ]
        }
        return out
    }

    func commentJSON(_ key: String, _ number: Int, _ c: Comment) -> [String: Any] {
        let r = repos[key]!
        return [
            "id": c.id, "node_id": "IC_\(c.id)", "body": c.body, "user": userJSON(c.user),
            "created_at": Self.iso(c.createdAt), "updated_at": Self.iso(c.updatedAt),
            "html_url": "\(Self.web)/\(r.fullName)/issues/\(number)#issuecomment-\(c.id)",
            "url": "\(api)/repos/\(r.fullName)/issues/comments/\(c.id)",
            "issue_url": "\(api)/repos/\(r.fullName)/issues/\(number)",
            "author_association": c.user.hasSuffix("[bot]") ? "NONE" : "MEMBER",
        ]
    }

    func reviewJSON(_ key: String, _ number: Int, _ rv: Review, webhook: Bool) -> [String: Any] {
        let r = repos[key]!
        return [
            "id": rv.id, "node_id": "PRR_\(rv.id)", "user": userJSON(rv.user), "body": rv.body,
            "state": webhook ? rv.state.lowercased() : rv.state, "commit_id": rv.commitID,
            "submitted_at": Self.iso(rv.submittedAt), "author_association": "MEMBER",
            "html_url": "\(Self.web)/\(r.fullName)/pull/\(number)#pullrequestreview-\(rv.id)",
            "pull_request_url": "\(api)/repos/\(r.fullName)/pulls/\(number)",
        ]
    }

    func pullRefsForSHA(_ key: String, _ sha: String) -> [[String: Any]] {
        guard let r = repos[key] else { return [] }
        return r.issues.values.filter { $0.pull != nil && $0.state == "open" && pullHeadSHA(key, $0) == sha }
            .sorted { $0.number < $1.number }.map { i in
                let p = i.pull!
                let repoRef: [String: Any] = ["id": r.id, "name": r.name, "url": "\(api)/repos/\(r.fullName)"]
                return [
                    "id": i.id, "number": i.number, "url": "\(api)/repos/\(r.fullName)/pulls/\(i.number)",
                    "head": ["ref": p.headRef, "sha": sha, "repo": repoRef],
                    "base": ["ref": p.baseRef, "sha": pullBaseSHA(key, i), "repo": repoRef],
                ]
            }
    }

    func checkRunJSON(_ key: String, _ run: CheckRun) -> [String: Any] {
        let r = repos[key]!
        return [
            "id": run.id, "node_id": "CR_\(run.id)", "name": run.name, "head_sha": run.sha, "status": run.status,
            "conclusion": SimJSON.orNull(run.conclusion), "started_at": Self.iso(run.startedAt),
            "completed_at": SimJSON.orNull(run.completedAt.map(Self.iso)), "external_id": "",
            "details_url": "\(Self.web)/\(r.fullName)/actions/runs/\(run.id)",
            "html_url": "\(Self.web)/\(r.fullName)/runs/\(run.id)",
            "url": "\(api)/repos/\(r.fullName)/check-runs/\(run.id)",
            "output": [
                "title": SimJSON.orNull(run.summary.map { _ in run.name }), "summary": SimJSON.orNull(run.summary),
                "text": NSNull(), "annotations_count": 0,
            ],
            "app": ["id": 15368, "slug": run.appSlug, "name": "GitHub Actions"],
            "check_suite": ["id": run.suiteID], "pull_requests": pullRefsForSHA(key, run.sha),
        ]
    }

    func statusJSON(_ key: String, _ s: CommitStatusEntry) -> [String: Any] {
        [
            "id": s.id, "node_id": "SC_\(s.id)", "context": s.context, "state": s.state,
            "description": SimJSON.orNull(s.description),
            "target_url": SimJSON.orNull(s.targetURL), "created_at": Self.iso(s.createdAt),
            "updated_at": Self.iso(s.createdAt),
            "url": "\(api)/repos/\(repos[key]!.fullName)/statuses/\(s.sha)", "avatar_url": NSNull(),
            "creator": userJSON("ci-bot"),
        ]
    }

    // MARK: Webhook payloads

    func envelope(_ key: String, action: String?, sender: String) -> [String: Any] {
        var p: [String: Any] = [
            "repository": repoJSON(repos[key]!), "sender": userJSON(sender),
            "installation": ["id": installationIDValue, "node_id": "MDIz\(installationIDValue)"],
            "organization": ["login": repos[key]!.owner, "id": 1],
        ]
        if let action { p["action"] = action }
        return p
    }

    func queuePullEvent(_ key: String, _ number: Int, action: String, extra: [String: Any] = [:]) {
        let i = repos[key]!.issues[number]!
        var p = envelope(
            key, action: action, sender: action == "closed" ? (i.pull?.mergedBy ?? i.closedBy ?? i.user) : i.user)
        p["number"] = number
        p["pull_request"] = prJSON(key, number, detail: true)
        for (k, v) in extra { p[k] = v }
        outbox.append(("pull_request", action, p))
    }

    func queueReviewEvent(_ key: String, _ number: Int, _ review: Review) {
        var p = envelope(key, action: "submitted", sender: review.user)
        p["review"] = reviewJSON(key, number, review, webhook: true)
        p["pull_request"] = prJSON(key, number, detail: false)
        outbox.append(("pull_request_review", "submitted", p))
    }

    func queueCommentEvent(_ key: String, _ number: Int, _ c: Comment) {
        var p = envelope(key, action: "created", sender: c.user)
        p["issue"] = issueJSON(key, number)
        p["comment"] = commentJSON(key, number, c)
        outbox.append(("issue_comment", "created", p))
    }

    func queueStatusEvent(_ key: String, _ s: CommitStatusEntry) {
        var p = envelope(key, action: nil, sender: "ci-bot")
        let r = repos[key]!
        p.merge(statusJSON(key, s)) { a, _ in a }
        p["sha"] = s.sha
        p["name"] = r.fullName
        p["commit"] = r.commits[s.sha].map { commitJSON(r, $0) } ?? ["sha": s.sha]
        p["branches"] = r.branches.filter { $0.value == s.sha }.keys.sorted().map {
            [
                "name": $0, "commit": ["sha": s.sha, "url": "\(api)/repos/\(r.fullName)/commits/\(s.sha)"],
                "protected": r.protection[$0] != nil,
            ] as [String: Any]
        }
        outbox.append(("status", nil, p))
    }

    func queueCheckRunEvent(_ key: String, _ run: CheckRun) {
        var p = envelope(key, action: "completed", sender: "github-actions[bot]")
        var cr = checkRunJSON(key, run)
        cr["check_suite"] = [
            "id": run.suiteID, "head_sha": run.sha, "head_branch": SimJSON.orNull(branchFor(key, run.sha)),
        ]
        p["check_run"] = cr
        outbox.append(("check_run", "completed", p))
    }

    func branchFor(_ key: String, _ sha: String) -> String? {
        repos[key]?.branches.filter { $0.value == sha }.keys.sorted().first
    }

    func queueCheckSuiteEvent(_ key: String, sha: String, runs: [CheckRun]) {
        var p = envelope(key, action: "completed", sender: "github-actions[bot]")
        let r = repos[key]!
        let conclusions = runs.map { $0.conclusion ?? "" }
        let order = ["action_required", "cancelled", "timed_out", "failure", "stale", "neutral", "skipped", "success"]
        var conclusion = "success"
        for c in order where conclusions.contains(c) {
            conclusion = c
            break
        }
        if conclusion == "skipped" || conclusion == "neutral" {
            conclusion = conclusions.contains("success") ? "success" : conclusion
        }
        let c = r.commits[sha]
        var suite: [String: Any] = [
            "id": runs.first?.suiteID ?? 0, "node_id": "CS_\(runs.first?.suiteID ?? 0)", "head_sha": sha,
            "head_branch": SimJSON.orNull(branchFor(key, sha)), "status": "completed", "conclusion": conclusion,
            "before": SimJSON.orNull(c?.parents.first), "after": sha, "latest_check_runs_count": runs.count,
            "url": "\(api)/repos/\(r.fullName)/check-suites/\(runs.first?.suiteID ?? 0)",
            "app": ["id": 15368, "slug": "github-actions", "name": "GitHub Actions"],
            "pull_requests": pullRefsForSHA(key, sha), "created_at": Self.iso(runs.map(\.startedAt).min() ?? now),
            "updated_at": Self.iso(now),
        ]
        if let c {
            suite["head_commit"] = [
                "id": c.sha, "tree_id": c.treeSHA, "message": c.message, "timestamp": Self.iso(c.date),
                "author": ["name": c.author.name, "email": c.author.email],
                "committer": ["name": c.committer.name, "email": c.committer.email],
            ]
        }
        p["check_suite"] = suite
        outbox.append(("check_suite", "completed", p))
    }
}
