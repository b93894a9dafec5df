// The GitHub simulator paginates every list route as GitHub does (issue 14): `per_page`
// default 30 and at most 100, `page` from 1, and a `Link` header with `prev`/`first` and
// `next`/`last` whenever there is more than one page.
import Foundation
import Simulator
import TestSupport
import Testing

@Suite struct SimulatorPaginationTests {
    typealias Call = SimulatorGitHubTests

    /// The `Link` header as relation -> the query of its URL.
    static func links(_ response: RawHTTPResponse) -> [String: [String: String]] {
        guard let header = response.header("link") else { return [:] }
        var result: [String: [String: String]] = [:]
        for part in header.components(separatedBy: ", <") {
            let pieces = part.components(separatedBy: ">; rel=\"")
            guard pieces.count == 2 else { continue }
            let url = pieces[0].hasPrefix("<") ? String(pieces[0].dropFirst()) : pieces[0]
            let items = URLComponents(string: url)?.queryItems ?? []
            result[String(pieces[1].dropLast())] = Dictionary(
                uniqueKeysWithValues: items.map { ($0.name, $0.value ?? "") })
        }
        return result
    }

    static func array(_ response: RawHTTPResponse) -> [[String: Any]] {
        (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [[String: Any]] ?? []
    }

    /// `acme/app` with `count` open PRs into `main`.
    static func repositoryWithPullRequests(_ gh: GitHubSimulator, count: Int) {
        gh.createRepository("acme/app")
        for index in 0..<count {
            gh.createPullRequest(repo: "acme/app", head: "feature/\(index)", base: "main", title: "pr \(index)")
        }
    }

    @Test func perPageDefaultsToThirtyAndIsCappedAtOneHundred() throws {
        let gh = try Call.started()
        defer { gh.stop() }
        Self.repositoryWithPullRequests(gh, count: 250)
        let byDefault = try Call.call(gh, "GET", "/repos/acme/app/pulls")
        #expect(Self.array(byDefault).count == 30)
        #expect(Self.links(byDefault)["next"] == ["page": "2", "per_page": "30"])
        #expect(Self.links(byDefault)["last"]?["page"] == "9")
        let tooMany = try Call.call(gh, "GET", "/repos/acme/app/pulls?per_page=500")
        #expect(Self.array(tooMany).count == 100)
        #expect(Self.links(tooMany)["next"] == ["page": "2", "per_page": "100"])
        #expect(Self.links(tooMany)["last"]?["page"] == "3")
    }

    @Test func linkHeadersOnTheFirstMiddleAndLastPages() throws {
        let gh = try Call.started()
        defer { gh.stop() }
        Self.repositoryWithPullRequests(gh, count: 250)
        let path = "/repos/acme/app/pulls?state=open&base=main&per_page=100"
        let first = try Call.call(gh, "GET", path)
        #expect(Set(Self.links(first).keys) == ["next", "last"])
        #expect(Self.links(first)["next"] == ["base": "main", "page": "2", "per_page": "100", "state": "open"])
        #expect(Self.links(first)["last"]?["page"] == "3")
        #expect(first.header("link")?.contains("<\(gh.baseURL)/repos/acme/app/pulls?") == true)

        let middle = try Call.call(gh, "GET", path + "&page=2")
        #expect(Self.array(middle).count == 100)
        #expect(Set(Self.links(middle).keys) == ["prev", "first", "next", "last"])
        #expect(Self.links(middle)["prev"]?["page"] == "1" && Self.links(middle)["first"]?["page"] == "1")
        #expect(Self.links(middle)["next"]?["page"] == "3" && Self.links(middle)["last"]?["page"] == "3")

        let last = try Call.call(gh, "GET", path + "&page=3")
        #expect(Self.array(last).count == 50)
        #expect(Set(Self.links(last).keys) == ["prev", "first"])
        #expect(Self.links(last)["prev"]?["page"] == "2")

        // Newest first across pages, each PR once.
        let numbers = [first, middle, last].flatMap { Self.array($0).compactMap { $0["number"] as? Int } }
        #expect(numbers == numbers.sorted(by: >) && Set(numbers).count == 250)

        // One page: no Link header.
        let one = try Call.call(gh, "GET", "/repos/acme/app/pulls?per_page=100&head=acme:feature/7")
        #expect(Self.array(one).count == 1 && one.header("link") == nil)
    }

    @Test func checkRunsAndCombinedStatusPageInsideTheirWrapper() throws {
        let gh = try Call.started()
        defer { gh.stop() }
        let sha = gh.createRepository("acme/app")
        for index in 0..<120 { gh.setCheckRun(repo: "acme/app", sha: sha, name: "run-\(index)") }
        for index in 0..<35 {
            gh.setCommitStatus(repo: "acme/app", sha: sha, context: "ctx-\(index)", state: "success")
        }
        let runs = try Call.call(gh, "GET", "/repos/acme/app/commits/\(sha)/check-runs?per_page=100")
        #expect(runs.json?["total_count"] as? Int == 120)
        #expect((runs.json?["check_runs"] as? [Any])?.count == 100)
        #expect(Self.links(runs)["next"]?["page"] == "2")
        let rest = try Call.call(gh, "GET", "/repos/acme/app/commits/\(sha)/check-runs?per_page=100&page=2")
        #expect(rest.json?["total_count"] as? Int == 120)
        #expect(((rest.json?["check_runs"] as? [[String: Any]]) ?? []).map { $0["name"] as? String }.last == "run-119")
        #expect(Set(Self.links(rest).keys) == ["prev", "first"])

        let status = try Call.call(gh, "GET", "/repos/acme/app/commits/\(sha)/status")
        #expect(status.json?["total_count"] as? Int == 35 && status.json?["state"] as? String == "success")
        #expect((status.json?["statuses"] as? [Any])?.count == 30)
        #expect(Self.links(status)["next"] == ["page": "2", "per_page": "30"])
        let statusRest = try Call.call(gh, "GET", "/repos/acme/app/commits/\(sha)/status?page=2")
        #expect((statusRest.json?["statuses"] as? [Any])?.count == 5)
    }

    @Test func otherListsPageToo() throws {
        let gh = try Call.started()
        defer { gh.stop() }
        gh.createRepository("acme/app")
        for user in ["ann", "bob", "cy"] { gh.addTeamMember(org: "acme", team: "sre", user: user) }
        gh.addTeamMember(org: "acme", team: "sre", user: "dee", state: "pending")
        let members = try Call.call(gh, "GET", "/orgs/acme/teams/sre/members?per_page=2")
        #expect(Self.array(members).compactMap { $0["login"] as? String } == ["ann", "bob"])
        #expect(Self.links(members)["last"]?["page"] == "2")
        let moreMembers = try Call.call(gh, "GET", "/orgs/acme/teams/sre/members?per_page=2&page=2")
        #expect(Self.array(moreMembers).compactMap { $0["login"] as? String } == ["cy"])

        let issue = gh.createIssue(repo: "acme/app", title: "escalation", labels: ["a", "b", "c"])
        for index in 0..<3 { _ = gh.addComment(repo: "acme/app", issue: issue, user: "sre", body: "c\(index)") }
        for path in ["/repos/acme/app/issues", "/repos/acme/app/issues/\(issue)/comments", "/repos/acme/app/labels"] {
            let paged = try Call.call(gh, "GET", path + "?per_page=1")
            #expect(Self.array(paged).count == 1, "\(path)")
        }
        let labels = try Call.call(gh, "GET", "/repos/acme/app/issues/\(issue)/labels?per_page=2")
        #expect(Self.array(labels).count == 2 && Self.links(labels)["next"]?["page"] == "2")
    }
}
