/// The Slack message of SPEC 11: app, env, reason, id, issue link and the commands.
public enum SlackRenderer {
    public static func escalation(
        app: ApplicationInfo, code: ReasonCode, correlationId: String?, issueURL: String?,
        prURL: String?, detail: String
    ) -> SlackMessage {
        var text =
            ":rotating_light: AI Operator escalation for *\(app.name)* (\(app.environment.rawValue)): \(code.words) [\(code.rawValue)]"
        text += "\n\(detail)"
        text += "\nCorrelation ID: \(correlationId ?? "none")"
        if let prURL { text += "\nRollback PR: \(prURL)" }
        text += "\nIssue: \(issueURL ?? "see the escalation issue in the alerts repository")"
        text += "\nCommands: APPROVE, ABORT, MANUAL, RESET (first word of a comment on the issue or PR)"
        return message(text)
    }

    /// A plain alert (production degradation confirmed).
    public static func alert(_ text: String) -> SlackMessage { message(text) }

    static func message(_ text: String) -> SlackMessage {
        SlackMessage(text: text)
    }
}
