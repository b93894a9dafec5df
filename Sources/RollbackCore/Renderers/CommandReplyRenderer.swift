/// The reply comment to a ChatOps (or REST) command (SPEC 10).
public enum CommandReplyRenderer {
    public static func applied(_ kind: CommandKind, sender: String, app: String, detail: String) -> String {
        "@\(sender) `\(kind.rawValue)` accepted for \(app): \(detail)"
    }

    public static func notApplied(_ kind: CommandKind, sender: String, app: String, state: RollbackState, why: String)
        -> String
    {
        "@\(sender) `\(kind.rawValue)` was not applied to \(app) (state \(state.rawValue)): \(why)"
    }
}
