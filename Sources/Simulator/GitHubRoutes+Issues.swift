import Foundation
import HTTPServer

/// The issues API: list, create, read and update an issue, its comments and its labels.
extension GitHubSimulator {
    private func labelNames(_ body: Any?) -> [String]? {
        func names(_ items: [Any]) -> [String] {
            items.compactMap { ($0 as? String) ?? (($0 as? [String: Any])?["name"] as? String) }
        }
        if let items = body as? [Any] { return names(items) }
        if let object = body as? [String: Any], let items = object["labels"] as? [Any] { return names(items) }
        return nil
    }

    func issuesRoute(_ method: String, _ key: String, _ rest: [String], _ body: Any?, _ request: HTTPRequest)
        -> HTTPResponse
    {
        let repo = repos[key]!
        let obj = body as? [String: Any] ?? [:]
        if rest.isEmpty {
            if method == "GET" {
                let state = request.query["state"] ?? "open"
                var list = repo.issues.values.filter { state == "all" || $0.state == state }
                if let labels = request.query["labels"], !labels.isEmpty {
                    let want = labels.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
                    list = list.filter { issue in
                        want.allSatisfy { wanted in issue.labels.contains { $0.lowercased() == wanted } }
                    }
                }
                if let creator = request.query["creator"] {
                    list = list.filter { $0.user.lowercased() == creator.lowercased() }
                }
                if let since = request.query["since"], let sinceDate = Timestamp.parse(since) {
                    list = list.filter { $0.updatedAt >= sinceDate }
                }
                let asc = request.query["direction"] == "asc"
                list.sort { asc ? $0.number < $1.number : $0.number > $1.number }
                return page(list.map { issueJSON(key, $0.number) }, request)
            }
            guard method == "POST" else { return Self.notFound }
            guard let title = obj["title"] as? String, !title.isEmpty else {
                return Self.validation("Issue", field: "title", code: "missing_field")
            }
            let number = createIssueLocked(
                key, title: title, body: obj["body"] as? String, user: botLoginValue,
                labels: labelNames(obj["labels"].map { ["labels": $0] }) ?? [])
            if let assignees = obj["assignees"] as? [String] { repos[key]!.issues[number]!.assignees = assignees }
            return SimJSON.response(
                201, issueJSON(key, number), headers: [("Location", "\(api)/repos/\(repo.fullName)/issues/\(number)")])
        }
        guard let number = Int(rest[0]), repo.issues[number] != nil else { return Self.notFound }
        switch (method, rest.count > 1 ? rest[1] : "") {
        case ("GET", ""):
            return SimJSON.response(200, issueJSON(key, number))
        case ("PATCH", ""):
            if let title = obj["title"] as? String { repos[key]!.issues[number]!.title = title }
            if let text = obj["body"] as? String { repos[key]!.issues[number]!.body = text }
            if let labels = labelNames(obj["labels"].map { ["labels": $0] }) {
                repos[key]!.issues[number]!.labels = []
                for label in labels { addLabel(key, number, label) }
            }
            if let assignees = obj["assignees"] as? [String] { repos[key]!.issues[number]!.assignees = assignees }
            if let state = obj["state"] as? String {
                guard state == "open" || state == "closed" else {
                    return Self.validation("Issue", field: "state", code: "invalid")
                }
                setIssueState(key, number, state, by: botLoginValue)
                if let reason = obj["state_reason"] as? String { repos[key]!.issues[number]!.stateReason = reason }
            }
            repos[key]!.issues[number]!.updatedAt = now
            return SimJSON.response(200, issueJSON(key, number))
        case ("GET", "comments"):
            var list = repo.issues[number]!.comments
            if let since = request.query["since"], let sinceDate = Timestamp.parse(since) {
                list = list.filter { $0.updatedAt >= sinceDate }
            }
            return page(list.map { commentJSON(key, number, $0) }, request)
        case ("POST", "comments"):
            guard let text = obj["body"] as? String, !text.isEmpty else {
                return Self.validation("IssueComment", field: "body", code: "missing_field")
            }
            let comment = addCommentLocked(key, number, user: botLoginValue, body: text)!
            return SimJSON.response(
                201, commentJSON(key, number, comment),
                headers: [("Location", "\(api)/repos/\(repo.fullName)/issues/comments/\(comment.id)")])
        case ("GET", "labels"):
            return page(repo.issues[number]!.labels.map { labelJSON(repos[key]!, $0) }, request)
        case ("POST", "labels"), ("PUT", "labels"):
            guard let names = labelNames(body) else {
                return Self.validation("Label", field: "labels", code: "invalid")
            }
            if method == "PUT" { repos[key]!.issues[number]!.labels = [] }
            for label in names { addLabel(key, number, label) }
            if repo.issues[number]!.pull != nil, !names.isEmpty {
                queuePullEvent(key, number, action: "labeled", extra: ["label": labelJSON(repos[key]!, names[0])])
            }
            return SimJSON.response(200, repos[key]!.issues[number]!.labels.map { labelJSON(repos[key]!, $0) })
        case ("DELETE", "labels") where rest.count == 3:
            guard
                let index = repos[key]!.issues[number]!.labels.firstIndex(where: {
                    $0.lowercased() == rest[2].lowercased()
                })
            else {
                return Self.ghError(404, "Label does not exist")
            }
            repos[key]!.issues[number]!.labels.remove(at: index)
            return SimJSON.response(200, repos[key]!.issues[number]!.labels.map { labelJSON(repos[key]!, $0) })
        default:
            return Self.notFound
        }
    }
}
