import Foundation

/// Git and GitHub semantics. Every function here expects `lock` to be held.
extension GitHubSimulator {
    func makeCommit(
        tree: [String: [UInt8]], parents: [String], message: String, author: Person, date: Date,
        committer: Person? = nil
    ) -> Commit {
        seq += 1
        let treeSHA = GitObjects.treeSHA(tree)
        let committer = committer ?? author
        let sha = GitObjects.commitSHA(
            treeSHA: treeSHA, parents: parents, author: author, committer: committer,
            date: date, message: message)
        return Commit(
            sha: sha, tree: tree, treeSHA: treeSHA, parents: parents, message: message, author: author,
            committer: committer, date: date, seq: seq)
    }

    /// A branch name (`main`, `heads/main`, `refs/heads/main`), a full SHA, or a unique SHA prefix (>= 7).
    func resolve(_ key: String, _ ref: String) -> String? {
        guard let repo = repos[key] else { return nil }
        var name = ref
        if name.hasPrefix("refs/") { name = String(name.dropFirst(5)) }
        if name.hasPrefix("heads/"), let sha = repo.branches[String(name.dropFirst(6))] { return sha }
        if let sha = repo.branches[name] { return sha }
        if repo.commits[ref] != nil { return ref }
        if ref.count >= 7, ref.allSatisfy(\.isHexDigit) {
            let hits = repo.commits.keys.filter { $0.hasPrefix(ref.lowercased()) }
            if hits.count == 1 { return hits[0] }
        }
        return nil
    }

    /// Moves a branch; open PRs with that head get `synchronize`, and mergeability is recomputed.
    func moveBranch(repo key: String, branch: String, to sha: String) {
        let before = repos[key]?.branches[branch]
        repos[key]?.branches[branch] = sha
        guard before != sha, let repository = repos[key] else { return }
        startAutoChecks(key, branch: branch, sha: sha)
        for (number, issue) in repository.issues where issue.state == "open" {
            guard let pull = issue.pull else { continue }
            if pull.headRef == branch || pull.baseRef == branch {
                repos[key]!.issues[number]!.pull!.nullReadsLeft = nullReads
            }
            if pull.headRef == branch, let before {
                queuePullEvent(key, number, action: "synchronize", extra: ["before": before, "after": sha])
            }
        }
    }

    func ancestors(_ key: String, _ sha: String) -> Set<String> {
        guard let repo = repos[key] else { return [] }
        var seen: Set<String> = []
        var stack = [sha]
        while let current = stack.popLast() {
            guard seen.insert(current).inserted, let commit = repo.commits[current] else { continue }
            stack.append(contentsOf: commit.parents)
        }
        return seen
    }

    /// Reachable commits, newest first (commit date, then creation order), like `git log`.
    func history(_ key: String, from sha: String) -> [Commit] {
        guard let repo = repos[key] else { return [] }
        return ancestors(key, sha).compactMap { repo.commits[$0] }.sorted {
            $0.date != $1.date ? $0.date > $1.date : $0.seq > $1.seq
        }
    }

    func mergeBase(_ key: String, _ base: String, _ head: String) -> String? {
        let baseAncestors = ancestors(key, base)
        return history(key, from: head).first { baseAncestors.contains($0.sha) }?.sha
    }

    /// `git log base..head` and the reverse, as the compare API reports them.
    func compare(_ key: String, base: String, head: String) -> (
        status: String, ahead: [Commit], behindBy: Int, mergeBase: String?
    ) {
        let baseAncestors = ancestors(key, base)
        let headAncestors = ancestors(key, head)
        let ahead = history(key, from: head).filter { !baseAncestors.contains($0.sha) }.reversed()
        let behindBy = baseAncestors.subtracting(headAncestors).count
        let status: String
        switch (ahead.isEmpty, behindBy == 0) {
        case (true, true): status = "identical"
        case (false, true): status = "ahead"
        case (true, false): status = "behind"
        case (false, false): status = "diverged"
        }
        return (status, Array(ahead), behindBy, mergeBase(key, base, head))
    }

    // MARK: CI

    func latestRuns(_ key: String, _ sha: String) -> [CheckRun] {
        var byName: [String: CheckRun] = [:]
        for run in repos[key]?.checkRuns ?? [] where run.sha == sha { byName[run.name] = run }
        return byName.values.sorted { $0.id < $1.id }
    }

    func latestStatuses(_ key: String, _ sha: String) -> [CommitStatusEntry] {
        var byContext: [String: CommitStatusEntry] = [:]
        for status in repos[key]?.statuses ?? [] where status.sha == sha { byContext[status.context] = status }
        return byContext.values.sorted { $0.id > $1.id }
    }

    /// GitHub's combined status rule.
    func combinedState(_ statuses: [CommitStatusEntry]) -> String {
        if statuses.contains(where: { $0.state == "error" || $0.state == "failure" }) { return "failure" }
        if statuses.isEmpty || statuses.contains(where: { $0.state == "pending" }) { return "pending" }
        return "success"
    }

    /// `success`, `pending` or `failure` over check runs and statuses together.
    func ciState(_ key: String, _ sha: String) -> String {
        let runs = latestRuns(key, sha)
        let statuses = latestStatuses(key, sha)
        let okConclusions: Set<String> = ["success", "neutral", "skipped"]
        if runs.contains(where: { $0.status == "completed" && !okConclusions.contains($0.conclusion ?? "") }) {
            return "failure"
        }
        if statuses.contains(where: { $0.state == "error" || $0.state == "failure" }) { return "failure" }
        if runs.contains(where: { $0.status != "completed" }) || statuses.contains(where: { $0.state == "pending" }) {
            return "pending"
        }
        return "success"
    }

    func addStatus(_ key: String, sha: String, context: String, state: String, description: String?, targetURL: String?)
    {
        let entry = CommitStatusEntry(
            id: newID(), sha: sha, context: context, state: state, description: description,
            targetURL: targetURL, createdAt: now)
        repos[key]?.statuses.append(entry)
        queueStatusEvent(key, entry)
    }

    // MARK: Pull requests

    func pullHeadSHA(_ key: String, _ issue: Issue) -> String {
        guard let pull = issue.pull else { return "" }
        if let frozen = pull.closedHeadSHA { return frozen }
        return repos[key]?.branches[pull.headRef] ?? ""
    }

    func pullBaseSHA(_ key: String, _ issue: Issue) -> String {
        guard let pull = issue.pull else { return "" }
        if let frozen = pull.closedBaseSHA { return frozen }
        return repos[key]?.branches[pull.baseRef] ?? ""
    }

    /// Three-way merge of head into base by file: nil on a conflict.
    func mergedTree(_ key: String, base: String, head: String) -> [String: [UInt8]]? {
        guard let repo = repos[key], let baseTree = repo.commits[base]?.tree, let headTree = repo.commits[head]?.tree
        else { return nil }
        let mergeBaseTree = mergeBase(key, base, head).flatMap { repo.commits[$0]?.tree } ?? [:]
        var out = baseTree
        for path in Set(headTree.keys).union(mergeBaseTree.keys) where headTree[path] != mergeBaseTree[path] {
            if baseTree[path] != mergeBaseTree[path] && baseTree[path] != headTree[path] { return nil }
            out[path] = headTree[path]
        }
        return out
    }

    /// What GET pull answers for `mergeable` / `mergeable_state`; `consumeRead` counts one read
    /// against the "still computing" window.
    func mergeability(_ key: String, _ number: Int, consumeRead: Bool) -> (mergeable: Bool?, state: String) {
        guard let issue = repos[key]?.issues[number], let pull = issue.pull else { return (nil, "unknown") }
        if issue.state == "closed" { return (pull.merged ? nil : nil, "unknown") }
        if pull.nullReadsLeft > 0 {
            if consumeRead { repos[key]!.issues[number]!.pull!.nullReadsLeft -= 1 }
            return (nil, "unknown")
        }
        let head = pullHeadSHA(key, issue)
        let base = pullBaseSHA(key, issue)
        let clean = mergedTree(key, base: base, head: head) != nil
        let mergeable: Bool? = pull.mergeableOverride ?? clean
        if let stateOverride = pull.mergeableStateOverride { return (mergeable, stateOverride) }
        if pull.draft { return (mergeable, "draft") }
        if mergeable == false { return (false, "dirty") }
        if mergeable == nil { return (nil, "unknown") }
        if blockReason(key, issue) != nil { return (true, "blocked") }
        return (true, ciState(key, head) == "success" ? "clean" : "unstable")
    }

    /// Why branch protection blocks the merge (GitHub's message), if it does.
    func blockReason(_ key: String, _ issue: Issue) -> String? {
        guard let pull = issue.pull, let protection = repos[key]?.protection[pull.baseRef] else { return nil }
        let head = pullHeadSHA(key, issue)
        let runs = latestRuns(key, head)
        let statuses = latestStatuses(key, head)
        for check in protection.requiredChecks {
            let ok =
                runs.contains {
                    $0.name == check && $0.status == "completed"
                        && ["success", "neutral", "skipped"].contains($0.conclusion ?? "")
                }
                || statuses.contains { $0.context == check && $0.state == "success" }
            if !ok { return "Required status check \"\(check)\" is expected." }
        }
        var latest: [String: String] = [:]
        for review in pull.reviews where review.state != "COMMENTED" && review.state != "PENDING" {
            latest[review.user.lowercased()] = review.state
        }
        if latest.values.contains("CHANGES_REQUESTED") { return "Changes have been requested." }
        let approvals = latest.values.filter { $0 == "APPROVED" }.count
        if approvals < protection.requiredReviews {
            return
                "At least \(protection.requiredReviews) approving review\(protection.requiredReviews == 1 ? " is" : "s are") required by reviewers with write access."
        }
        return nil
    }

    enum MergeOutcome {
        case success(String)
        case failure(Int, String)
    }

    func performMerge(
        _ key: String, _ number: Int, method: String, title: String?, message: String?, by user: String,
        expectedSHA: String? = nil, enforce: Bool = false
    ) -> MergeOutcome {
        guard let issue = repos[key]?.issues[number], let pull = issue.pull else { return .failure(404, "Not Found") }
        if pull.merged || issue.state == "closed" { return .failure(405, "Pull Request is not mergeable") }
        let head = pullHeadSHA(key, issue)
        let base = pullBaseSHA(key, issue)
        if let expectedSHA, expectedSHA != head {
            return .failure(409, "Head branch was modified. Review and try the merge again.")
        }
        if enforce {
            let (mergeable, state) = mergeability(key, number, consumeRead: false)
            if mergeable != true || state == "dirty" || state == "draft" || state == "unknown" {
                return .failure(405, "Pull Request is not mergeable")
            }
            if state == "blocked" || blockReason(key, issue) != nil {
                return .failure(405, blockReason(key, issue) ?? "Pull Request is not mergeable")
            }
        }
        guard let tree = mergedTree(key, base: base, head: head) else {
            return .failure(405, "Pull Request is not mergeable")
        }
        let who = Person.user(user)
        let githubCommitter = Person(name: "GitHub", email: "noreply@github.com", login: "web-flow")
        let mergeCommit: Commit
        switch method {
        case "squash", "rebase":
            let commitTitle = title ?? "\(issue.title) (#\(number))"
            let ahead = compare(key, base: base, head: head).ahead
            let body = message ?? ahead.map { "* \($0.message)" }.joined(separator: "\n\n")
            mergeCommit = makeCommit(
                tree: tree, parents: [base], message: body.isEmpty ? commitTitle : "\(commitTitle)\n\n\(body)",
                author: who, date: now,
                committer: githubCommitter)
        default:
            let commitTitle = title ?? "Merge pull request #\(number) from \(repos[key]!.owner)/\(pull.headRef)"
            mergeCommit = makeCommit(
                tree: tree, parents: [base, head], message: "\(commitTitle)\n\n\(message ?? issue.title)", author: who,
                date: now,
                committer: githubCommitter)
        }
        repos[key]!.commits[mergeCommit.sha] = mergeCommit
        repos[key]!.issues[number]!.pull!.merged = true
        repos[key]!.issues[number]!.pull!.mergedAt = now
        repos[key]!.issues[number]!.pull!.mergedBy = user
        repos[key]!.issues[number]!.pull!.mergeCommitSHA = mergeCommit.sha
        repos[key]!.issues[number]!.pull!.closedHeadSHA = head
        repos[key]!.issues[number]!.pull!.closedBaseSHA = base
        repos[key]!.issues[number]!.state = "closed"
        repos[key]!.issues[number]!.closedAt = now
        repos[key]!.issues[number]!.closedBy = user
        repos[key]!.issues[number]!.updatedAt = now
        mergesStore.append(
            MergeRecord(
                repo: repos[key]!.fullName, number: number, method: method, sha: mergeCommit.sha, headSHA: head,
                mergedBy: user,
                at: now))
        moveBranch(repo: key, branch: pull.baseRef, to: mergeCommit.sha)
        queuePullEvent(key, number, action: "closed")
        return .success(mergeCommit.sha)
    }

    func openPull(_ key: String, head: String, base: String, title: String, body: String?, user: String, draft: Bool)
        -> Int
    {
        let number = repos[key]!.nextNumber
        repos[key]!.nextNumber += 1
        repos[key]!.issues[number] = Issue(
            number: number, id: newID(), title: title, body: body, user: user, state: "open", labels: [],
            assignees: [], createdAt: now, updatedAt: now,
            pull: Pull(headRef: head, baseRef: base, draft: draft, nullReadsLeft: nullReads))
        queuePullEvent(key, number, action: "opened")
        return number
    }

    func createIssueLocked(_ key: String, title: String, body: String?, user: String, labels: [String]) -> Int {
        let number = repos[key]!.nextNumber
        repos[key]!.nextNumber += 1
        repos[key]!.issues[number] = Issue(
            number: number, id: newID(), title: title, body: body, user: user, state: "open", labels: [],
            assignees: [], createdAt: now, updatedAt: now)
        for label in labels { addLabel(key, number, label) }
        return number
    }

    func addLabel(_ key: String, _ number: Int, _ name: String) {
        if repos[key]?.labels[name.lowercased()] == nil {
            let color = String(SimulatorCrypto.sha1Hex(Array(name.utf8)).prefix(6))
            repos[key]?.labels[name.lowercased()] = Label(id: newID(), name: name, color: color, description: nil)
        }
        let canonical = repos[key]?.labels[name.lowercased()]?.name ?? name
        if repos[key]?.issues[number]?.labels.contains(canonical) == false {
            repos[key]?.issues[number]?.labels.append(canonical)
            repos[key]?.issues[number]?.updatedAt = now
        }
    }

    func addCommentLocked(_ key: String, _ number: Int, user: String, body: String) -> Comment? {
        guard repos[key]?.issues[number] != nil else { return nil }
        let comment = Comment(id: newID(), user: user, body: body, createdAt: now, updatedAt: now)
        repos[key]!.issues[number]!.comments.append(comment)
        repos[key]!.issues[number]!.updatedAt = now
        queueCommentEvent(key, number, comment)
        return comment
    }

    func setIssueState(_ key: String, _ number: Int, _ state: String, by user: String) {
        guard let issue = repos[key]?.issues[number], issue.state != state else { return }
        if state == "closed" {
            if issue.pull != nil {
                repos[key]!.issues[number]!.pull!.closedHeadSHA = pullHeadSHA(key, issue)
                repos[key]!.issues[number]!.pull!.closedBaseSHA = pullBaseSHA(key, issue)
            }
            repos[key]!.issues[number]!.closedAt = now
            repos[key]!.issues[number]!.closedBy = user
            repos[key]!.issues[number]!.stateReason = "completed"
        } else {
            repos[key]!.issues[number]!.pull?.closedHeadSHA = nil
            repos[key]!.issues[number]!.pull?.closedBaseSHA = nil
            repos[key]!.issues[number]!.closedAt = nil
            repos[key]!.issues[number]!.stateReason = "reopened"
        }
        repos[key]!.issues[number]!.state = state
        repos[key]!.issues[number]!.updatedAt = now
        if issue.pull != nil { queuePullEvent(key, number, action: state == "closed" ? "closed" : "reopened") }
    }
}
