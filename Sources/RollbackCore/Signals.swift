/// What the outside world told us, already decoded and validated, before it is matched to an
/// attempt. Webhooks are hints: a signal wakes the right application's loop, and the engine
/// re-reads the truth from the APIs before any decision that matters.
///
/// Signals carry only what is needed to route them (repository, SHA, PR number, who sent
/// it) and what a decision may quote (conclusion, review state, comment text).
public enum GitHubSignal: Sendable, Equatable, Codable {
    /// A check suite or check run finished for `headSHA` (`check_suite` / `check_run`
    /// with action `completed`).
    case checkCompleted(CheckCompleted)
    /// A legacy commit status changed (`status` event).
    case commitStatus(CommitStatus)
    /// A pull request changed (`pull_request`: closed, reopened, synchronize, ...).
    case pullRequest(PullRequestChange)
    /// A review was submitted or dismissed (`pull_request_review`).
    case review(Review)
    /// A comment was created on an issue or a pull request (`issue_comment`, `created`);
    /// the first word may be a ChatOps command.
    case comment(Comment)
    /// The App was installed, removed, suspended (`installation`).
    case installation(Installation)

    public struct CheckCompleted: Sendable, Equatable, Codable {
        public enum Kind: String, Sendable, Codable {
            case suite = "check_suite"
            case run = "check_run"
        }
        public var kind: Kind
        public var repository: String  // owner/name
        public var headSHA: String
        public var headBranch: String?
        public var name: String?  // check run name (nil for a suite)
        public var conclusion: CheckConclusion
        public var pullRequests: [Int]
        public init(
            kind: Kind, repository: String, headSHA: String, headBranch: String?, name: String?,
            conclusion: CheckConclusion, pullRequests: [Int]
        ) {
            self.kind = kind
            self.repository = repository
            self.headSHA = headSHA
            self.headBranch = headBranch
            self.name = name
            self.conclusion = conclusion
            self.pullRequests = pullRequests
        }
    }

    public struct CommitStatus: Sendable, Equatable, Codable {
        public var repository: String
        public var sha: String
        public var context: String
        public var state: StatusState
        public init(repository: String, sha: String, context: String, state: StatusState) {
            self.repository = repository
            self.sha = sha
            self.context = context
            self.state = state
        }
    }

    public struct PullRequestChange: Sendable, Equatable, Codable {
        public enum Action: String, Sendable, Codable {
            case opened, closed, reopened, synchronize, edited, labeled, unlabeled, other
        }
        public var repository: String
        public var number: Int
        public var action: Action
        public var merged: Bool
        public var headRef: String
        public var headSHA: String
        public var baseRef: String
        public var sender: String
        public init(
            repository: String, number: Int, action: Action, merged: Bool, headRef: String,
            headSHA: String, baseRef: String, sender: String
        ) {
            self.repository = repository
            self.number = number
            self.action = action
            self.merged = merged
            self.headRef = headRef
            self.headSHA = headSHA
            self.baseRef = baseRef
            self.sender = sender
        }
    }

    public struct Review: Sendable, Equatable, Codable {
        public enum State: String, Sendable, Codable {
            case approved
            case changesRequested = "changes_requested"
            case commented
            case dismissed
            case other
        }
        public var repository: String
        public var pullNumber: Int
        public var state: State
        public var reviewer: String
        /// The head SHA the review was made on: an approval holds for that SHA only.
        public var commitID: String?
        public init(repository: String, pullNumber: Int, state: State, reviewer: String, commitID: String?) {
            self.repository = repository
            self.pullNumber = pullNumber
            self.state = state
            self.reviewer = reviewer
            self.commitID = commitID
        }
    }

    public struct Comment: Sendable, Equatable, Codable {
        public var repository: String
        public var issueNumber: Int
        public var isPullRequest: Bool
        public var commentID: Int
        public var author: String
        public var authorIsBot: Bool
        public var body: String
        public init(
            repository: String, issueNumber: Int, isPullRequest: Bool, commentID: Int, author: String,
            authorIsBot: Bool, body: String
        ) {
            self.repository = repository
            self.issueNumber = issueNumber
            self.isPullRequest = isPullRequest
            self.commentID = commentID
            self.author = author
            self.authorIsBot = authorIsBot
            self.body = body
        }
    }

    public struct Installation: Sendable, Equatable, Codable {
        public var action: String
        public var installationID: Int
        public var account: String?
        public init(action: String, installationID: Int, account: String?) {
            self.action = action
            self.installationID = installationID
            self.account = account
        }
    }
}

/// A check run or suite conclusion. `pending` stands for "not completed yet".
public enum CheckConclusion: String, Sendable, Codable, CaseIterable {
    case success, failure, neutral, cancelled, skipped, stale, pending
    case timedOut = "timed_out"
    case actionRequired = "action_required"

    /// `success`, `neutral` and `skipped` count as passed (SPEC section 6).
    public var passed: Bool { self == .success || self == .neutral || self == .skipped }
}

/// A legacy commit status state.
public enum StatusState: String, Sendable, Codable, CaseIterable {
    case pending, success, failure, error
}

/// What Argo CD notifications told us: only which application to check now. The body is
/// never trusted as health data (SPEC section 2); `health` and `revision` are for the log.
public struct ArgoCDNotification: Sendable, Equatable, Codable {
    public var app: String
    public var trigger: String?
    public var health: String?
    public var revision: String?
    public init(app: String, trigger: String? = nil, health: String? = nil, revision: String? = nil) {
        self.app = app
        self.trigger = trigger
        self.health = health
        self.revision = revision
    }
}
