/// The operator commands of SPEC 10.
public enum CommandKind: String, Sendable, Equatable, Codable, CaseIterable {
    case approve = "APPROVE"
    case abort = "ABORT"
    case manual = "MANUAL"
    case reset = "RESET"

    /// The command in a ChatOps comment: only the first word of the first line counts,
    /// case-insensitive, whatever the line ending (`\r\n` is one Swift `Character`, so words
    /// are split on any whitespace or newline character, not on `"\n"`).
    public static func parse(commentBody: String) -> CommandKind? {
        let first = commentBody.split(whereSeparator: { $0.isWhitespace || $0.isNewline }).first
        return first.flatMap { CommandKind(rawValue: $0.uppercased()) }
    }
}

/// Where a command came from; replies go back there.
public enum CommandChannel: Sendable, Equatable, Codable {
    /// A comment on the escalation issue or the rollback PR (`owner/name`, number).
    case chatOps(repository: String, issueNumber: Int)
    /// The REST API (`API_TOKEN` holder).
    case rest
}

/// A command with the authorization fact the shell established: whether the sender is in
/// `APPROVERS` / `APPROVER_TEAM` (ChatOps) or holds `API_TOKEN` (REST).
public struct CommandInput: Sendable, Equatable, Codable {
    public var kind: CommandKind
    public var sender: String
    public var isAuthorized: Bool
    public var channel: CommandChannel
    /// The ChatOps comment's id: the command is applied once per comment, however often it is
    /// delivered or read.
    public var commentID: Int?
    public init(kind: CommandKind, sender: String, isAuthorized: Bool, channel: CommandChannel, commentID: Int? = nil) {
        self.kind = kind
        self.sender = sender
        self.isAuthorized = isAuthorized
        self.channel = channel
        self.commentID = commentID
    }
}
