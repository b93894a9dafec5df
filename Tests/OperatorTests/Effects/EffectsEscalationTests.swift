import Clients
import Foundation
import Operator
import Simulator
import Testing

@testable import RollbackCore

@Suite(.serialized) struct EffectsEscalationTests {
    /// A machine with an open attempt (three degraded checks), without running its effects.
    static func attemptMachine(_ h: EffectsHarness) -> RollbackStateMachine {
        var m = h.newMachine()
        for _ in 0..<3 { _ = m.handle(.healthChecked(h.degradedCheck), now: Date(), context: StepContext()) }
        return m
    }

    static func escalation(
        _ h: EffectsHarness, _ m: RollbackStateMachine, code: ReasonCode, detail: String,
        asComment: Bool
    ) -> Escalation {
        let ctx = EscalationRenderer.Context(
            app: h.app.info, code: code, detail: detail, state: m.state, attempt: m.attempt,
            lastCheck: m.attempt?.lastCheck)
        return Escalation(
            code: code, correlationId: m.attempt?.correlationId, asCommentOnExistingIssue: asComment,
            issueTitle: EscalationRenderer.title(app: h.app.name, code: code), issueBody: EscalationRenderer.body(ctx),
            labels: EscalationRenderer.labels(environment: h.app.info.environment),
            slack: SlackRenderer.escalation(
                app: h.app.info, code: code, correlationId: m.attempt?.correlationId,
                issueURL: m.attempt?.escalationIssueURL, prURL: nil, detail: detail),
            securityAlert: code == .permissionDenied)
    }

    @Test func twoEscalationsOfOneAttemptMakeOneIssueAndOneComment() async throws {
        let h = try EffectsHarness()
        defer { h.stop() }
        var m = Self.attemptMachine(h)
        let id = try #require(m.attempt?.correlationId)
        let first = Self.escalation(h, m, code: .ciFailure, detail: "CI of the PR head failed", asComment: false)
        let events = await h.runner.perform(.escalate(first), app: h.app, machine: m)
        guard case .escalationIssueOpened(let url)? = events.first else {
            Issue.record("expected the issue URL, got \(events)")
            return
        }
        _ = m.handle(events[0], now: Date(), context: StepContext())
        #expect(m.attempt?.escalationIssueURL == url)

        // The same escalation run again (a crash before it was recorded): nothing new.
        _ = await h.runner.perform(.escalate(first), app: h.app, machine: Self.attemptMachine(h))
        let second = Self.escalation(h, m, code: .recoveryTimeout, detail: "still degraded", asComment: true)
        #expect(await h.runner.perform(.escalate(second), app: h.app, machine: m).isEmpty)

        let issues = h.gh.issues(repo: EffectsHarness.alertsRepo)
        #expect(issues.count == 1)
        let issue = try #require(issues.first)
        #expect(issue.title == "[URGENT] AI Operator Escalation: checkout - \(ReasonCode.ciFailure.words)")
        #expect(Set(issue.labels) == ["ai-operator", "escalation", "urgent", "staging"])
        #expect(issue.body?.contains(id) == true && issue.body?.contains("Reason code: CI_FAILURE") == true)
        let comments = h.gh.comments(repo: EffectsHarness.alertsRepo, issue: issue.number)
        #expect(comments.count == 1)
        #expect(comments.first?.body.contains("Reason code: RECOVERY_TIMEOUT") == true)
        // Slack: one message per escalation run, with the issue link.
        let slack = h.sims.slack.messages.compactMap(\.text)
        #expect(slack.count == 3)
        #expect(slack.allSatisfy { $0.contains(url) })
    }

    @Test func aLaterEscalationBeforeTheURLWasSavedStillComments() async throws {
        let h = try EffectsHarness(slack: false)
        defer { h.stop() }
        let m = Self.attemptMachine(h)
        _ = await h.runner.perform(
            .escalate(Self.escalation(h, m, code: .ciTimeout, detail: "slow", asComment: false)),
            app: h.app, machine: m)
        // The URL never reached the machine (crash): the issue is found by the correlation id.
        let events = await h.runner.perform(
            .escalate(Self.escalation(h, m, code: .approvalTimeout, detail: "nobody", asComment: true)),
            app: h.app, machine: m)
        guard case .escalationIssueOpened? = events.first else {
            Issue.record("expected the URL again, got \(events)")
            return
        }
        let issues = h.gh.issues(repo: EffectsHarness.alertsRepo)
        #expect(issues.count == 1)
        #expect(h.gh.comments(repo: EffectsHarness.alertsRepo, issue: issues[0].number).count == 1)
    }

    @Test func permissionDeniedAlsoRaisesOneSecurityAlert() async throws {
        let h = try EffectsHarness()
        defer { h.stop() }
        let m = Self.attemptMachine(h)
        let e = Self.escalation(h, m, code: .permissionDenied, detail: "403 on createRef", asComment: false)
        _ = await h.runner.perform(.escalate(e), app: h.app, machine: m)
        _ = await h.runner.perform(.escalate(e), app: h.app, machine: m)
        let issues = h.gh.issues(repo: EffectsHarness.alertsRepo)
        #expect(issues.count == 2)
        let security = issues.filter { $0.labels.contains("security") }
        #expect(security.count == 1)
        #expect(Set(security.first?.labels ?? []) == ["security", "ai-operator"])
        #expect(h.sims.slack.messages.compactMap(\.text).filter { $0.contains("security alert") }.count == 2)
    }

    @Test func episodeOutsideAnAttemptIsOneIssueClosedAtTheEnd() async throws {
        let h = try EffectsHarness()
        defer { h.stop() }
        let m = h.newMachine()
        let e = Self.escalation(h, m, code: .healthUnknown, detail: "Argo CD reports Unknown", asComment: false)
        #expect(e.correlationId == nil)
        #expect(await h.runner.perform(.escalate(e), app: h.app, machine: m).isEmpty)
        _ = await h.runner.perform(.escalate(e), app: h.app, machine: m)
        #expect(h.gh.issues(repo: EffectsHarness.alertsRepo).count == 1)
        _ = await h.runner.perform(
            .closeEpisodeIssue(.healthUnknown, comment: "Gone for 60 s; closing."), app: h.app, machine: m)
        let issue = try #require(h.gh.issues(repo: EffectsHarness.alertsRepo).first)
        #expect(issue.state == "closed")
        #expect(
            h.gh.comments(repo: EffectsHarness.alertsRepo, issue: issue.number).map(\.body) == [
                "Gone for 60 s; closing."
            ])
        // A new episode opens a new issue.
        _ = await h.runner.perform(.escalate(e), app: h.app, machine: m)
        #expect(h.gh.issues(repo: EffectsHarness.alertsRepo).count == 2)
    }

    @Test func notifyAndChatOpsReply() async throws {
        let h = try EffectsHarness()
        defer { h.stop() }
        let n = h.gh.createIssue(repo: EffectsHarness.alertsRepo, title: "escalation", user: "ai-operator[bot]")
        _ = await h.runner.perform(
            .notify(SlackMessage(text: "checkout (production) is degraded")), app: h.app, machine: h.newMachine())
        _ = await h.runner.perform(
            .reply(
                CommandReply(
                    channel: .chatOps(repository: EffectsHarness.alertsRepo, issueNumber: n),
                    applied: true, text: "ABORT applied.")), app: h.app, machine: h.newMachine())
        _ = await h.runner.perform(
            .reply(CommandReply(channel: .rest, applied: true, text: "not a comment")), app: h.app,
            machine: h.newMachine())
        #expect(h.sims.slack.messages.compactMap(\.text) == ["checkout (production) is degraded"])
        #expect(h.gh.comments(repo: EffectsHarness.alertsRepo, issue: n).map(\.body) == ["ABORT applied."])
    }
}

@Suite(.serialized) struct EffectsApproverTests {
    @Test func strangersAreNotAuthorizedApproversAndTeamMembersAre() async throws {
        let h = try EffectsHarness(approverLogins: ["Senior-SRE", " "], team: "acme/sre")
        defer { h.stop() }
        h.gh.addTeamMember(org: "acme", team: "sre", user: "team-member")
        h.gh.addTeamMember(org: "acme", team: "sre", user: "invited", state: "pending")
        #expect(await h.approvers.isAuthorized("senior-sre"))
        #expect(await h.approvers.isAuthorized("SENIOR-SRE"))
        #expect(await h.approvers.isAuthorized("team-member"))
        #expect(!(await h.approvers.isAuthorized("stranger")))
        #expect(!(await h.approvers.isAuthorized("invited")))
        #expect(!(await h.approvers.isAuthorized("")))
        let reads = h.gh.requestLog.filter { $0.path.contains("/memberships/") }.count
        #expect(reads == 3)
        // A burst of lookups is served from the cache.
        await withTaskGroup(of: Bool.self) { g in
            for _ in 0..<20 { g.addTask { await h.approvers.isAuthorized("team-member") } }
            for _ in 0..<20 { g.addTask { await h.approvers.isAuthorized("stranger") } }
        }
        #expect(h.gh.requestLog.filter { $0.path.contains("/memberships/") }.count == reads)
    }

    @Test func concurrentFirstLookupsShareOneCallAndFailuresAreNotCached() async throws {
        let h = try EffectsHarness(approverLogins: [], team: "acme/sre")
        defer { h.stop() }
        h.gh.addTeamMember(org: "acme", team: "sre", user: "alice")
        let answers = await withTaskGroup(of: Bool.self, returning: [Bool].self) { g in
            for _ in 0..<10 { g.addTask { await h.approvers.isAuthorized("alice") } }
            return await g.reduce(into: []) { $0.append($1) }
        }
        #expect(answers == Array(repeating: true, count: 10))
        #expect(h.gh.requestLog.filter { $0.path.contains("/memberships/alice") }.count == 1)

        h.gh.addTeamMember(org: "acme", team: "sre", user: "bob")
        h.gh.faults.inject(.status(403), path: "/orgs/acme/teams/sre/memberships/bob", count: 1)
        #expect(!(await h.approvers.isAuthorized("bob")))
        #expect(await h.approvers.isAuthorized("bob"))
    }
}
