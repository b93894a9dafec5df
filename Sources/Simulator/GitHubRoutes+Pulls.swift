import Foundation
import HTTPServer

/// The pulls API: list, create, read and update a pull request, its reviews, commits, files,
/// and the merge (with GitHub's guards on the head SHA, mergeability and branch protection).
extension GitHubSimulator {
    func pullsRoute(
        _ method: String, _ key: String, _ rest: [String], _ obj: [String: Any], _ request: HTTPRequest
    ) -> HTTPResponse {
        let repo = repos[key]!
        if rest.isEmpty {
            if method == "GET" {
                let state = request.query["state"] ?? "open"
                var list = repo.issues.values.filter { $0.pull != nil && (state == "all" || $0.state == state) }
                if let head = request.query["head"] {
                    let branch = head.contains(":") ? String(head.split(separator: ":", maxSplits: 1)[1]) : head
                    let owner = head.contains(":") ? String(head.split(separator: ":")[0]) : repo.owner
                    list = list.filter { $0.pull!.headRef == branch && owner.lowercased() == repo.owner.lowercased() }
                }
                if let base = request.query["base"] { list = list.filter { $0.pull!.baseRef == base } }
                let asc = request.query["direction"] == "asc"
                list.sort { asc ? $0.number < $1.number : $0.number > $1.number }
                return page(list.map { prJSON(key, $0.number, detail: false) }, request)
            }
            guard method == "POST" else { return Self.notFound }
            guard var head = obj["head"] as? String else {
                return Self.validation("PullRequest", field: "head", code: "missing_field")
            }
            guard let base = obj["base"] as? String else {
                return Self.validation("PullRequest", field: "base", code: "missing_field")
            }
            if head.contains(":") { head = String(head.split(separator: ":", maxSplits: 1)[1]) }
            guard let headSHA = repo.branches[head] else {
                return Self.validation("PullRequest", field: "head", code: "invalid")
            }
            guard let baseSHA = repo.branches[base] else {
                return Self.validation("PullRequest", field: "base", code: "invalid")
            }
            if repo.issues.values.contains(where: {
                $0.state == "open" && $0.pull?.headRef == head && $0.pull?.baseRef == base
            }) {
                return Self.validation(
                    "PullRequest", code: "custom", message: "A pull request already exists for \(repo.owner):\(head).")
            }
            if compare(key, base: baseSHA, head: headSHA).ahead.isEmpty {
                return Self.validation("PullRequest", code: "custom", message: "No commits between \(base) and \(head)")
            }
            let title = obj["title"] as? String ?? head
            let number = openPull(
                key, head: head, base: base, title: title, body: obj["body"] as? String, user: botLoginValue,
                draft: obj["draft"] as? Bool ?? false)
            return SimJSON.response(
                201, prJSON(key, number, detail: true),
                headers: [("Location", "\(api)/repos/\(repo.fullName)/pulls/\(number)")])
        }
        guard let number = Int(rest[0]), let issue = repo.issues[number], issue.pull != nil else {
            return Self.notFound
        }
        switch (method, rest.count > 1 ? rest[1] : "") {
        case ("GET", ""):
            return SimJSON.response(200, prJSON(key, number, detail: true, consumeRead: true))
        case ("PATCH", ""):
            if let title = obj["title"] as? String { repos[key]!.issues[number]!.title = title }
            if let body = obj["body"] as? String { repos[key]!.issues[number]!.body = body }
            if let base = obj["base"] as? String {
                guard repo.branches[base] != nil else {
                    return Self.validation("PullRequest", field: "base", code: "invalid")
                }
                repos[key]!.issues[number]!.pull!.baseRef = base
            }
            if let state = obj["state"] as? String {
                guard state == "open" || state == "closed" else {
                    return Self.validation("PullRequest", field: "state", code: "invalid")
                }
                if issue.pull!.merged && state == "open" {
                    return Self.validation("PullRequest", field: "state", code: "invalid")
                }
                setIssueState(key, number, state, by: botLoginValue)
            }
            repos[key]!.issues[number]!.updatedAt = now
            return SimJSON.response(200, prJSON(key, number, detail: true))
        case ("GET", "reviews"):
            return page(issue.pull!.reviews.map { reviewJSON(key, number, $0, webhook: false) }, request)
        case ("POST", "reviews"):
            let event = (obj["event"] as? String ?? "COMMENT").uppercased()
            let state =
                ["APPROVE": "APPROVED", "REQUEST_CHANGES": "CHANGES_REQUESTED", "COMMENT": "COMMENTED"][event]
                ?? "PENDING"
            let review = Review(
                id: newID(), user: botLoginValue, state: state,
                commitID: obj["commit_id"] as? String ?? pullHeadSHA(key, issue),
                body: obj["body"] as? String ?? "", submittedAt: now)
            repos[key]!.issues[number]!.pull!.reviews.append(review)
            if state != "PENDING" { queueReviewEvent(key, number, review) }
            return SimJSON.response(200, reviewJSON(key, number, review, webhook: false))
        case ("GET", "merge"):
            return issue.pull!.merged ? HTTPResponse(status: 204) : Self.notFound
        case ("PUT", "merge"):
            let methodName = obj["merge_method"] as? String ?? "merge"
            guard ["merge", "squash", "rebase"].contains(methodName) else {
                return Self.validation("PullRequest", field: "merge_method", code: "invalid")
            }
            switch performMerge(
                key, number, method: methodName, title: obj["commit_title"] as? String,
                message: obj["commit_message"] as? String, by: botLoginValue,
                expectedSHA: obj["sha"] as? String, enforce: true)
            {
            case .success(let sha):
                return SimJSON.response(
                    200, ["sha": sha, "merged": true, "message": "Pull Request successfully merged"])
            case .failure(let code, let message):
                return Self.ghError(
                    code, message, docs: "https://docs.github.com/rest/pulls/pulls#merge-a-pull-request")
            }
        case ("GET", "commits"):
            let comparison = compare(key, base: pullBaseSHA(key, issue), head: pullHeadSHA(key, issue))
            return page(comparison.ahead.map { commitJSON(repo, $0) }, request)
        case ("GET", "files"):
            let base = pullBaseSHA(key, issue)
            let head = pullHeadSHA(key, issue)
            let mergeBaseTree = mergeBase(key, base, head).flatMap { repo.commits[$0]?.tree } ?? [:]
            return page(fileChanges(mergeBaseTree, repo.commits[head]?.tree ?? [:]), request)
        default:
            return Self.notFound
        }
    }
}
