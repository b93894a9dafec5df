import Foundation

/// The GitHub simulator's data model (value types, kept under `GitHubSimulator`'s lock).
extension GitHubSimulator {
    public struct Person: Sendable, Equatable {
        public var name: String
        public var email: String
        public var login: String?
        public init(name: String, email: String, login: String? = nil) {
            self.name = name
            self.email = email
            self.login = login
        }
        public static func user(_ login: String) -> Person {
            Person(name: login, email: "\(login)@users.noreply.github.com", login: login)
        }
    }

    struct Commit {
        var sha: String
        var tree: [String: [UInt8]]
        var treeSHA: String
        var parents: [String]
        var message: String
        var author: Person
        var committer: Person
        var date: Date
        var seq: Int
    }

    public struct BranchProtection: Sendable {
        public var requiredReviews: Int
        public var requiredChecks: [String]
        public init(requiredReviews: Int = 0, requiredChecks: [String] = []) {
            self.requiredReviews = requiredReviews
            self.requiredChecks = requiredChecks
        }
    }

    struct CheckRun {
        var id: Int
        var suiteID: Int
        var sha: String
        var name: String
        var status: String
        var conclusion: String?
        var startedAt: Date
        var completedAt: Date?
        var appSlug: String
        var summary: String?
    }

    struct CommitStatusEntry {
        var id: Int
        var sha: String
        var context: String
        var state: String
        var description: String?
        var targetURL: String?
        var createdAt: Date
    }

    struct Review {
        var id: Int
        var user: String
        var state: String  // UPPERCASE
        var commitID: String
        var body: String
        var submittedAt: Date
    }

    struct Comment {
        var id: Int
        var user: String
        var body: String
        var createdAt: Date
        var updatedAt: Date
    }

    struct Pull {
        var headRef: String
        var baseRef: String
        /// Frozen when the PR closes (the branch may move or vanish afterwards).
        var closedHeadSHA: String?
        var closedBaseSHA: String?
        var draft: Bool
        var merged = false
        var mergedAt: Date?
        var mergedBy: String?
        var mergeCommitSHA: String?
        var reviews: [Review] = []
        var mergeableOverride: Bool??
        var mergeableStateOverride: String?
        var nullReadsLeft: Int
        var maintainerCanModify = true
    }

    struct Issue {
        var number: Int
        var id: Int
        var title: String
        var body: String?
        var user: String
        var state: String  // open | closed
        var stateReason: String?
        var labels: [String]
        var assignees: [String]
        var createdAt: Date
        var updatedAt: Date
        var closedAt: Date?
        var closedBy: String?
        var comments: [Comment] = []
        var pull: Pull?
    }

    struct Label {
        var id: Int
        var name: String
        var color: String
        var description: String?
    }

    struct Repo {
        var id: Int
        var owner: String
        var name: String
        var defaultBranch: String
        var commits: [String: Commit] = [:]
        var branches: [String: String] = [:]
        var protection: [String: BranchProtection] = [:]
        var statuses: [CommitStatusEntry] = []
        var checkRuns: [CheckRun] = []
        var issues: [Int: Issue] = [:]
        var nextNumber = 1
        var labels: [String: Label] = [:]
        var suiteIDs: [String: Int] = [:]
        var fullName: String { "\(owner)/\(name)" }
    }

    struct InstallationToken {
        var token: String
        var expiresAt: Date
        var revoked = false
    }

    struct TeamMembership {
        var role: String
        var state: String
    }

    // MARK: - Public snapshots for assertions

    public struct CommitInfo: Sendable {
        public let sha: String
        public let message: String
        public let parents: [String]
        public let author: Person
        public let date: Date
        public let files: [String: String]
    }

    public struct PullRequestInfo: Sendable {
        public let number: Int
        public let title: String
        public let body: String?
        public let state: String
        public let user: String
        public let headRef: String
        public let baseRef: String
        public let headSHA: String
        public let merged: Bool
        public let mergeCommitSHA: String?
        public let labels: [String]
        public let draft: Bool
    }

    public struct IssueInfo: Sendable {
        public let number: Int
        public let title: String
        public let body: String?
        public let state: String
        public let user: String
        public let labels: [String]
        public let isPullRequest: Bool
        public let commentCount: Int
    }

    public struct CommentInfo: Sendable {
        public let id: Int
        public let user: String
        public let body: String
        public let createdAt: Date
    }

    public struct MergeRecord: Sendable {
        public let repo: String
        public let number: Int
        public let method: String
        public let sha: String
        public let headSHA: String
        public let mergedBy: String
        public let at: Date
    }
}
