extension GitHubClient {
    /// `GET /repos/{o}/{r}/git/ref/heads/{branch}`; its `sha` is the branch head. GitHub's route
    /// takes the rest of the path as the ref, so the branch's slashes stay separators.
    public func getBranch(repo: String, branch: String) async throws -> GitRef {
        let name = "github.getRef"
        return try await send(
            name, path: Self.repoPath(repo).literal("/git/ref/heads").segments(branch, as: .branch),
            parameters: ["repo": repo, "branch": branch], summarize: { $0.sha })
    }

    /// `POST /repos/{o}/{r}/git/refs`: a new `rollback/*` branch at `sha`. An existing branch
    /// answers `CONFLICT` (GitHub's 422 "Reference already exists").
    public func createBranch(repo: String, branch: String, sha: String) async throws -> GitRef {
        let name = "github.createRef"
        try requireWritable(branch, call: name)
        struct Body: Encodable {
            let ref: String
            let sha: String
        }
        return try await send(
            name, method: "POST", path: Self.repoPath(repo).literal("/git/refs"),
            body: ClientJSON.encode(Body(ref: "refs/heads/\(branch)", sha: sha)),
            parameters: ["repo": repo, "branch": branch, "sha": sha], summarize: { $0.ref })
    }
}
