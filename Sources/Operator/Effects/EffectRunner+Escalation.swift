import Clients
import Foundation
import Logging
import RollbackCore

extension EffectRunner {
    /// SPEC 11. One issue per attempt in `alertsRepo`; later escalations of the attempt are
    /// comments on it. The issue is found, in order, by the attempt's `escalationIssueURL`, then
    /// by an open issue labelled `escalation` whose body holds the correlation id (after a
    /// crash, before the URL was saved); only then created. Outside an attempt
    /// (`correlationId == nil`) there is one issue per episode: an open `escalation` issue
    /// with the same title. Only a later escalation (`asCommentOnExistingIssue`) comments,
    /// and never a body already posted, so re-running an escalation adds nothing.
    ///
    /// Then the Slack message (with the issue link once known) and, for `PERMISSION_DENIED`,
    /// a separate security issue (`security`, `ai-operator`, same idempotency) and Slack line.
    /// Returns `.escalationIssueOpened(url:)` when the attempt had no issue URL yet.
    func escalate(_ escalation: Escalation, app: MonitoredApp, machine: RollbackStateMachine) async -> [RollbackEvent] {
        let repo = settings.alertsRepo
        let attempt = machine.attempt.flatMap { $0.correlationId == escalation.correlationId ? $0 : nil }
        var issueURL: String?
        var events: [RollbackEvent] = []
        do {
            var existing: (number: Int, url: String?, body: String?)?
            if let url = attempt?.escalationIssueURL, let issueNumber = Self.number(fromURL: url) {
                existing = (issueNumber, url, nil)
            } else {
                let open = try await github.listIssues(repo: repo, labels: ["escalation"], state: "open")
                let match = open.first { issue in
                    if let id = escalation.correlationId { return (issue.body ?? "").contains(id) }
                    return issue.title == escalation.issueTitle
                }
                if let match { existing = (match.number, match.htmlUrl, match.body) }
            }
            if let found = existing {
                issueURL = found.url
                // The attempt's first escalation is the one that opened the issue: finding the
                // issue again means this is a re-run, with nothing to add.
                if escalation.asCommentOnExistingIssue && found.body != escalation.issueBody {
                    try await commentOnce(repo: repo, number: found.number, body: escalation.issueBody)
                }
            } else {
                let issue = try await github.createIssue(
                    repo: repo, title: escalation.issueTitle, body: escalation.issueBody, labels: escalation.labels)
                issueURL = issue.htmlUrl
                logger.warning(
                    "escalation issue opened",
                    metadata: [
                        "app": "\(app.name)", "code": "\(escalation.code.rawValue)", "issue": "\(issue.number)",
                    ])
            }
            if let url = issueURL, attempt != nil, attempt?.escalationIssueURL == nil {
                events.append(.escalationIssueOpened(url: url))
            }
        } catch {
            logFailure("escalate", error, app: app, level: .error, ["code": "\(escalation.code.rawValue)"])
        }

        var text = escalation.slack.text
        // An update of the issue (the PR link added) is not a new alert: no Slack message.
        if text.isEmpty { return events }
        if let url = issueURL, !text.contains(url) {
            let placeholder = "Issue: see the escalation issue in the alerts repository"
            text =
                text.contains(placeholder)
                ? text.replacingOccurrences(of: placeholder, with: "Issue: \(url)") : text + "\nIssue: \(url)"
        }
        await postSlack(text, app: app, what: "escalation")

        if escalation.securityAlert { await raiseSecurityAlert(escalation, app: app, escalationIssueURL: issueURL) }
        return events
    }

    /// The separate security alert of a `PERMISSION_DENIED` escalation.
    func raiseSecurityAlert(_ escalation: Escalation, app: MonitoredApp, escalationIssueURL: String?) async {
        let repo = settings.alertsRepo
        let title = "[SECURITY] AI Operator: permission denied for \(app.name)"
        let body = """
            ## AI Operator security alert

            Reason code: \(escalation.code.rawValue)

            - **Application:** \(app.name)
            - **Environment:** \(app.info.environment.rawValue)
            - **Correlation ID:** \(escalation.correlationId ?? "none (outside an attempt)")
            - **Escalation issue:** \(escalationIssueURL ?? "see the escalation issues")

            GitHub refused an operator call with PERMISSION_DENIED. Check the GitHub App's installation
            and permissions (contents and pull requests: write on the GitOps repository; issues: write
            on the alerts repository; members: read for the approver team).

            """
        var url: String?
        do {
            let open = try await github.listIssues(repo: repo, labels: ["security", "ai-operator"], state: "open")
            let match = open.first { issue in
                if let id = escalation.correlationId { return (issue.body ?? "").contains(id) }
                return issue.title == title
            }
            if let match {
                url = match.htmlUrl
            } else {
                url = try await github.createIssue(
                    repo: repo, title: title, body: body, labels: ["security", "ai-operator"]
                ).htmlUrl
            }
        } catch {
            logFailure("securityAlert", error, app: app, level: .error)
        }
        await postSlack(
            ":lock: AI Operator security alert for *\(app.name)* (\(app.info.environment.rawValue)): GitHub answered PERMISSION_DENIED. "
                + "Correlation ID: \(escalation.correlationId ?? "none")" + (url.map { "\nIssue: \($0)" } ?? ""),
            app: app, what: "security alert")
    }

    /// Closes the open episode issue of `code` for this app (found by title) with a comment.
    func closeEpisodeIssue(_ code: ReasonCode, comment: String, app: MonitoredApp) async {
        let repo = settings.alertsRepo
        let title = EscalationRenderer.title(app: app.name, code: code)
        do {
            let open = try await github.listIssues(repo: repo, labels: ["escalation"], state: "open")
            for issue in open where issue.title == title {
                try await commentOnce(repo: repo, number: issue.number, body: comment)
                _ = try await github.closeIssue(repo: repo, number: issue.number)
                logger.info(
                    "episode issue closed",
                    metadata: ["app": "\(app.name)", "code": "\(code.rawValue)", "issue": "\(issue.number)"])
            }
        } catch {
            logFailure("closeEpisodeIssue", error, app: app, ["code": "\(code.rawValue)"])
        }
    }

    /// The operator's PR closed with a comment (skipped if already posted), unless it is
    /// closed already (merged or not): then nothing is posted.
    func closePullRequest(number: Int, comment: String, app: MonitoredApp) async {
        let repo = app.info.manifestRepository
        do {
            let pr = try await github.getPullRequest(repo: repo, number: number)
            guard pr.state == "open" else { return }
            try await commentOnce(repo: repo, number: number, body: comment)
            _ = try await github.closePullRequest(repo: repo, number: number)
            logger.info("rollback PR closed", metadata: ["app": "\(app.name)", "pr": "\(number)"])
        } catch {
            logFailure("closePullRequest", error, app: app, ["pr": "\(number)"])
        }
    }

    /// A ChatOps reply comment (the REST channel is answered by the engine).
    func reply(_ commandReply: CommandReply, app: MonitoredApp) async {
        guard case .chatOps(let repo, let number) = commandReply.channel else { return }
        do {
            _ = try await github.createComment(repo: repo, number: number, body: commandReply.text)
        } catch {
            logFailure("reply", error, app: app, ["issue": "\(number)"])
        }
    }

    /// Posts `body` on an issue or PR unless the same text is already there (by the operator,
    /// when its login is known).
    func commentOnce(repo: String, number: Int, body: String) async throws {
        let comments = try await github.listComments(repo: repo, number: number)
        let mine = settings.operatorLogin?.lowercased()
        if comments.contains(where: { $0.body == body && (mine == nil || $0.user?.login.lowercased() == mine) }) {
            return
        }
        _ = try await github.createComment(repo: repo, number: number, body: body)
    }

    /// A Slack message, if Slack is configured; a failure is logged only.
    func postSlack(_ text: String, app: MonitoredApp, what: String) async {
        guard let slack else { return }
        do {
            try await slack.post(json: Array(SlackMessage(text: text).json.utf8))
        } catch {
            logFailure("slack \(what)", error, app: app)
        }
    }
}
