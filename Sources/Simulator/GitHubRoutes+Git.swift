import Foundation
import HTTPServer

/// The Git database API: refs (`git/ref`, `git/refs`), commits and blobs.
extension GitHubSimulator {
    func gitRoute(_ method: String, _ key: String, _ rest: [String], _ obj: [String: Any]) -> HTTPResponse {
        let repo = repos[key]!
        switch (method, rest.first ?? "") {
        case ("GET", "ref") where rest.count >= 3 && rest[1] == "heads":
            let branch = rest.dropFirst(2).joined(separator: "/")
            guard let sha = repo.branches[branch] else { return Self.notFound }
            return SimJSON.response(200, refJSON(repo, branch, sha))
        case ("GET", "refs"):
            let prefix = rest.dropFirst().joined(separator: "/")
            let matches = repo.branches.keys.sorted().filter { ("heads/" + $0).hasPrefix(prefix) }
            if prefix.hasPrefix("heads/"), let sha = repo.branches[String(prefix.dropFirst(6))] {
                return SimJSON.response(200, refJSON(repo, String(prefix.dropFirst(6)), sha))
            }
            if matches.isEmpty { return Self.notFound }
            return SimJSON.response(200, matches.map { refJSON(repo, $0, repo.branches[$0]!) })
        case ("POST", "refs") where rest.count == 1:
            guard let ref = obj["ref"] as? String, let sha = obj["sha"] as? String else {
                return Self.ghError(422, "Invalid request.\n\n\"ref\", \"sha\" weren't supplied.")
            }
            guard ref.hasPrefix("refs/"), ref.filter({ $0 == "/" }).count >= 2 else {
                return Self.ghError(422, "Reference name is invalid")
            }
            guard ref.hasPrefix("refs/heads/") else { return Self.ghError(422, "Reference name is invalid") }
            let branch = String(ref.dropFirst("refs/heads/".count))
            if repo.branches[branch] != nil { return Self.ghError(422, "Reference already exists") }
            guard repo.commits[sha] != nil else { return Self.ghError(422, "Object does not exist") }
            moveBranch(repo: key, branch: branch, to: sha)
            return SimJSON.response(
                201, refJSON(repo, branch, sha), headers: [("Location", "\(api)/repos/\(repo.fullName)/git/\(ref)")])
        case ("PATCH", "refs") where rest.count >= 3 && rest[1] == "heads":
            let branch = rest.dropFirst(2).joined(separator: "/")
            guard let current = repo.branches[branch] else { return Self.ghError(422, "Reference does not exist") }
            guard let sha = obj["sha"] as? String else {
                return Self.ghError(422, "Invalid request.\n\n\"sha\" wasn't supplied.")
            }
            guard repo.commits[sha] != nil else { return Self.ghError(422, "Object does not exist") }
            if repo.protection[branch] != nil {
                return Self.ghError(
                    422, "Protected branch update failed for refs/heads/\(branch).",
                    docs: "https://docs.github.com/articles/about-protected-branches")
            }
            let force = obj["force"] as? Bool ?? false
            if !force && !ancestors(key, sha).contains(current) {
                return Self.ghError(422, "Update is not a fast forward")
            }
            moveBranch(repo: key, branch: branch, to: sha)
            return SimJSON.response(200, refJSON(repo, branch, sha))
        case ("DELETE", "refs") where rest.count >= 3 && rest[1] == "heads":
            let branch = rest.dropFirst(2).joined(separator: "/")
            guard repo.branches[branch] != nil else { return Self.ghError(422, "Reference does not exist") }
            if repo.protection[branch] != nil || branch == repo.defaultBranch {
                return Self.ghError(422, "Cannot delete a protected branch")
            }
            repos[key]!.branches[branch] = nil
            return HTTPResponse(status: 204)
        case ("GET", "commits") where rest.count == 2:
            guard let commit = repo.commits[rest[1]] else { return Self.notFound }
            return SimJSON.response(
                200,
                [
                    "sha": commit.sha, "message": commit.message, "author": personJSON(commit.author, commit.date),
                    "committer": personJSON(commit.committer, commit.date), "tree": ["sha": commit.treeSHA],
                    "parents": commit.parents.map { ["sha": $0] },
                ])
        case ("GET", "blobs") where rest.count == 2:
            for commit in repo.commits.values {
                if let content = commit.tree.values.first(where: { GitObjects.blobSHA($0) == rest[1] }) {
                    return SimJSON.response(
                        200,
                        [
                            "sha": rest[1], "size": content.count, "encoding": "base64",
                            "content": Self.wrappedBase64(content),
                            "url": "\(api)/repos/\(repo.fullName)/git/blobs/\(rest[1])",
                        ])
                }
            }
            return Self.notFound
        default:
            return Self.notFound
        }
    }
}
