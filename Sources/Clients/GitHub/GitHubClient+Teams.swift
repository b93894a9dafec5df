extension GitHubClient {
    /// `GET /orgs/{org}/teams/{team}/memberships/{user}`: true only for `state == "active"`;
    /// 404 (not a member) is a normal answer, false.
    public func isActiveTeamMember(org: String, team: String, user: String) async throws -> Bool {
        let name = "github.getTeamMembership"
        let path = URLPath("/orgs").segment(org, as: .owner).literal("/teams").segment(team, as: .teamSlug)
            .literal("/memberships").segment(user, as: .login)
        return try await sendRaw(
            name, path: path, parameters: ["org": org, "team": team, "user": user],
            decode: { try ClientJSON.decode(TeamMembership.self, $0.body).isActive },
            summarize: { $0 ? "active member" : "not active" },
            recover: { f in f.code == .notFound ? (false, "not a member") : nil })
    }
}
