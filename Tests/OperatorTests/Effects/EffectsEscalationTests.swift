import Clients
import Foundation
import Operator
import Simulator
import Testing

@testable import RollbackCore

@Suite(.serialized) struct EffectsEscalationTests {
    /// A machine with an open attempt (three degraded checks), without running its effects.
    static func attemptMachine(_ harness: EffectsHarness) -> RollbackStateMachine {
        var machine = harness.newMachine()
        let configuration = EffectsHarness.configuration
        for check in 0..<3 {
            // Checks count toward persistence only when a poll interval apart.
            _ = machine.handle(
                .healthChecked(harness.degradedCheck),
                now: Date().addingTimeInterval(Double(check) * configuration.pollInterval),
                context: StepContext(configuration: configuration))
        }
        return machine
    }

    static func escalation(
        _ harness: EffectsHarness, _ machine: RollbackStateMachine, code: ReasonCode, detail: String,
        asComment: Bool
    ) -> Escalation {
        let renderContext = EscalationRenderer.Context(
            app: harness.app.info, code: code, detail: detail, state: machine.state, attempt: machine.attempt,
            lastCheck: machine.attempt?.lastCheck)
        return Escalation(
            code: code, correlationId: machine.attempt?.correlationId, asCommentOnExistingIssue: asComment,
            issueTitle: EscalationRenderer.title(app: harness.app.name, code: code),
            issueBody: EscalationRenderer.body(renderContext),
            labels: EscalationRenderer.labels(environment: harness.app.info.environment),
            slack: SlackRenderer.escalation(
                app: harness.app.info, code: code, correlationId: machine.attempt?.correlationId,
                issueURL: machine.attempt?.escalationIssueURL, prURL: nil, detail: detail),
            securityAlert: code == .permissionDenied)
    }

    @Test func twoEscalationsOfOneAttemptMakeOneIssueAndOneComment() async throws {
        let harness = try EffectsHarness()
        defer { harness.stop() }
        var machine = Self.attemptMachine(harness)
        let id = try #require(machine.attempt?.correlationId)
        let first = Self.escalation(
            harness, machine, code: .ciFailure, detail: "CI of the PR head failed", asComment: false)
        let events = await harness.runner.perform(.escalate(first), app: harness.app, machine: machine)
        guard case .escalationIssueOpened(let url)? = events.first else {
            Issue.record("expected the issue URL, got \(events)")
            return
        }
        _ = machine.handle(events[0], now: Date(), context: StepContext(configuration: EffectsHarness.configuration))
        #expect(machine.attempt?.escalationIssueURL == url)

        // The same escalation run again (a crash before it was recorded): nothing new.
        _ = await harness.runner.perform(.escalate(first), app: harness.app, machine: Self.attemptMachine(harness))
        let second = Self.escalation(
            harness, machine, code: .recoveryTimeout, detail: "still degraded", asComment: true)
        #expect(await harness.runner.perform(.escalate(second), app: harness.app, machine: machine).isEmpty)

        let issues = harness.gh.issues(repo: EffectsHarness.alertsRepo)
        #expect(issues.count == 1)
        let issue = try #require(issues.first)
        #expect(issue.title == "[URGENT] AI Operator Escalation: checkout - \(ReasonCode.ciFailure.words)")
        #expect(Set(issue.labels) == ["ai-operator", "escalation", "urgent", "staging"])
        #expect(issue.body?.contains(id) == true && issue.body?.contains("Reason code: CI_FAILURE") == true)
        let comments = harness.gh.comments(repo: EffectsHarness.alertsRepo, issue: issue.number)
        #expect(comments.count == 1)
        #expect(comments.first?.body.contains("Reason code: RECOVERY_TIMEOUT") == true)
        // Slack: one message per escalation run, with the issue link.
        let slack = harness.sims.slack.messages.compactMap(\.text)
        #expect(slack.count == 3)
        #expect(slack.allSatisfy { $0.contains(url) })
    }

    @Test func aLaterEscalationBeforeTheURLWasSavedStillComments() async throws {
        let harness = try EffectsHarness(slack: false)
        defer { harness.stop() }
        let machine = Self.attemptMachine(harness)
        _ = await harness.runner.perform(
            .escalate(Self.escalation(harness, machine, code: .ciTimeout, detail: "slow", asComment: false)),
            app: harness.app, machine: machine)
        // The URL never reached the machine (crash): the issue is found by the correlation id.
        let events = await harness.runner.perform(
            .escalate(Self.escalation(harness, machine, code: .approvalTimeout, detail: "nobody", asComment: true)),
            app: harness.app, machine: machine)
        guard case .escalationIssueOpened? = events.first else {
            Issue.record("expected the URL again, got \(events)")
            return
        }
        let issues = harness.gh.issues(repo: EffectsHarness.alertsRepo)
        #expect(issues.count == 1)
        #expect(harness.gh.comments(repo: EffectsHarness.alertsRepo, issue: issues[0].number).count == 1)
    }

    @Test func permissionDeniedAlsoRaisesOneSecurityAlert() async throws {
        let harness = try EffectsHarness()
        defer { harness.stop() }
        let machine = Self.attemptMachine(harness)
        let escalation = Self.escalation(
            harness, machine, code: .permissionDenied, detail: "403 on createRef", asComment: false)
        _ = await harness.runner.perform(.escalate(escalation), app: harness.app, machine: machine)
        _ = await harness.runner.perform(.escalate(escalation), app: harness.app, machine: machine)
        let issues = harness.gh.issues(repo: EffectsHarness.alertsRepo)
        #expect(issues.count == 2)
        let security = issues.filter { $0.labels.contains("security") }
        #expect(security.count == 1)
        #expect(Set(security.first?.labels ?? []) == ["security", "ai-operator"])
        #expect(harness.sims.slack.messages.compactMap(\.text).filter { $0.contains("security alert") }.count == 2)
    }

    @Test func episodeOutsideAnAttemptIsOneIssueClosedAtTheEnd() async throws {
        let harness = try EffectsHarness()
        defer { harness.stop() }
        let machine = harness.newMachine()
        let escalation = Self.escalation(
            harness, machine, code: .healthUnknown, detail: "Argo CD reports Unknown", asComment: false)
        #expect(escalation.correlationId == nil)
        #expect(await harness.runner.perform(.escalate(escalation), app: harness.app, machine: machine).isEmpty)
        _ = await harness.runner.perform(.escalate(escalation), app: harness.app, machine: machine)
        #expect(harness.gh.issues(repo: EffectsHarness.alertsRepo).count == 1)
        _ = await harness.runner.perform(
            .closeEpisodeIssue(.healthUnknown, comment: "Gone for 60 s; closing."), app: harness.app, machine: machine)
        let issue = try #require(harness.gh.issues(repo: EffectsHarness.alertsRepo).first)
        #expect(issue.state == "closed")
        #expect(
            harness.gh.comments(repo: EffectsHarness.alertsRepo, issue: issue.number).map(\.body) == [
                "Gone for 60 s; closing."
            ])
        // A new episode opens a new issue.
        _ = await harness.runner.perform(.escalate(escalation), app: harness.app, machine: machine)
        #expect(harness.gh.issues(repo: EffectsHarness.alertsRepo).count == 2)
    }

    @Test func notifyAndChatOpsReply() async throws {
        let harness = try EffectsHarness()
        defer { harness.stop() }
        let issueNumber = harness.gh.createIssue(
            repo: EffectsHarness.alertsRepo, title: "escalation", user: "ai-operator[bot]")
        _ = await harness.runner.perform(
            .notify(SlackMessage(text: "checkout (production) is degraded")), app: harness.app,
            machine: harness.newMachine())
        _ = await harness.runner.perform(
            .reply(
                CommandReply(
                    channel: .chatOps(repository: EffectsHarness.alertsRepo, issueNumber: issueNumber),
                    applied: true, text: "ABORT applied.")), app: harness.app, machine: harness.newMachine())
        _ = await harness.runner.perform(
            .reply(CommandReply(channel: .rest, applied: true, text: "not a comment")), app: harness.app,
            machine: harness.newMachine())
        #expect(harness.sims.slack.messages.compactMap(\.text) == ["checkout (production) is degraded"])
        #expect(
            harness.gh.comments(repo: EffectsHarness.alertsRepo, issue: issueNumber).map(\.body) == ["ABORT applied."])
    }
}
