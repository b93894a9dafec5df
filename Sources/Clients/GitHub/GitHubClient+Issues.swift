import Foundation

extension GitHubClient {
    /// `POST /repos/{o}/{r}/issues/{n}/labels` (PRs are issues); the labels now on the issue.
    public func addLabels(repo: String, number: Int, labels: [String]) async throws -> [Label] {
        let name = "github.addLabels"
        struct Body: Encodable { let labels: [String] }
        return try await send(
            name, method: "POST", path: Self.repoPath(repo).literal("/issues").number(number).literal("/labels"),
            body: ClientJSON.encode(Body(labels: labels)),
            parameters: ["repo": repo, "number": String(number), "labels": labels.joined(separator: ",")],
            summarize: { $0.map(\.name).joined(separator: ",") })
    }

    /// `POST /repos/{o}/{r}/issues`.
    public func createIssue(repo: String, title: String, body: String, labels: [String]) async throws -> Issue {
        let name = "github.createIssue"
        struct Body: Encodable {
            let title: String
            let body: String
            let labels: [String]
        }
        return try await send(
            name, method: "POST", path: Self.repoPath(repo).literal("/issues"),
            body: ClientJSON.encode(Body(title: title, body: body, labels: labels)),
            parameters: ["repo": repo, "title": title, "labels": labels.joined(separator: ",")],
            summarize: { "#\($0.number)" })
    }

    /// `GET /repos/{o}/{r}/issues?labels=a,b&state=`, every page, without pull requests.
    public func listIssues(repo: String, labels: [String], state: String = "open") async throws -> [Issue] {
        struct Wire: Decodable { let pullRequest: EmptyResponse? }
        return try await readPages(
            "github.listIssues",
            path: Self.repoPath(repo).literal("/issues")
                .query("labels", labels.isEmpty ? nil : labels.joined(separator: ",")).query("state", state),
            parameters: ["repo": repo, "labels": labels.joined(separator: ","), "state": state],
            decodePage: { body in
                let issues = try ClientJSON.decode([Issue].self, body)
                let kinds = try ClientJSON.decode([Wire].self, body)
                let onlyIssues = zip(issues, kinds).filter { $0.1.pullRequest == nil }.map(\.0)
                return ListPage(items: onlyIssues, wrapper: (), totalCount: nil, received: issues.count)
            }, describe: { "\($0.items.count) issues" }
        ).items
    }

    /// `PATCH /repos/{o}/{r}/issues/{n}` with `{"state":"closed"}`.
    public func closeIssue(repo: String, number: Int) async throws -> Issue {
        let name = "github.closeIssue"
        return try await send(
            name, method: "PATCH", path: Self.repoPath(repo).literal("/issues").number(number),
            body: Array(#"{"state":"closed"}"#.utf8),
            parameters: ["repo": repo, "number": String(number)], summarize: { "#\($0.number) \($0.state)" })
    }

    /// `POST /repos/{o}/{r}/issues/{n}/comments`.
    public func createComment(repo: String, number: Int, body: String) async throws -> IssueComment {
        let name = "github.createComment"
        struct Body: Encodable { let body: String }
        return try await send(
            name, method: "POST", path: Self.repoPath(repo).literal("/issues").number(number).literal("/comments"),
            body: ClientJSON.encode(Body(body: body)),
            parameters: ["repo": repo, "number": String(number)], summarize: { "comment \($0.id)" })
    }

    /// `GET /repos/{o}/{r}/issues/{n}/comments?since=` (ascending by id), every page.
    public func listComments(repo: String, number: Int, since: Date? = nil) async throws -> [IssueComment] {
        try await readList(
            "github.listComments",
            path: Self.repoPath(repo).literal("/issues").number(number).literal("/comments")
                .query("since", since.map(ClientJSON.timestamp)),
            parameters: ["repo": repo, "number": String(number)], noun: "comments")
    }
}
