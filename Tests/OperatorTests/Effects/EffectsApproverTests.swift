// Who may approve a rollback PR: logins from APPROVERS and members of APPROVER_TEAM, with
// team answers cached and concurrent lookups sharing one GitHub call.
import Operator
import Testing

@Suite(.serialized) struct EffectsApproverTests {
    @Test func strangersAreNotAuthorizedApproversAndTeamMembersAre() async throws {
        let harness = try EffectsHarness(approverLogins: ["Senior-SRE", " "], team: "acme/sre")
        defer { harness.stop() }
        harness.gh.addTeamMember(org: "acme", team: "sre", user: "team-member")
        harness.gh.addTeamMember(org: "acme", team: "sre", user: "invited", state: "pending")
        #expect(await harness.approvers.isAuthorized("senior-sre"))
        #expect(await harness.approvers.isAuthorized("SENIOR-SRE"))
        #expect(await harness.approvers.isAuthorized("team-member"))
        #expect(!(await harness.approvers.isAuthorized("stranger")))
        #expect(!(await harness.approvers.isAuthorized("invited")))
        #expect(!(await harness.approvers.isAuthorized("")))
        let reads = harness.gh.requestLog.filter { $0.path.contains("/memberships/") }.count
        #expect(reads == 3)
        // A burst of lookups is served from the cache.
        await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<20 { group.addTask { await harness.approvers.isAuthorized("team-member") } }
            for _ in 0..<20 { group.addTask { await harness.approvers.isAuthorized("stranger") } }
        }
        #expect(harness.gh.requestLog.filter { $0.path.contains("/memberships/") }.count == reads)
    }

    @Test func concurrentFirstLookupsShareOneCallAndFailuresAreNotCached() async throws {
        let harness = try EffectsHarness(approverLogins: [], team: "acme/sre")
        defer { harness.stop() }
        harness.gh.addTeamMember(org: "acme", team: "sre", user: "alice")
        let answers = await withTaskGroup(of: Bool.self, returning: [Bool].self) { group in
            for _ in 0..<10 { group.addTask { await harness.approvers.isAuthorized("alice") } }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(answers == Array(repeating: true, count: 10))
        #expect(harness.gh.requestLog.filter { $0.path.contains("/memberships/alice") }.count == 1)

        harness.gh.addTeamMember(org: "acme", team: "sre", user: "bob")
        harness.gh.faults.inject(.status(403), path: "/orgs/acme/teams/sre/memberships/bob", count: 1)
        #expect(!(await harness.approvers.isAuthorized("bob")))
        #expect(await harness.approvers.isAuthorized("bob"))
    }
}
