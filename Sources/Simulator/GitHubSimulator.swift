import Foundation
import HTTPServer

/// A stateful fake of the GitHub REST API (version 2022-11-28 shapes) and of GitHub's webhook
/// deliveries. Scripted from Swift (repositories, commits, CI, reviews, comments, protection),
/// inspected for assertions, and served over HTTP to the real clients.
public final class GitHubSimulator: SimulatedService, @unchecked Sendable {
    // Safe: every mutable field below is guarded by `lock`; webhook deliveries collected in
    // `outbox` while the lock is held are handed to `webhooks` (itself thread-safe) after unlock.
    let lock = NSLock()
    var repos: [String: Repo] = [:]
    var nextID = 1_000
    var seq = 0
    var staticTokens: Set<String> = []
    var installationTokens: [String: InstallationToken] = [:]
    var appID = 123_456
    var appClientID: String?
    var appPublicKeyPEM: String?
    var installationIDValue = 7_654_321
    var installationAccount = "acme"
    var tokenLifetime: TimeInterval = 3600
    var teams: [String: [String: TeamMembership]] = [:]  // "org/team" -> user -> membership
    var nullReads = 0
    var botLoginValue = "ai-operator[bot]"
    var rateLimit = (limit: 5000, remaining: 5000, reset: Date().addingTimeInterval(3600), used: 0)
    var mergesStore: [MergeRecord] = []
    var outbox: [(event: String, action: String?, payload: [String: Any])] = []
    var clockOffset: TimeInterval = 0
    var autoChecks: [(prefix: String, name: String, conclusion: String, delay: Double)] = []

    /// Webhook deliveries (configure with `configureWebhooks(url:secret:)`).
    public let webhooks = WebhookSender()

    /// `tokens`: personal/static tokens accepted as `Bearer <t>` or `token <t>`.
    public init(tokens: Set<String> = ["ghp_simulator_token"], address: String = "127.0.0.1:0") {
        staticTokens = tokens
        super.init(address: address)
    }

    public override func handle(_ request: HTTPRequest) -> HTTPResponse { ghHandle(request) }
    public override func decorate(_ response: HTTPResponse, _ request: HTTPRequest) -> HTTPResponse {
        ghDecorate(response, request)
    }
    public override func faultResponse(_ action: FaultAction, _ request: HTTPRequest) -> HTTPResponse {
        ghFault(action, request)
    }

    // MARK: - Locking helper

    /// Runs `body` under the lock, then sends the webhooks it queued.
    func withState<T>(_ body: () -> T) -> T {
        lock.lock()
        let r = body()
        let out = outbox
        outbox = []
        lock.unlock()
        for e in out { webhooks.emit(event: e.event, action: e.action, payload: e.payload) }
        return r
    }

    var now: Date { Date().addingTimeInterval(clockOffset) }

    func newID() -> Int {
        nextID += 1
        return nextID
    }

    // MARK: - Configuration

    public func configureWebhooks(url: String?, secret: String?) { webhooks.configure(url: url, secret: secret) }

    public func setTokens(_ tokens: Set<String>) { withState { staticTokens = tokens } }
    public func addToken(_ token: String) { withState { _ = staticTokens.insert(token) } }
    public func revokeToken(_ token: String) { withState { _ = staticTokens.remove(token) } }

    /// The GitHub App: JWTs must be RS256-signed by the private half of `publicKeyPEM` (a
    /// `BEGIN PUBLIC KEY` PEM; a private key PEM also works) with `iss` = `appID` or `clientID`.
    public func configureApp(
        appID: Int, clientID: String? = nil, publicKeyPEM: String,
        installationID: Int = 7_654_321, account: String = "acme"
    ) {
        withState {
            self.appID = appID
            appClientID = clientID
            appPublicKeyPEM = publicKeyPEM
            installationIDValue = installationID
            installationAccount = account
        }
    }

    /// Lifetime of minted installation tokens (GitHub: 1 hour).
    public var installationTokenLifetime: TimeInterval {
        get { withState { tokenLifetime } }
        set { withState { tokenLifetime = newValue } }
    }

    /// Every installation token minted so far answers 401 from now on.
    public func expireInstallationTokens() {
        withState { for k in installationTokens.keys { installationTokens[k]?.revoked = true } }
    }

    public var mintedTokenCount: Int { withState { installationTokens.count } }

    /// The first `n` reads of each new or updated PR answer `mergeable: null` (still computing).
    public var mergeableNullReads: Int {
        get { withState { nullReads } }
        set { withState { nullReads = newValue } }
    }

    /// The login that API-authenticated writes are attributed to.
    public var botLogin: String {
        get { withState { botLoginValue } }
        set { withState { botLoginValue = newValue } }
    }

    /// Rate-limit budget: every authenticated answer other than 304 costs one; at 0 requests get
    /// 403 `API rate limit exceeded` until `resetAt`, when the budget refills.
    public func setRateLimit(limit: Int = 5000, remaining: Int, resetAt: Date? = nil) {
        withState { rateLimit = (limit, remaining, resetAt ?? now.addingTimeInterval(3600), limit - remaining) }
    }

    public var rateLimitRemaining: Int { withState { rateLimit.remaining } }

    public func addTeamMember(
        org: String, team: String, user: String, role: String = "member", state: String = "active"
    ) {
        withState {
            teams["\(org.lowercased())/\(team.lowercased())", default: [:]][user.lowercased()] = TeamMembership(
                role: role, state: state)
        }
    }

    public func removeTeamMember(org: String, team: String, user: String) {
        withState { teams["\(org.lowercased())/\(team.lowercased())"]?[user.lowercased()] = nil }
    }

    // MARK: - Repositories, commits, branches

    /// Creates a repository with one initial commit on `defaultBranch` holding `files`. Returns its SHA.
    @discardableResult
    public func createRepository(
        _ fullName: String, defaultBranch: String = "main", files: [String: String] = ["README.md": "# repository\n"],
        message: String = "Initial commit", author: String = "octocat",
        date: Date? = nil
    ) -> String {
        withState {
            let parts = fullName.split(separator: "/")
            precondition(parts.count == 2, "repository names are owner/name")
            var repo = Repo(id: newID(), owner: String(parts[0]), name: String(parts[1]), defaultBranch: defaultBranch)
            let tree = files.mapValues { Array($0.utf8) }
            let c = makeCommit(
                tree: tree, parents: [], message: message, author: .user(author),
                date: date ?? now.addingTimeInterval(-86_400 * 60))
            repo.commits[c.sha] = c
            repo.branches[defaultBranch] = c.sha
            repos[fullName.lowercased()] = repo
            return c.sha
        }
    }

    /// One commit on `branch` (created from the default branch if missing) changing `files`
    /// (`nil` deletes a file). Returns the commit SHA. Open PRs whose head is `branch` get a
    /// `synchronize` webhook.
    @discardableResult
    public func addCommit(
        repo: String, branch: String, files: [String: String?], message: String,
        author: String = "octocat", date: Date? = nil
    ) -> String {
        withState {
            guard var r = repos[repo.lowercased()] else { preconditionFailure("no repository \(repo)") }
            let parent = r.branches[branch] ?? r.branches[r.defaultBranch]!
            var tree = r.commits[parent]!.tree
            for (path, content) in files { tree[path] = content.map { Array($0.utf8) } }
            let c = makeCommit(
                tree: tree, parents: [parent], message: message, author: .user(author), date: date ?? now)
            r.commits[c.sha] = c
            repos[repo.lowercased()] = r
            moveBranch(repo: repo.lowercased(), branch: branch, to: c.sha)
            return c.sha
        }
    }

    /// Creates (or force-moves) `branch` to the commit `from` names (a branch or a SHA).
    public func setBranch(repo: String, branch: String, to from: String) {
        withState {
            guard let sha = resolve(repo.lowercased(), from) else { preconditionFailure("unknown ref \(from)") }
            moveBranch(repo: repo.lowercased(), branch: branch, to: sha)
        }
    }

    /// Classic branch protection: direct writes refused; merges need the reviews and checks.
    public func protectBranch(repo: String, branch: String, requiredReviews: Int = 0, requiredChecks: [String] = []) {
        withState {
            repos[repo.lowercased()]?.protection[branch] = BranchProtection(
                requiredReviews: requiredReviews, requiredChecks: requiredChecks)
        }
    }

    public func unprotectBranch(repo: String, branch: String) {
        withState { repos[repo.lowercased()]?.protection[branch] = nil }
    }

    public func headSHA(repo: String, branch: String) -> String? {
        withState { repos[repo.lowercased()]?.branches[branch] }
    }

    public func branches(repo: String) -> [String: String] { withState { repos[repo.lowercased()]?.branches ?? [:] } }

    /// Commits reachable from `branch` (or a SHA), newest first.
    public func commits(repo: String, on ref: String) -> [CommitInfo] {
        withState {
            let key = repo.lowercased()
            guard let sha = resolve(key, ref) else { return [] }
            return history(key, from: sha).map(info)
        }
    }

    public func commit(repo: String, sha: String) -> CommitInfo? {
        withState { repos[repo.lowercased()]?.commits[sha].map(info) }
    }

    /// A file's text at `ref` (default branch when nil).
    public func file(repo: String, path: String, ref: String? = nil) -> String? {
        withState {
            let key = repo.lowercased()
            guard let r = repos[key], let sha = resolve(key, ref ?? r.defaultBranch),
                let bytes = r.commits[sha]?.tree[path]
            else { return nil }
            return String(decoding: bytes, as: UTF8.self)
        }
    }

    func info(_ c: Commit) -> CommitInfo {
        CommitInfo(
            sha: c.sha, message: c.message, parents: c.parents, author: c.author, date: c.date,
            files: c.tree.mapValues { String(decoding: $0, as: UTF8.self) })
    }

    // MARK: - CI

    /// Creates or updates the check run `name` for `sha`. When it completes, a `check_run`
    /// `completed` webhook is sent, and a `check_suite` `completed` one once every run of the
    /// suite is completed.
    @discardableResult
    public func setCheckRun(
        repo: String, sha: String, name: String, status: String = "completed",
        conclusion: String? = "success", summary: String? = nil
    ) -> Int {
        withState {
            let key = repo.lowercased()
            guard var r = repos[key] else { preconditionFailure("no repository \(repo)") }
            let full = resolve(key, sha) ?? sha
            let suite = r.suiteIDs[full] ?? newID()
            r.suiteIDs[full] = suite
            let id: Int
            if let i = r.checkRuns.lastIndex(where: { $0.sha == full && $0.name == name }) {
                r.checkRuns[i].status = status
                r.checkRuns[i].conclusion = status == "completed" ? conclusion : nil
                r.checkRuns[i].completedAt = status == "completed" ? now : nil
                r.checkRuns[i].summary = summary ?? r.checkRuns[i].summary
                id = r.checkRuns[i].id
            } else {
                id = newID()
                r.checkRuns.append(
                    CheckRun(
                        id: id, suiteID: suite, sha: full, name: name, status: status,
                        conclusion: status == "completed" ? conclusion : nil, startedAt: now,
                        completedAt: status == "completed" ? now : nil, appSlug: "github-actions", summary: summary))
            }
            repos[key] = r
            if status == "completed", let run = r.checkRuns.first(where: { $0.id == id }) {
                queueCheckRunEvent(key, run)
                let runs = r.checkRuns.filter { $0.sha == full }
                if runs.allSatisfy({ $0.status == "completed" }) { queueCheckSuiteEvent(key, sha: full, runs: runs) }
            }
            return id
        }
    }

    /// Adds a commit status (legacy Statuses API); sends a `status` webhook.
    public func setCommitStatus(
        repo: String, sha: String, context: String, state: String,
        description: String? = nil, targetURL: String? = nil
    ) {
        withState {
            let key = repo.lowercased()
            let full = resolve(key, sha) ?? sha
            addStatus(key, sha: full, context: context, state: state, description: description, targetURL: targetURL)
        }
    }

    /// CI that runs by itself: every new head of a branch starting with `branchPrefix` gets an
    /// `in_progress` check run `name`, completed with `conclusion` `delay` seconds later (with
    /// its `check_run` / `check_suite` webhooks).
    public func setAutoCheckRun(
        branchPrefix: String = "rollback/", name: String = "ci", conclusion: String = "success", delay: Double = 0.5
    ) {
        // Setting a rule replaces the one for the same prefix and check name (one run per name).
        withState {
            autoChecks.removeAll { $0.prefix == branchPrefix && $0.name == name }
            autoChecks.append((branchPrefix, name, conclusion, delay))
        }
    }

    /// Called under the lock when a branch moves.
    func startAutoChecks(_ key: String, branch: String, sha: String) {
        guard let r = repos[key] else { return }
        for rule in autoChecks where branch.hasPrefix(rule.prefix) {
            // The live list: a run this loop already started counts (two rules, one name).
            guard !repos[key]!.checkRuns.contains(where: { $0.sha == sha && $0.name == rule.name }) else { continue }
            let suite = repos[key]!.suiteIDs[sha] ?? newID()
            repos[key]!.suiteIDs[sha] = suite
            repos[key]!.checkRuns.append(
                CheckRun(
                    id: newID(), suiteID: suite, sha: sha, name: rule.name, status: "in_progress",
                    conclusion: nil, startedAt: now, completedAt: nil, appSlug: "github-actions", summary: nil))
            let full = r.fullName
            let name = rule.name
            let conclusion = rule.conclusion
            DispatchQueue.global().asyncAfter(deadline: .now() + rule.delay) { [weak self] in
                self?.setCheckRun(repo: full, sha: sha, name: name, status: "completed", conclusion: conclusion)
            }
        }
    }

    // MARK: - Pull requests, reviews, issues, comments

    /// A PR opened by `user` (e.g. the human change that broke production). Returns its number.
    @discardableResult
    public func createPullRequest(
        repo: String, head: String, base: String, title: String, body: String? = nil,
        user: String = "octocat", labels: [String] = []
    ) -> Int {
        withState {
            let key = repo.lowercased()
            let n = openPull(key, head: head, base: base, title: title, body: body, user: user, draft: false)
            for l in labels { addLabel(key, n, l) }
            return n
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
            guard let r = repos[key] else { return [] }
            return r.issues.values.filter { $0.pull != nil }.sorted { $0.number < $1.number }.map { i in
                let p = i.pull!
                return PullRequestInfo(
                    number: i.number, title: i.title, body: i.body, state: i.state, user: i.user,
                    headRef: p.headRef, baseRef: p.baseRef, headSHA: pullHeadSHA(key, i), merged: p.merged,
                    mergeCommitSHA: p.mergeCommitSHA, labels: i.labels, draft: p.draft)
            }
        }
    }

    /// Issues only (pull requests excluded unless `includePulls`).
    public func issues(repo: String, includePulls: Bool = false) -> [IssueInfo] {
        withState {
            guard let r = repos[repo.lowercased()] else { return [] }
            return r.issues.values.filter { includePulls || $0.pull == nil }.sorted { $0.number < $1.number }.map {
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
