import Foundation

/// Scripting pull requests, reviews, issues and comments as people would make them, and reading
/// them (and the merges) back for assertions.
extension GitHubSimulator {
    /// A PR opened by `user` (e.g. the human change that broke production). Returns its number.
    @discardableResult
    public func createPullRequest(
        repo: String, head: String, base: String, title: String, body: String? = nil,
        user: String = "octocat", labels: [String] = []
    ) -> Int {
        withState {
            let key = repo.lowercased()
            let number = openPull(key, head: head, base: base, title: title, body: body, user: user, draft: false)
            for label in labels { addLabel(key, number, label) }
            return number
        }
    }

    /// Merges as a user would (no checks). Returns the new commit SHA on base.
    @discardableResult
    public func mergePullRequest(repo: String, number: Int, method: String = "squash", by user: String = "octocat")
        -> String?
    {
        withState {
            guard
                case .success(let sha) = performMerge(
                    repo.lowercased(), number, method: method, title: nil, message: nil, by: user)
            else { return nil }
            return sha
        }
    }

    /// Closes without merging (sends `pull_request` `closed`).
    public func closePullRequest(repo: String, number: Int, by user: String = "octocat") {
        withState { setIssueState(repo.lowercased(), number, "closed", by: user) }
    }

    /// Overrides GitHub's mergeability answer for a PR (`mergeable` nil = still computing).
    public func setMergeable(repo: String, number: Int, mergeable: Bool?, state: String? = nil) {
        withState {
            repos[repo.lowercased()]?.issues[number]?.pull?.mergeableOverride = .some(mergeable)
            repos[repo.lowercased()]?.issues[number]?.pull?.mergeableStateOverride = state
        }
    }

    /// A review (state `APPROVED`, `CHANGES_REQUESTED`, `COMMENTED`, `DISMISSED`; any case) on
    /// `commitID` (default: the PR's current head). Sends `pull_request_review` `submitted`.
    @discardableResult
    public func addReview(
        repo: String, number: Int, user: String, state: String, commitID: String? = nil, body: String = ""
    ) -> Int {
        withState {
            let key = repo.lowercased()
            guard let issue = repos[key]?.issues[number], issue.pull != nil else {
                preconditionFailure("no pull request #\(number)")
            }
            let head = pullHeadSHA(key, issue)
            let review = Review(
                id: newID(), user: user, state: state.uppercased(), commitID: commitID ?? head, body: body,
                submittedAt: now)
            repos[key]!.issues[number]!.pull!.reviews.append(review)
            queueReviewEvent(key, number, review)
            return review.id
        }
    }

    /// A comment by `user` on an issue or PR; sends `issue_comment` `created`.
    @discardableResult
    public func addComment(repo: String, issue number: Int, user: String, body: String) -> Int {
        withState { addCommentLocked(repo.lowercased(), number, user: user, body: body)?.id ?? 0 }
    }

    /// An issue opened by `user`. Returns its number.
    @discardableResult
    public func createIssue(
        repo: String, title: String, body: String? = nil, user: String = "octocat", labels: [String] = []
    ) -> Int {
        withState { createIssueLocked(repo.lowercased(), title: title, body: body, user: user, labels: labels) }
    }

    public func pulls(repo: String) -> [PullRequestInfo] {
        withState {
            let key = repo.lowercased()
            guard let repository = repos[key] else { return [] }
            return repository.issues.values.filter { $0.pull != nil }.sorted { $0.number < $1.number }.map { issue in
                let pull = issue.pull!
                return PullRequestInfo(
                    number: issue.number, title: issue.title, body: issue.body, state: issue.state, user: issue.user,
                    headRef: pull.headRef, baseRef: pull.baseRef, headSHA: pullHeadSHA(key, issue),
                    merged: pull.merged, mergeCommitSHA: pull.mergeCommitSHA, labels: issue.labels, draft: pull.draft)
            }
        }
    }

    /// Issues only (pull requests excluded unless `includePulls`).
    public func issues(repo: String, includePulls: Bool = false) -> [IssueInfo] {
        withState {
            guard let repository = repos[repo.lowercased()] else { return [] }
            return repository.issues.values.filter { includePulls || $0.pull == nil }.sorted { $0.number < $1.number }
                .map {
                    IssueInfo(
                        number: $0.number, title: $0.title, body: $0.body, state: $0.state, user: $0.user,
                        labels: $0.labels, isPullRequest: $0.pull != nil, commentCount: $0.comments.count)
                }
        }
    }

    public func comments(repo: String, issue number: Int) -> [CommentInfo] {
        withState {
            (repos[repo.lowercased()]?.issues[number]?.comments ?? []).map {
                CommentInfo(id: $0.id, user: $0.user, body: $0.body, createdAt: $0.createdAt)
            }
        }
    }

    /// Every merge performed (API or scripted), oldest first.
    public var merges: [MergeRecord] { withState { mergesStore } }
}
