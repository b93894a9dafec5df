import Foundation

extension GitHubClient {
    /// `POST /repos/{o}/{r}/pulls`. A PR that already exists for head/base answers `CONFLICT`.
    public func createPullRequest(
        repo: String, title: String, head: String, base: String, body: String,
        draft: Bool = false
    ) async throws -> PullRequest {
        let name = "github.createPullRequest"
        struct Body: Encodable {
            let title: String
            let head: String
            let base: String
            let body: String
            let draft: Bool
        }
        return try await send(
            name, method: "POST", path: Self.repoPath(repo).literal("/pulls"),
            body: ClientJSON.encode(Body(title: title, head: head, base: base, body: body, draft: draft)),
            parameters: ["repo": repo, "head": head, "base": base, "title": title],
            summarize: { "#\($0.number)" })
    }

    /// `GET /repos/{o}/{r}/pulls/{n}` (conditional: a 304 returns the cached PR).
    public func getPullRequest(repo: String, number: Int) async throws -> PullRequest {
        let name = "github.getPullRequest"
        return try await send(
            name, path: Self.repoPath(repo).literal("/pulls").number(number),
            parameters: ["repo": repo, "number": String(number)],
            summarize: {
                "#\($0.number) \($0.state) mergeable=\($0.mergeable.map(String.init) ?? "null") \($0.mergeableState ?? "")"
            })
    }

    /// `GET /repos/{o}/{r}/pulls?state=&head=owner:branch&base=`, every page, then filtered to
    /// PRs that carry every label in `labels` (the API has no label filter for pulls).
    public func listPullRequests(
        repo: String, state: String = "open", head: String? = nil, base: String? = nil,
        labels: [String] = []
    ) async throws -> [PullRequest] {
        let name = "github.listPullRequests"
        var path = Self.repoPath(repo).literal("/pulls").query("state", state)
        if let head {
            // GitHub's filter is `owner:branch`; a bare branch is in the repository's owner.
            let parts = head.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            let owner = parts.count == 2 ? String(parts[0]) : String(repo.prefix { $0 != "/" })
            path = path.headFilter(owner: owner, branch: String(parts.last ?? ""))
        }
        let all: [PullRequest] = try await readList(
            name, path: path.query("base", base, as: .branch),
            parameters: [
                "repo": repo, "state": state, "head": head ?? "", "base": base ?? "",
                "labels": labels.joined(separator: ","),
            ], noun: "pull requests")
        return all.filter { pr in labels.allSatisfy(pr.labelNames.contains) }
    }

    /// `GET /repos/{o}/{r}/pulls/{n}/reviews` (chronological), every page.
    public func listReviews(repo: String, number: Int) async throws -> [Review] {
        try await readList(
            "github.listReviews", path: Self.repoPath(repo).literal("/pulls").number(number).literal("/reviews"),
            parameters: ["repo": repo, "number": String(number)], noun: "reviews")
    }

    /// `PUT /repos/{o}/{r}/pulls/{n}/merge` as a squash with the head-SHA guard. 405 ⇒
    /// `NOT_MERGEABLE` (or `CI_PENDING` when GitHub names a pending required check), 409 ⇒
    /// `BASE_SHA_MISMATCH` (the head moved). A PR that turns out to be merged already is a
    /// success: `.alreadyMerged`.
    public func mergePullRequest(
        repo: String, number: Int, headSha: String, commitTitle: String? = nil,
        commitMessage: String? = nil
    ) async throws -> MergeOutcome {
        let name = "github.mergePullRequest"
        struct Body: Encodable {
            let sha: String
            let mergeMethod: String
            let commitTitle: String?
            let commitMessage: String?
            enum CodingKeys: String, CodingKey {
                case sha
                case mergeMethod = "merge_method"
                case commitTitle = "commit_title"
                case commitMessage = "commit_message"
            }
        }
        struct Wire: Decodable {
            let sha: String?
            let merged: Bool?
        }
        let path = Self.repoPath(repo).literal("/pulls").number(number).literal("/merge")
        return try await sendRaw(
            name, method: "PUT", path: path,
            body: ClientJSON.encode(
                Body(sha: headSha, mergeMethod: "squash", commitTitle: commitTitle, commitMessage: commitMessage)),
            parameters: ["repo": repo, "number": String(number), "sha": headSha, "method": "squash"],
            classify: { response in
                guard var classified = Self.classify(response) else { return nil }
                let text = classified.message.lowercased()
                switch response.status {
                case 405:
                    if text.contains("already merged") {
                        classified.code = .alreadyMerged
                    } else if text.contains("status check")
                        && (text.contains("expected") || text.contains("pending") || text.contains("in progress"))
                    {
                        classified.code = .ciPending
                    } else {
                        classified.code = .notMergeable
                    }
                case 409: classified.code = .baseShaMismatch
                default: break
                }
                return classified
            },
            decode: { response in
                let wire = try ClientJSON.decode(Wire.self, response.body)
                return .merged(sha: wire.sha ?? "")
            },
            summarize: { outcome in
                if case .merged(let sha) = outcome { return "merged \(sha)" }
                return "already merged"
            },
            recover: { [self] failure in
                guard failure.code == .notMergeable || failure.code == .alreadyMerged else { return nil }
                // Re-read: a PR merged earlier (by us before a crash, or by a human) is a success.
                guard let pr = try? await getPullRequest(repo: repo, number: number), pr.isMerged else { return nil }
                return (.alreadyMerged(sha: pr.mergeCommitSha), "ALREADY_MERGED (\(pr.mergeCommitSha ?? "?"))")
            })
    }

    /// `PATCH /repos/{o}/{r}/pulls/{n}` with `{"state":"closed"}`.
    public func closePullRequest(repo: String, number: Int) async throws -> PullRequest {
        let name = "github.closePullRequest"
        return try await send(
            name, method: "PATCH", path: Self.repoPath(repo).literal("/pulls").number(number),
            body: Array(#"{"state":"closed"}"#.utf8),
            parameters: ["repo": repo, "number": String(number)], summarize: { "#\($0.number) \($0.state)" })
    }
}
