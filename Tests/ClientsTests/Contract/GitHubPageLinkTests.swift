// The GitHub client follows a `next` page link only on the API's own origin (its token never
// goes elsewhere), and refuses pages that cannot make a whole list: stub servers answer with
// the links under test.
import Clients
import Foundation
import HTTPServer
import Testing

@Suite("GitHub next-page links: only on the API's origin, only towards a whole list")
struct GitHubPageLinkTests {
    static let token = "ghp_stub_SECRET_0123456789"

    /// An API stub whose pull list is one PR per page, page 1 naming `next` as its next page,
    /// and another server that records whatever reaches it.
    final class Stubs: Sendable {
        let next = Locked<String?>(nil)
        let checkRunsBody = Locked<String>("")
        let strayRequests = Locked<[HTTPRequest]>([])
        let api: HTTPServer
        let stray: HTTPServer

        init() throws {
            var strayRouter = Router()
            let strayRequests = self.strayRequests
            for depth in 1...5 {
                strayRouter.get("/" + (0..<depth).map { "{p\($0)}" }.joined(separator: "/")) { request, responder in
                    strayRequests.withLock { $0.append(request) }
                    responder.respond(.text(200, "[]"))
                }
            }
            stray = try startServer(strayRouter)
            var apiRouter = Router()
            let next = self.next
            apiRouter.get("/repos/acme/gitops/pulls") { request, responder in
                let headers = next.current.map { [("Link", "<\($0)>; rel=\"next\"")] } ?? []
                responder.respond(HTTPResponse(status: 200, headers: headers, body: Stubs.pulls([1])))
            }
            apiRouter.get("/repositories/42/pulls") { _, responder in
                responder.respond(HTTPResponse(status: 200, body: Stubs.pulls([2])))
            }
            let checkRunsBody = self.checkRunsBody
            apiRouter.get("/repos/acme/gitops/commits/{sha}/check-runs") { _, responder in
                let headers = next.current.map { [("Link", "<\($0)>; rel=\"next\"")] } ?? []
                responder.respond(HTTPResponse(status: 200, headers: headers, body: Array(checkRunsBody.current.utf8)))
            }
            api = try startServer(apiRouter)
        }

        static func pulls(_ numbers: [Int]) -> [UInt8] {
            let items = numbers.map { number in
                #"{"number":\#(number),"state":"open","title":"t","head":{"ref":"h\#(number)","sha":"abc"},"base":{"ref":"staging","sha":"def"}}"#
            }
            return Array("[\(items.joined(separator: ","))]".utf8)
        }

        var apiURL: String { "http://127.0.0.1:\(api.port)" }

        func client(_ harness: Harness) throws -> GitHubClient {
            try GitHubClient(
                baseURL: apiURL, credentials: .token(Secret(GitHubPageLinkTests.token)), context: harness.context)
        }

        func stop() {
            api.stop()
            stray.stop()
        }
    }

    @Test func aNextLinkOffTheAPIOriginIsNotFollowedAndFailsTheRead() async throws {
        let stubs = try Stubs()
        defer { stubs.stop() }
        let harness = Harness()
        let client = try stubs.client(harness)
        let apiPort = stubs.api.port
        let offOrigin = [
            "http://localhost:\(stubs.stray.port)/repos/acme/gitops/pulls?page=2",  // another host
            "http://127.0.0.1:\(stubs.stray.port)/repos/acme/gitops/pulls?page=2",  // another port
            "https://127.0.0.1:\(apiPort)/repos/acme/gitops/pulls?page=2",  // another scheme
            "http://x:y@127.0.0.1:\(apiPort)/repos/acme/gitops/pulls?page=2",  // user information
            "//localhost:\(stubs.stray.port)/repos/acme/gitops/pulls?page=2",  // scheme-relative
        ]
        for link in offOrigin {
            stubs.next.withLock { $0 = link }
            let failure = await apiError {
                try await withTimeout(10) { try await client.listPullRequests(repo: "acme/gitops") }
            }
            #expect(failure?.code == .validationError, "\(link)")
            #expect(failure?.message.contains("not followed") == true, "\(link): \(String(describing: failure))")
            #expect(failure?.message.contains(Self.token) == false)
        }
        #expect(stubs.strayRequests.current.isEmpty)
        #expect(!harness.sink.records(named: "github.listPullRequests").contains { $0.parameters["page"] != nil })
    }

    @Test func aNextLinkOnTheAPIOriginIsFollowedWhateverItsPath() async throws {
        let stubs = try Stubs()
        defer { stubs.stop() }
        let client = try stubs.client(Harness())
        // GitHub's links may name the repository by id: `/repositories/{id}/pulls?page=2`.
        stubs.next.withLock { $0 = "\(stubs.apiURL)/repositories/42/pulls?page=2&per_page=100" }
        let listed = try await withTimeout(10) { try await client.listPullRequests(repo: "acme/gitops") }
        #expect(listed.map(\.number) == [1, 2])
    }

    @Test func pagesThatCannotMakeAWholeListFailTheRead() async throws {
        let stubs = try Stubs()
        defer { stubs.stop() }
        let client = try stubs.client(Harness())
        let sha = String(repeating: "a", count: 40)
        // The wrapper says 5 runs, the pages gave 1.
        stubs.checkRunsBody.withLock {
            $0 = #"{"total_count":5,"check_runs":[{"id":1,"name":"ci","status":"completed","conclusion":"success"}]}"#
        }
        let missing = await apiError {
            try await withTimeout(10) { try await client.checkRuns(repo: "acme/gitops", ref: sha) }
        }
        #expect(missing?.code == .validationError)
        #expect(
            missing?.message.contains("holds 5 items but its pages gave 1") == true, "\(String(describing: missing))")
        // An empty page that still names a next page.
        stubs.checkRunsBody.withLock { $0 = #"{"total_count":0,"check_runs":[]}"# }
        stubs.next.withLock { $0 = "\(stubs.apiURL)/repos/acme/gitops/commits/\(sha)/check-runs?page=2" }
        // Bounded: without the rule, the same empty page would be read again and again.
        let empty = await apiError {
            try await withTimeout(10) { try await client.checkRuns(repo: "acme/gitops", ref: sha) }
        }
        #expect(empty?.message.contains("empty page") == true, "\(String(describing: empty))")
    }
}
