import Foundation

/// REST JSON shapes (lock held); the webhook payloads built from them are in
/// `GitHubWebhookPayloads.swift`.
extension GitHubSimulator {
    static func iso(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(timeZone: TimeZone(identifier: "UTC")!))
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

    func repoJSON(_ repo: Repo) -> [String: Any] {
        var owner = userJSON(repo.owner)
        owner["type"] = "Organization"
        return [
            "id": repo.id, "node_id": "R_\(repo.id)", "name": repo.name, "full_name": repo.fullName, "private": true,
            "owner": owner,
            "html_url": "\(Self.web)/\(repo.fullName)", "url": "\(api)/repos/\(repo.fullName)",
            "default_branch": repo.defaultBranch,
            "fork": false, "archived": false, "disabled": false, "visibility": "private",
            "clone_url": "\(Self.web)/\(repo.fullName).git", "has_issues": true,
            "created_at": "2024-01-01T00:00:00Z", "updated_at": Self.iso(now), "pushed_at": Self.iso(now),
        ]
    }

    func personJSON(_ person: Person, _ date: Date) -> [String: Any] {
        ["name": person.name, "email": person.email, "date": Self.iso(date)]
    }

    func commitJSON(_ repo: Repo, _ commit: Commit, files: Bool = false) -> [String: Any] {
        var out: [String: Any] = [
            "sha": commit.sha, "node_id": "C_\(commit.sha.prefix(12))",
            "url": "\(api)/repos/\(repo.fullName)/commits/\(commit.sha)",
            "html_url": "\(Self.web)/\(repo.fullName)/commit/\(commit.sha)",
            "commit": [
                "message": commit.message, "author": personJSON(commit.author, commit.date),
                "committer": personJSON(commit.committer, commit.date),
                "tree": ["sha": commit.treeSHA, "url": "\(api)/repos/\(repo.fullName)/git/trees/\(commit.treeSHA)"],
                "url": "\(api)/repos/\(repo.fullName)/git/commits/\(commit.sha)", "comment_count": 0,
                "verification": ["verified": false, "reason": "unsigned", "signature": NSNull(), "payload": NSNull()],
            ] as [String: Any],
            "author": commit.author.login.map(userJSON) ?? NSNull(),
            "committer": commit.committer.login.map(userJSON) ?? NSNull(),
            "parents": commit.parents.map {
                [
                    "sha": $0, "url": "\(api)/repos/\(repo.fullName)/commits/\($0)",
                    "html_url": "\(Self.web)/\(repo.fullName)/commit/\($0)",
                ]
            },
        ]
        if files {
            let parentTree = commit.parents.first.flatMap { repo.commits[$0]?.tree } ?? [:]
            out["files"] = fileChanges(parentTree, commit.tree)
            let changes = out["files"] as! [[String: Any]]
            let additions = changes.reduce(0) { $0 + ($1["additions"] as! Int) }
            let deletions = changes.reduce(0) { $0 + ($1["deletions"] as! Int) }
            out["stats"] = ["additions": additions, "deletions": deletions, "total": additions + deletions]
        }
        return out
    }

    func fileChanges(_ from: [String: [UInt8]], _ to: [String: [UInt8]]) -> [[String: Any]] {
        Set(from.keys).union(to.keys).sorted().compactMap { path in
            let oldBytes = from[path]
            let newBytes = to[path]
            if oldBytes == newBytes { return nil }
            let oldLines =
                oldBytes.map {
                    String(decoding: $0, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(
                        String.init)
                } ?? []
            let newLines =
                newBytes.map {
                    String(decoding: $0, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(
                        String.init)
                } ?? []
            let removed = oldLines.filter { !newLines.contains($0) }
            let added = newLines.filter { !oldLines.contains($0) }
            let patch =
                "@@ -1,\(oldLines.count) +1,\(newLines.count) @@\n"
                + (removed.map { "-" + $0 } + added.map { "+" + $0 }).joined(separator: "\n")
            return [
                "filename": path, "status": oldBytes == nil ? "added" : (newBytes == nil ? "removed" : "modified"),
                "additions": added.count, "deletions": removed.count, "changes": added.count + removed.count,
                "sha": newBytes.map(GitObjects.blobSHA) ?? "0000000000000000000000000000000000000000", "patch": patch,
            ]
        }
    }

    func refJSON(_ repo: Repo, _ branch: String, _ sha: String) -> [String: Any] {
        [
            "ref": "refs/heads/\(branch)", "node_id": "REF_\(sha.prefix(10))",
            "url": "\(api)/repos/\(repo.fullName)/git/refs/heads/\(branch)",
            "object": ["type": "commit", "sha": sha, "url": "\(api)/repos/\(repo.fullName)/git/commits/\(sha)"],
        ]
    }

    func labelJSON(_ repo: Repo, _ name: String) -> [String: Any] {
        let label = repo.labels[name.lowercased()] ?? Label(id: 0, name: name, color: "ededed", description: nil)
        return [
            "id": label.id, "node_id": "LA_\(label.id)", "url": "\(api)/repos/\(repo.fullName)/labels/\(label.name)",
            "name": label.name,
            "color": label.color, "default": false, "description": SimJSON.orNull(label.description),
        ]
    }

    func prRefJSON(_ repo: Repo, ref: String, sha: String) -> [String: Any] {
        ["label": "\(repo.owner):\(ref)", "ref": ref, "sha": sha, "user": userJSON(repo.owner), "repo": repoJSON(repo)]
    }

    func prJSON(_ key: String, _ number: Int, detail: Bool, consumeRead: Bool = false) -> [String: Any] {
        let repo = repos[key]!
        let issue = repo.issues[number]!
        let pull = issue.pull!
        let head = pullHeadSHA(key, issue)
        let base = pullBaseSHA(key, issue)
        let urlBase = "\(api)/repos/\(repo.fullName)"
        var out: [String: Any] = [
            "id": issue.id, "node_id": "PR_\(issue.id)", "number": number, "state": issue.state, "locked": false,
            "title": issue.title,
            "body": SimJSON.orNull(issue.body), "user": userJSON(issue.user), "draft": pull.draft,
            "labels": issue.labels.map { labelJSON(repo, $0) }, "assignees": issue.assignees.map(userJSON),
            "requested_reviewers": [Any](),
            "created_at": Self.iso(issue.createdAt), "updated_at": Self.iso(issue.updatedAt),
            "closed_at": SimJSON.orNull(issue.closedAt.map(Self.iso)),
            "merged_at": SimJSON.orNull(pull.mergedAt.map(Self.iso)),
            "merge_commit_sha": SimJSON.orNull(
                pull.mergeCommitSHA
                    ?? (issue.state == "open" ? SimulatorCrypto.sha1Hex(Array("test-merge \(head) \(base)".utf8)) : nil)
            ),
            "head": prRefJSON(repo, ref: pull.headRef, sha: head),
            "base": prRefJSON(repo, ref: pull.baseRef, sha: base),
            "html_url": "\(Self.web)/\(repo.fullName)/pull/\(number)", "url": "\(urlBase)/pulls/\(number)",
            "issue_url": "\(urlBase)/issues/\(number)", "diff_url": "\(Self.web)/\(repo.fullName)/pull/\(number).diff",
            "author_association": issue.user.hasSuffix("[bot]") ? "NONE" : "MEMBER", "auto_merge": NSNull(),
            "active_lock_reason": NSNull(),
        ]
        if detail {
            let (mergeable, state) = mergeability(key, number, consumeRead: consumeRead)
            let comparison = compare(key, base: base, head: head)
            let changed =
                mergedTree(key, base: base, head: head).map { fileChanges(repo.commits[base]?.tree ?? [:], $0).count }
                ?? 0
            out["merged"] = pull.merged
            out["mergeable"] = SimJSON.orNull(issue.state == "open" ? mergeable : nil)
            out["mergeable_state"] = issue.state == "open" ? state : "unknown"
            out["rebaseable"] = SimJSON.orNull(issue.state == "open" ? mergeable : nil)
            out["merged_by"] = SimJSON.orNull(pull.mergedBy.map(userJSON))
            out["comments"] = issue.comments.count
            out["review_comments"] = 0
            out["maintainer_can_modify"] = pull.maintainerCanModify
            out["commits"] = pull.merged ? max(1, comparison.ahead.count) : comparison.ahead.count
            out["additions"] = 1
            out["deletions"] = 1
            out["changed_files"] = changed
        }
        return out
    }

    func issueJSON(_ key: String, _ number: Int) -> [String: Any] {
        let repo = repos[key]!
        let issue = repo.issues[number]!
        var out: [String: Any] = [
            "id": issue.id, "node_id": "I_\(issue.id)", "number": number, "title": issue.title,
            "body": SimJSON.orNull(issue.body),
            "user": userJSON(issue.user), "state": issue.state, "state_reason": SimJSON.orNull(issue.stateReason),
            "locked": false,
            "labels": issue.labels.map { labelJSON(repo, $0) }, "assignees": issue.assignees.map(userJSON),
            "assignee": SimJSON.orNull(issue.assignees.first.map(userJSON)), "comments": issue.comments.count,
            "created_at": Self.iso(issue.createdAt), "updated_at": Self.iso(issue.updatedAt),
            "closed_at": SimJSON.orNull(issue.closedAt.map(Self.iso)),
            "html_url": "\(Self.web)/\(repo.fullName)/\(issue.pull == nil ? "issues" : "pull")/\(number)",
            "url": "\(api)/repos/\(repo.fullName)/issues/\(number)", "repository_url": "\(api)/repos/\(repo.fullName)",
            "comments_url": "\(api)/repos/\(repo.fullName)/issues/\(number)/comments",
            "author_association": issue.user.hasSuffix("[bot]") ? "NONE" : "MEMBER",
        ]
        if let pull = issue.pull {
            out["pull_request"] = [
                "url": "\(api)/repos/\(repo.fullName)/pulls/\(number)",
                "html_url": "\(Self.web)/\(repo.fullName)/pull/\(number)",
                "diff_url": "\(Self.web)/\(repo.fullName)/pull/\(number).diff",
                "patch_url": "\(Self.web)/\(repo.fullName)/pull/\(number).patch",
                "merged_at": SimJSON.orNull(pull.mergedAt.map(Self.iso)),
            ]
        }
        return out
    }

    func commentJSON(_ key: String, _ number: Int, _ comment: Comment) -> [String: Any] {
        let repo = repos[key]!
        return [
            "id": comment.id, "node_id": "IC_\(comment.id)", "body": comment.body, "user": userJSON(comment.user),
            "created_at": Self.iso(comment.createdAt), "updated_at": Self.iso(comment.updatedAt),
            "html_url": "\(Self.web)/\(repo.fullName)/issues/\(number)#issuecomment-\(comment.id)",
            "url": "\(api)/repos/\(repo.fullName)/issues/comments/\(comment.id)",
            "issue_url": "\(api)/repos/\(repo.fullName)/issues/\(number)",
            "author_association": comment.user.hasSuffix("[bot]") ? "NONE" : "MEMBER",
        ]
    }

    func reviewJSON(_ key: String, _ number: Int, _ review: Review, webhook: Bool) -> [String: Any] {
        let repo = repos[key]!
        return [
            "id": review.id, "node_id": "PRR_\(review.id)", "user": userJSON(review.user), "body": review.body,
            "state": webhook ? review.state.lowercased() : review.state, "commit_id": review.commitID,
            "submitted_at": Self.iso(review.submittedAt), "author_association": "MEMBER",
            "html_url": "\(Self.web)/\(repo.fullName)/pull/\(number)#pullrequestreview-\(review.id)",
            "pull_request_url": "\(api)/repos/\(repo.fullName)/pulls/\(number)",
        ]
    }

    func pullRefsForSHA(_ key: String, _ sha: String) -> [[String: Any]] {
        guard let repo = repos[key] else { return [] }
        return repo.issues.values.filter { $0.pull != nil && $0.state == "open" && pullHeadSHA(key, $0) == sha }
            .sorted { $0.number < $1.number }.map { issue in
                let pull = issue.pull!
                let repoRef: [String: Any] = ["id": repo.id, "name": repo.name, "url": "\(api)/repos/\(repo.fullName)"]
                return [
                    "id": issue.id, "number": issue.number,
                    "url": "\(api)/repos/\(repo.fullName)/pulls/\(issue.number)",
                    "head": ["ref": pull.headRef, "sha": sha, "repo": repoRef],
                    "base": ["ref": pull.baseRef, "sha": pullBaseSHA(key, issue), "repo": repoRef],
                ]
            }
    }

    func checkRunJSON(_ key: String, _ run: CheckRun) -> [String: Any] {
        let repo = repos[key]!
        return [
            "id": run.id, "node_id": "CR_\(run.id)", "name": run.name, "head_sha": run.sha, "status": run.status,
            "conclusion": SimJSON.orNull(run.conclusion), "started_at": Self.iso(run.startedAt),
            "completed_at": SimJSON.orNull(run.completedAt.map(Self.iso)), "external_id": "",
            "details_url": "\(Self.web)/\(repo.fullName)/actions/runs/\(run.id)",
            "html_url": "\(Self.web)/\(repo.fullName)/runs/\(run.id)",
            "url": "\(api)/repos/\(repo.fullName)/check-runs/\(run.id)",
            "output": [
                "title": SimJSON.orNull(run.summary.map { _ in run.name }), "summary": SimJSON.orNull(run.summary),
                "text": NSNull(), "annotations_count": 0,
            ],
            "app": ["id": 15368, "slug": run.appSlug, "name": "GitHub Actions"],
            "check_suite": ["id": run.suiteID], "pull_requests": pullRefsForSHA(key, run.sha),
        ]
    }

    func statusJSON(_ key: String, _ status: CommitStatusEntry) -> [String: Any] {
        [
            "id": status.id, "node_id": "SC_\(status.id)", "context": status.context, "state": status.state,
            "description": SimJSON.orNull(status.description),
            "target_url": SimJSON.orNull(status.targetURL), "created_at": Self.iso(status.createdAt),
            "updated_at": Self.iso(status.createdAt),
            "url": "\(api)/repos/\(repos[key]!.fullName)/statuses/\(status.sha)", "avatar_url": NSNull(),
            "creator": userJSON("ci-bot"),
        ]
    }
}
