import Clients
import Foundation
import RollbackCore

// The PR is read, not assumed (SPEC 2, issue 14): every CI poll, review poll and resume reads the
// rollback PR first, so a human closing or merging it, or a push onto its branch, is seen even
// when the `pull_request` webhook was lost.
extension EffectRunner {
    /// What changed about the attempt's PR since the machine last saw it: closed (merged or not)
    /// or a new head. Empty when nothing changed or the PR could not be read (the next poll asks
    /// again).
    func pullRequestChanges(prNumber: Int, app: MonitoredApp, machine: RollbackStateMachine) async
        -> [RollbackEvent]
    {
        guard let known = machine.attempt?.pullRequest, known.number == prNumber else { return [] }
        let pr: PullRequest
        do { pr = try await github.getPullRequest(repo: app.info.manifestRepository, number: prNumber) } catch {
            logFailure("readPullRequest", error, app: app, ["pr": "\(prNumber)"])
            return Self.hardFailure(error).map { [$0] } ?? []
        }
        if pr.isMerged {
            return [
                .pullRequestClosed(
                    PullRequestClosure(number: prNumber, merged: true, closedBy: pr.mergedBy?.login ?? "someone"))
            ]
        }
        if pr.state == "closed" {
            return [.pullRequestClosed(PullRequestClosure(number: prNumber, merged: false, closedBy: "someone"))]
        }
        if pr.head.sha != known.headSHA {
            return [.pullRequestHeadChanged(number: prNumber, headSHA: pr.head.sha, pushedBy: nil)]
        }
        return []
    }
}
