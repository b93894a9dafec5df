// Typed decoding of GitHub App webhook deliveries into `GitHubSignal`s. Runs off the hot
// path (after the delivery was verified and stored), with Foundation's JSONDecoder and small
// private Decodable structs that name only the fields we use.
import Foundation
import RollbackCore

/// What one GitHub delivery means to the operator.
public enum DecodedGitHubEvent: Sendable, Equatable {
    /// A signal for the engine.
    case signal(GitHubSignal)
    /// The `ping` sent when the hook is created: answer 200, nothing else.
    case ping
    /// A well-formed delivery we do not act on (unknown event, uninteresting action).
    case ignored(reason: String)
    /// Not JSON, not an object, or a required field missing or of the wrong type. The reason
    /// names the field path, never a value from the body.
    case malformed(reason: String)
}

/// Decodes GitHub webhook bodies (`X-GitHub-Event` + raw body). Never traps on any input.
///
/// Decisions:
/// - A check conclusion we do not know (e.g. `startup_failure`) maps to `.failure`: the check
///   has completed without saying it passed, so it must never count as passed, and waiting for
///   it (`.pending`) would wait for a change that will not come. A missing or null conclusion
///   on a `completed` delivery maps to `.pending` (no conclusion recorded yet).
/// - An unknown commit-status state maps to `.error` for the same reason.
/// - `pull_request` actions outside `PullRequestChange.Action` become `.other` signals (the
///   core type has that case); `check_suite`/`check_run` act only on `completed`,
///   `pull_request_review` on `submitted` and `dismissed`, `issue_comment` on `created`; all
///   other actions are `.ignored`. Every `installation` action is passed on.
/// - Conclusions, states and review states are matched case-insensitively.
/// - The body must pass `JSONScan` (strict RFC 8259) first, as at ingress.
public enum GitHubEventDecoder {
    /// The events this decoder understands.
    public static let handledEvents: Set<String> = [
        "check_suite", "check_run", "status", "pull_request", "pull_request_review",
        "issue_comment", "installation", "ping",
    ]

    public static func decode(event: String, body: [UInt8]) -> DecodedGitHubEvent {
        let scan = JSONScan.validate(body)
        if let failure = scan.failure { return .malformed(reason: "body is not valid JSON: \(failure)") }
        guard scan.topLevelIsObject else { return .malformed(reason: "body is not a JSON object") }
        let data = Data(body)
        do {
            switch event {
            case "ping":
                return .ping
            case "check_suite":
                let action = try actionOf(data)
                guard action == "completed" else { return ignored(event, action) }
                let payload = try JSONDecoder().decode(CheckSuitePayload.self, from: data)
                return .signal(
                    .checkCompleted(
                        .init(
                            kind: .suite, repository: payload.repository.fullName, headSHA: payload.checkSuite.headSHA,
                            headBranch: payload.checkSuite.headBranch, name: nil,
                            conclusion: checkConclusion(payload.checkSuite.conclusion),
                            pullRequests: (payload.checkSuite.pullRequests ?? []).map(\.number))))
            case "check_run":
                let action = try actionOf(data)
                guard action == "completed" else { return ignored(event, action) }
                let payload = try JSONDecoder().decode(CheckRunPayload.self, from: data)
                return .signal(
                    .checkCompleted(
                        .init(
                            kind: .run, repository: payload.repository.fullName, headSHA: payload.checkRun.headSHA,
                            headBranch: payload.checkRun.checkSuite?.headBranch, name: payload.checkRun.name,
                            conclusion: checkConclusion(payload.checkRun.conclusion),
                            pullRequests: (payload.checkRun.pullRequests ?? []).map(\.number))))
            case "status":
                let payload = try JSONDecoder().decode(StatusPayload.self, from: data)
                guard let repository = payload.repository?.fullName ?? payload.name else {
                    return .malformed(reason: "missing field repository.full_name")
                }
                return .signal(
                    .commitStatus(
                        .init(
                            repository: repository, sha: payload.sha, context: payload.context,
                            state: statusState(payload.state))))
            case "pull_request":
                let action = try actionOf(data)
                let payload = try JSONDecoder().decode(PullRequestPayload.self, from: data)
                let mapped = GitHubSignal.PullRequestChange.Action(rawValue: action) ?? .other
                return .signal(
                    .pullRequest(
                        .init(
                            repository: payload.repository.fullName,
                            number: payload.number ?? payload.pullRequest.number,
                            action: mapped,
                            merged: payload.pullRequest.merged ?? false, headRef: payload.pullRequest.head.ref,
                            headSHA: payload.pullRequest.head.sha, baseRef: payload.pullRequest.base.ref,
                            sender: payload.sender.login))
                )
            case "pull_request_review":
                let action = try actionOf(data)
                guard action == "submitted" || action == "dismissed" else { return ignored(event, action) }
                let payload = try JSONDecoder().decode(ReviewPayload.self, from: data)
                let state = action == "dismissed" ? .dismissed : reviewState(payload.review.state)
                return .signal(
                    .review(
                        .init(
                            repository: payload.repository.fullName, pullNumber: payload.pullRequest.number,
                            state: state, reviewer: payload.review.user.login,
                            commitID: payload.review.commitID)))
            case "issue_comment":
                let action = try actionOf(data)
                guard action == "created" else { return ignored(event, action) }
                let payload = try JSONDecoder().decode(IssueCommentPayload.self, from: data)
                let user = payload.comment.user
                return .signal(
                    .comment(
                        .init(
                            repository: payload.repository.fullName, issueNumber: payload.issue.number,
                            isPullRequest: payload.issue.pullRequest != nil, commentID: payload.comment.id,
                            author: user.login,
                            authorIsBot: user.type?.lowercased() == "bot" || user.login.hasSuffix("[bot]"),
                            body: payload.comment.body ?? "")))
            case "installation":
                let action = try actionOf(data)
                let payload = try JSONDecoder().decode(InstallationPayload.self, from: data)
                return .signal(
                    .installation(
                        .init(
                            action: action, installationID: payload.installation.id,
                            account: payload.installation.account?.login)))
            default:
                return .ignored(reason: "event '\(short(event))' is not handled")
            }
        } catch {
            return .malformed(reason: reason(for: error))
        }
    }

    /// Maps a check run/suite conclusion; see the type's documentation for the policy.
    public static func checkConclusion(_ raw: String?) -> CheckConclusion {
        guard let raw else { return .pending }
        let known = CheckConclusion(rawValue: raw.lowercased())
        return known ?? .failure
    }

    /// Maps a commit status state; unknown states are `.error`.
    public static func statusState(_ raw: String) -> StatusState {
        StatusState(rawValue: raw.lowercased()) ?? .error
    }

    /// Maps a webhook review state (lowercase; the REST API's uppercase is accepted too).
    public static func reviewState(_ raw: String) -> GitHubSignal.Review.State {
        GitHubSignal.Review.State(rawValue: raw.lowercased()) ?? .other
    }

    // MARK: - Helpers

    private static func actionOf(_ data: Data) throws -> String {
        try JSONDecoder().decode(Envelope.self, from: data).action
    }

    private static func ignored(_ event: String, _ action: String) -> DecodedGitHubEvent {
        .ignored(reason: "\(event) action '\(short(action))' is not handled")
    }

    /// Event and action names come from the body; keep them short in reasons and logs.
    private static func short(_ text: String) -> String {
        let cleaned = String(text.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F }.map(Character.init))
        return cleaned.count <= 64 ? cleaned : String(cleaned.prefix(64)) + "…"
    }

    static func reason(for error: Error) -> String {
        func path(_ keys: [CodingKey]) -> String {
            if keys.isEmpty { return "top level" }
            var out = ""
            for key in keys {
                if let index = key.intValue {
                    out += "[\(index)]"
                } else {
                    if !out.isEmpty { out += "." }
                    out += short(key.stringValue)
                }
            }
            return out
        }
        guard let error = error as? DecodingError else { return "undecodable body" }
        switch error {
        case .keyNotFound(let key, let context):
            return "missing field \(path(context.codingPath + [key]))"
        case .valueNotFound(_, let context):
            return "null value at \(path(context.codingPath))"
        case .typeMismatch(_, let context):
            return "wrong type at \(path(context.codingPath))"
        case .dataCorrupted(let context):
            // The syntax was already checked by JSONScan; Foundation reports a number that does
            // not fit its field (1.5 or 1e30 for an Int) this way, without a path.
            return context.codingPath.isEmpty
                ? "a value does not fit its field (number not an integer or out of range)"
                : "invalid value at \(path(context.codingPath))"
        @unknown default:
            return "undecodable body"
        }
    }
}

// MARK: - Payload shapes (only the fields we read; see protocols.md section 1.4)

private struct Envelope: Decodable { let action: String }
private struct Repository: Decodable {
    let fullName: String
    enum CodingKeys: String, CodingKey { case fullName = "full_name" }
}
private struct Account: Decodable {
    let login: String
    let type: String?
}
private struct PullRequestRef: Decodable { let number: Int }
/// Any JSON object; used where only presence matters (`issue.pull_request`).
private struct JSONObjectPresence: Decodable {
    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
    init(from decoder: Decoder) throws { _ = try decoder.container(keyedBy: Key.self) }
}

private struct CheckSuitePayload: Decodable {
    struct Suite: Decodable {
        let headSHA: String
        let headBranch: String?
        let conclusion: String?
        let pullRequests: [PullRequestRef]?
        enum CodingKeys: String, CodingKey {
            case headSHA = "head_sha"
            case headBranch = "head_branch"
            case conclusion
            case pullRequests = "pull_requests"
        }
    }
    let repository: Repository
    let checkSuite: Suite
    enum CodingKeys: String, CodingKey {
        case repository
        case checkSuite = "check_suite"
    }
}

private struct CheckRunPayload: Decodable {
    struct SuiteRef: Decodable {
        let headBranch: String?
        enum CodingKeys: String, CodingKey { case headBranch = "head_branch" }
    }
    struct Run: Decodable {
        let name: String
        let headSHA: String
        let conclusion: String?
        let checkSuite: SuiteRef?
        let pullRequests: [PullRequestRef]?
        enum CodingKeys: String, CodingKey {
            case name
            case headSHA = "head_sha"
            case conclusion
            case checkSuite = "check_suite"
            case pullRequests = "pull_requests"
        }
    }
    let repository: Repository
    let checkRun: Run
    enum CodingKeys: String, CodingKey {
        case repository
        case checkRun = "check_run"
    }
}

private struct StatusPayload: Decodable {
    let sha: String
    let name: String?
    let context: String
    let state: String
    let repository: Repository?
}

private struct PullRequestPayload: Decodable {
    struct Ref: Decodable {
        let ref: String
        let sha: String
    }
    struct PR: Decodable {
        let number: Int
        let merged: Bool?
        let head: Ref
        let base: Ref
    }
    let number: Int?
    let pullRequest: PR
    let repository: Repository
    let sender: Account
    enum CodingKeys: String, CodingKey {
        case number
        case pullRequest = "pull_request"
        case repository
        case sender
    }
}

private struct ReviewPayload: Decodable {
    struct Review: Decodable {
        let state: String
        let user: Account
        let commitID: String?
        enum CodingKeys: String, CodingKey {
            case state
            case user
            case commitID = "commit_id"
        }
    }
    let review: Review
    let pullRequest: PullRequestRef
    let repository: Repository
    enum CodingKeys: String, CodingKey {
        case review
        case pullRequest = "pull_request"
        case repository
    }
}

private struct IssueCommentPayload: Decodable {
    struct Issue: Decodable {
        let number: Int
        let pullRequest: JSONObjectPresence?
        enum CodingKeys: String, CodingKey {
            case number
            case pullRequest = "pull_request"
        }
    }
    struct Comment: Decodable {
        let id: Int
        let body: String?
        let user: Account
    }
    let issue: Issue
    let comment: Comment
    let repository: Repository
}

private struct InstallationPayload: Decodable {
    struct Installation: Decodable {
        let id: Int
        let account: Account?
    }
    let installation: Installation
}
