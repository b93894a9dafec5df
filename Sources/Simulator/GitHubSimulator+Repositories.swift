import Foundation

/// Scripting repositories, commits and branches (and branch protection), and reading them back
/// for assertions.
extension GitHubSimulator {
    /// Creates a repository with one initial commit on `defaultBranch` holding `files`. Returns its SHA.
    @discardableResult
    public func createRepository(
        _ fullName: String, defaultBranch: String = "main", files: [String: String] = ["README.md": "# repository\n"],
        message: String = "Initial commit", author: String = "octocat",
        date: Date? = nil
    ) -> String {
        withState {
            let parts = fullName.split(separator: "/")
            precondition(parts.count == 2, "repository names are owner/name")
            var repo = Repo(id: newID(), owner: String(parts[0]), name: String(parts[1]), defaultBranch: defaultBranch)
            let tree = files.mapValues { Array($0.utf8) }
            let commit = makeCommit(
                tree: tree, parents: [], message: message, author: .user(author),
                date: date ?? now.addingTimeInterval(-86_400 * 60))
            repo.commits[commit.sha] = commit
            repo.branches[defaultBranch] = commit.sha
            repos[fullName.lowercased()] = repo
            return commit.sha
        }
    }

    /// One commit on `branch` (created from the default branch if missing) changing `files`
    /// (`nil` deletes a file). Returns the commit SHA. Open PRs whose head is `branch` get a
    /// `synchronize` webhook.
    @discardableResult
    public func addCommit(
        repo: String, branch: String, files: [String: String?], message: String,
        author: String = "octocat", date: Date? = nil
    ) -> String {
        withState {
            guard var repository = repos[repo.lowercased()] else { preconditionFailure("no repository \(repo)") }
            let parent = repository.branches[branch] ?? repository.branches[repository.defaultBranch]!
            var tree = repository.commits[parent]!.tree
            for (path, content) in files { tree[path] = content.map { Array($0.utf8) } }
            let commit = makeCommit(
                tree: tree, parents: [parent], message: message, author: .user(author), date: date ?? now)
            repository.commits[commit.sha] = commit
            repos[repo.lowercased()] = repository
            moveBranch(repo: repo.lowercased(), branch: branch, to: commit.sha)
            return commit.sha
        }
    }

    /// Creates (or force-moves) `branch` to the commit `from` names (a branch or a SHA).
    public func setBranch(repo: String, branch: String, to from: String) {
        withState {
            guard let sha = resolve(repo.lowercased(), from) else { preconditionFailure("unknown ref \(from)") }
            moveBranch(repo: repo.lowercased(), branch: branch, to: sha)
        }
    }

    /// Classic branch protection: direct writes refused; merges need the reviews and checks.
    public func protectBranch(repo: String, branch: String, requiredReviews: Int = 0, requiredChecks: [String] = []) {
        withState {
            repos[repo.lowercased()]?.protection[branch] = BranchProtection(
                requiredReviews: requiredReviews, requiredChecks: requiredChecks)
        }
    }

    public func unprotectBranch(repo: String, branch: String) {
        withState { repos[repo.lowercased()]?.protection[branch] = nil }
    }

    public func headSHA(repo: String, branch: String) -> String? {
        withState { repos[repo.lowercased()]?.branches[branch] }
    }

    public func branches(repo: String) -> [String: String] { withState { repos[repo.lowercased()]?.branches ?? [:] } }

    /// Commits reachable from `branch` (or a SHA), newest first.
    public func commits(repo: String, on ref: String) -> [CommitInfo] {
        withState {
            let key = repo.lowercased()
            guard let sha = resolve(key, ref) else { return [] }
            return history(key, from: sha).map(info)
        }
    }

    public func commit(repo: String, sha: String) -> CommitInfo? {
        withState { repos[repo.lowercased()]?.commits[sha].map(info) }
    }

    /// A file's text at `ref` (default branch when nil).
    public func file(repo: String, path: String, ref: String? = nil) -> String? {
        withState {
            let key = repo.lowercased()
            guard let repository = repos[key], let sha = resolve(key, ref ?? repository.defaultBranch),
                let bytes = repository.commits[sha]?.tree[path]
            else { return nil }
            return String(decoding: bytes, as: UTF8.self)
        }
    }

    func info(_ commit: Commit) -> CommitInfo {
        CommitInfo(
            sha: commit.sha, message: commit.message, parents: commit.parents, author: commit.author,
            date: commit.date, files: commit.tree.mapValues { String(decoding: $0, as: UTF8.self) })
    }
}
