import Foundation

// Typed results: only what the engine needs, decoded leniently (optional where GitHub may omit).

public struct GitHubUser: Decodable, Sendable, Equatable {
    public let login: String
}

public struct GitRef: Decodable, Sendable, Equatable {
    public struct Object: Decodable, Sendable, Equatable {
        public let sha: String
        public let type: String?
    }
    public let ref: String
    public let object: Object
    public var sha: String { object.sha }
}

public struct FileContent: Sendable, Equatable {
    public let path: String
    /// The blob sha (needed to update the file).
    public let sha: String
    public let content: [UInt8]
    public var text: String { String(decoding: content, as: UTF8.self) }
}

public struct FileCommit: Sendable, Equatable {
    /// The new blob sha of the file.
    public let contentSha: String?
    /// The commit the write created.
    public let commitSha: String
}

public struct Commit: Decodable, Sendable, Equatable {
    public struct Details: Decodable, Sendable, Equatable {
        public struct Person: Decodable, Sendable, Equatable {
            public let name: String?
            public let email: String?
            public let date: Date?
        }
        public let message: String
        public let author: Person?
        public let committer: Person?
    }
    public struct Parent: Decodable, Sendable, Equatable { public let sha: String }
    public let sha: String
    public let commit: Details
    public let author: GitHubUser?
    public let parents: [Parent]?
    public let htmlUrl: String?

    public var message: String { commit.message }
    public var authorName: String? { commit.author?.name ?? author?.login }
    public var date: Date? { commit.committer?.date ?? commit.author?.date }
}

public struct Comparison: Decodable, Sendable, Equatable {
    public struct Base: Decodable, Sendable, Equatable { public let sha: String }
    /// `ahead`, `behind`, `identical` or `diverged`.
    public let status: String
    public let aheadBy: Int
    public let behindBy: Int
    public let totalCommits: Int?
    public let mergeBaseCommit: Base?
    /// The commits on head since the merge base, oldest first (at most 250).
    public let commits: [Commit]?
    /// What head changes against the merge base (GitHub omits `patch` for large diffs).
    public let files: [ChangedFile]?

    public struct ChangedFile: Decodable, Sendable, Equatable {
        public let filename: String
        public let status: String?
        public let additions: Int
        public let deletions: Int
        public let patch: String?
    }
}

public struct CombinedStatus: Decodable, Sendable, Equatable {
    public struct Status: Decodable, Sendable, Equatable {
        public let context: String
        public let state: String
        public let description: String?
        public let targetUrl: String?
    }
    /// `success`, `pending`, `failure` or `error`.
    public let state: String
    public let sha: String?
    public let totalCount: Int
    public let statuses: [Status]
}

public struct CheckRun: Decodable, Sendable, Equatable {
    public let id: Int
    public let name: String
    public let headSha: String?
    /// `queued`, `in_progress`, `completed`, ...
    public let status: String
    /// `success`, `failure`, `neutral`, `cancelled`, `skipped`, `timed_out`, `action_required`, `stale`.
    public let conclusion: String?
    public let detailsUrl: String?
}

public struct CheckRunList: Decodable, Sendable, Equatable {
    public let totalCount: Int
    public let checkRuns: [CheckRun]
}

public struct Label: Decodable, Sendable, Equatable {
    public let name: String
}

public struct PullRequest: Decodable, Sendable, Equatable {
    public struct Branch: Decodable, Sendable, Equatable {
        public let ref: String
        public let sha: String
        public let label: String?
    }
    public let number: Int
    /// `open` or `closed`.
    public let state: String
    public let title: String
    public let body: String?
    public let draft: Bool?
    public let merged: Bool?
    /// nil while GitHub is still computing it.
    public let mergeable: Bool?
    public let mergeableState: String?
    public let mergeCommitSha: String?
    public let head: Branch
    public let base: Branch
    public let labels: [Label]?
    public let user: GitHubUser?
    public let htmlUrl: String?
    public let createdAt: Date?
    public let mergedAt: Date?
    public let closedAt: Date?
    /// Who merged it (GitHub reports it on a merged PR).
    public let mergedBy: GitHubUser?

    public var isMerged: Bool { merged == true || mergedAt != nil }
    public var labelNames: [String] { (labels ?? []).map(\.name) }
}

public struct Review: Decodable, Sendable, Equatable {
    public let id: Int
    public let user: GitHubUser?
    /// `APPROVED`, `CHANGES_REQUESTED`, `COMMENTED`, `DISMISSED`, `PENDING`.
    public let state: String
    public let commitId: String?
    public let submittedAt: Date?
}

public enum MergeOutcome: Sendable, Equatable {
    /// Merged now; the sha of the squashed commit.
    case merged(sha: String)
    /// It was merged already (by us before a crash, or by a human): counts as success.
    case alreadyMerged(sha: String?)
}

public struct Issue: Decodable, Sendable, Equatable {
    public let number: Int
    public let title: String
    public let state: String
    public let body: String?
    public let htmlUrl: String?
    public let labels: [Label]?
    public let createdAt: Date?
    public var labelNames: [String] { (labels ?? []).map(\.name) }
}

public struct IssueComment: Decodable, Sendable, Equatable {
    public let id: Int
    public let body: String
    public let user: GitHubUser?
    public let htmlUrl: String?
    public let createdAt: Date?
    public let authorAssociation: String?
}

public struct TeamMembership: Decodable, Sendable, Equatable {
    public let role: String?
    public let state: String
    /// Only an active membership counts (a pending invitation does not).
    public var isActive: Bool { state == "active" }
}
