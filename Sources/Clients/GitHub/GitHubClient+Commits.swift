import Foundation

extension GitHubClient {
    /// `GET /repos/{o}/{r}/commits?sha=&path=&since=&per_page=`: newest first.
    public func listCommits(
        repo: String, from sha: String? = nil, path: String? = nil, since: Date? = nil,
        perPage: Int = 50
    ) async throws -> [Commit] {
        let name = "github.listCommits"
        return try await send(
            name,
            path: Self.repoPath(repo).literal("/commits").query("sha", sha, as: .gitRef)
                .query("path", path, as: .filePath).query("since", since.map(ClientJSON.timestamp))
                .query("per_page", String(min(max(perPage, 1), 100))),
            parameters: ["repo": repo, "sha": sha ?? "", "path": path ?? ""],
            summarize: { "\($0.count) commits" })
    }

    /// `GET /repos/{o}/{r}/compare/{base}...{head}` (each a SHA or a branch name). A strict ancestor C of R: `compare(base: R, head: C).status == "behind"`.
    public func compare(repo: String, base: String, head: String) async throws -> Comparison {
        let name = "github.compareCommits"
        return try await send(
            name,
            path: Self.repoPath(repo).literal("/compare").range(base: base, head: head),
            parameters: ["repo": repo, "base": base, "head": head], summarize: { $0.status })
    }

    /// `GET /repos/{o}/{r}/commits/{ref}/status`: the combined legacy status of a commit (`ref`
    /// must be its 40-character SHA).
    public func combinedStatus(repo: String, ref: String) async throws -> CombinedStatus {
        let name = "github.getCombinedStatus"
        return try await send(
            name,
            path: Self.repoPath(repo).literal("/commits").segment(ref, as: .sha).literal("/status")
                .query("per_page", "100"),
            parameters: ["repo": repo, "ref": ref], summarize: { "\($0.state) (\($0.totalCount))" })
    }

    /// `GET /repos/{o}/{r}/commits/{ref}/check-runs` (latest per name) of a commit (`ref` must be
    /// its 40-character SHA).
    public func checkRuns(repo: String, ref: String) async throws -> CheckRunList {
        let name = "github.listCheckRuns"
        return try await send(
            name,
            path: Self.repoPath(repo).literal("/commits").segment(ref, as: .sha).literal("/check-runs")
                .query("per_page", "100"),
            parameters: ["repo": repo, "ref": ref], summarize: { "\($0.totalCount) check runs" })
    }
}
