import Clients
import Foundation
import RollbackCore

// ChatOps by polling (SPEC 2, 10; issue 14): a command whose webhook was lost is still applied.
// While an attempt has an open PR or an escalation issue, the comments on both are read on each
// CI and review poll; the core applies each command once per comment id, whether it came by
// webhook, by poll, or both.
extension EffectRunner {
    /// The commands in comments on the attempt's PR and escalation issue that neither the core
    /// nor an earlier poll has seen, oldest first, with the sender's authorization established.
    func fetchCommands(app: MonitoredApp, machine: RollbackStateMachine) async -> [RollbackEvent] {
        guard let attempt = machine.attempt else { return [] }
        var places: [(repository: String, number: Int)] = []
        if let pr = attempt.pullRequest, attempt.merge == nil {
            places.append((app.info.manifestRepository, pr.number))
        }
        if let url = attempt.escalationIssueURL, let number = Self.number(fromURL: url) {
            places.append((settings.alertsRepo, number))
        }
        let applied = Set(attempt.appliedCommentIDs ?? [])
        var events: [RollbackEvent] = []
        for place in places {
            let comments: [IssueComment]
            do {
                comments = try await github.listComments(
                    repo: place.repository, number: place.number, since: attempt.createdAt)
            } catch {
                logFailure("fetchCommands", error, app: app, ["issue": "\(place.number)"])
                continue
            }
            for comment in comments {
                guard !applied.contains(comment.id), !reportedComments.withLock({ $0.contains(comment.id) }),
                    let login = comment.user?.login, !Self.isBot(login, operatorLogin: settings.operatorLogin),
                    let kind = CommandKind.parse(commentBody: comment.body)
                else { continue }
                let authorized = await approvers.isAuthorized(login)
                events.append(
                    .command(
                        CommandInput(
                            kind: kind, sender: login, isAuthorized: authorized,
                            channel: .chatOps(repository: place.repository, issueNumber: place.number),
                            commentID: comment.id)))
                reportedComments.withLock { reported in
                    if reported.count > 10_000 { reported.removeAll() }
                    reported.insert(comment.id)
                }
            }
        }
        return events
    }

    /// Bots (and the operator itself) never send commands: their comments are replies.
    static func isBot(_ login: String, operatorLogin: String?) -> Bool {
        login.hasSuffix("[bot]") || login.lowercased() == operatorLogin?.lowercased()
    }
}
