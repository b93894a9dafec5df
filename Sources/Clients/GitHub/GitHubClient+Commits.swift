import Foundation

extension GitHubClient {
    /// `GET /repos/{o}/{r}/commits?sha=&path=&since=`: the newest `limit` commits, newest first,
    /// over as many pages as that takes (at most `maxListItems`).
    public func listCommits(
        repo: String, from sha: String? = nil, path: String? = nil, since: Date? = nil, limit: Int = 100
    ) async throws -> [Commit] {
        try await readList(
            "github.listCommits",
            path: Self.repoPath(repo).literal("/commits").query("sha", sha, as: .gitRef)
                .query("path", path, as: .filePath).query("since", since.map(ClientJSON.timestamp)),
            parameters: ["repo": repo, "sha": sha ?? "", "path": path ?? ""], noun: "commits", limit: limit)
    }

    /// The same read in its first spelling, when one page was all it read: `perPage` is the
    /// number of newest commits wanted.
    public func listCommits(
        repo: String, from sha: String? = nil, path: String? = nil, since: Date? = nil, perPage: Int
    ) async throws -> [Commit] {
        try await listCommits(repo: repo, from: sha, path: path, since: since, limit: perPage)
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
    /// must be its 40-character SHA), with every page of its `statuses`.
    public func combinedStatus(repo: String, ref: String) async throws -> CombinedStatus {
        let read = try await readPages(
            "github.getCombinedStatus",
            path: Self.repoPath(repo).literal("/commits").segment(ref, as: .sha).literal("/status"),
            parameters: ["repo": repo, "ref": ref],
            decodePage: { body in
                let page = try ClientJSON.decode(CombinedStatus.self, body)
                return ListPage(
                    items: page.statuses, wrapper: page, totalCount: page.totalCount, received: page.statuses.count)
            }, describe: { "\($0.wrapper.state) (\($0.items.count) of \($0.wrapper.totalCount))" })
        return CombinedStatus(
            state: read.wrapper.state, sha: read.wrapper.sha, totalCount: read.wrapper.totalCount,
            statuses: read.items)
    }

    /// `GET /repos/{o}/{r}/commits/{ref}/check-runs` (latest per name) of a commit (`ref` must be
    /// its 40-character SHA), every page of them.
    public func checkRuns(repo: String, ref: String) async throws -> CheckRunList {
        let read = try await readPages(
            "github.listCheckRuns",
            path: Self.repoPath(repo).literal("/commits").segment(ref, as: .sha).literal("/check-runs"),
            parameters: ["repo": repo, "ref": ref],
            decodePage: { body in
                let page = try ClientJSON.decode(CheckRunList.self, body)
                return ListPage(
                    items: page.checkRuns, wrapper: page.totalCount, totalCount: page.totalCount,
                    received: page.checkRuns.count)
            }, describe: { "\($0.items.count) of \($0.wrapper) check runs" })
        return CheckRunList(totalCount: read.wrapper, checkRuns: read.items)
    }
}
