import Foundation
import HTTPServer

/// The commits API (history with its filters) and the compare API (`base...head`).
extension GitHubSimulator {
    func listCommits(_ key: String, _ request: HTTPRequest) -> HTTPResponse {
        let repo = repos[key]!
        let start = request.query["sha"] ?? repo.defaultBranch
        guard let sha = resolve(key, start) else { return Self.ghError(404, "No commit found for SHA: \(start)") }
        var list = history(key, from: sha)
        if let since = request.query["since"], let sinceDate = Timestamp.parse(since) {
            list = list.filter { $0.date >= sinceDate }
        }
        if let until = request.query["until"], let untilDate = Timestamp.parse(until) {
            list = list.filter { $0.date <= untilDate }
        }
        if let author = request.query["author"] {
            list = list.filter { $0.author.login == author || $0.author.email == author }
        }
        if let path = request.query["path"] {
            list = list.filter { commit in
                commit.tree[path] != commit.parents.first.flatMap { repo.commits[$0]?.tree[path] }
            }
        }
        return page(list.map { commitJSON(repo, $0) }, request)
    }

    func compareRoute(_ key: String, _ basehead: String) -> HTTPResponse {
        let repo = repos[key]!
        guard let dots = basehead.range(of: "...") else { return Self.notFound }
        let baseRef = String(basehead[..<dots.lowerBound])
        let headRef = String(basehead[dots.upperBound...])
        guard let base = resolve(key, baseRef), let head = resolve(key, headRef) else { return Self.notFound }
        let comparison = compare(key, base: base, head: head)
        guard let mergeBaseSHA = comparison.mergeBase else {
            return Self.ghError(404, "No common ancestor between \(baseRef) and \(headRef).")
        }
        let files = fileChanges(repo.commits[mergeBaseSHA]?.tree ?? [:], repo.commits[head]?.tree ?? [:])
        return SimJSON.response(
            200,
            [
                "url": "\(api)/repos/\(repo.fullName)/compare/\(basehead)",
                "html_url": "\(Self.web)/\(repo.fullName)/compare/\(basehead)",
                "permalink_url":
                    "\(Self.web)/\(repo.fullName)/compare/\(repo.owner):\(base.prefix(7))...\(repo.owner):\(head.prefix(7))",
                "diff_url": "\(Self.web)/\(repo.fullName)/compare/\(basehead).diff",
                "patch_url": "\(Self.web)/\(repo.fullName)/compare/\(basehead).patch",
                "base_commit": commitJSON(repo, repo.commits[base]!),
                "merge_base_commit": commitJSON(repo, repo.commits[mergeBaseSHA]!),
                "status": comparison.status, "ahead_by": comparison.ahead.count, "behind_by": comparison.behindBy,
                "total_commits": comparison.ahead.count,
                "commits": comparison.ahead.prefix(250).map { commitJSON(repo, $0) }, "files": files,
            ])
    }
}
