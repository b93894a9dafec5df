// How a URL path with a refused value fails: `VALIDATION_ERROR`, naming what was wrong and
// quoting only a short, sanitised prefix of the value.
import Testing

@testable import Clients

@Suite struct URLPathTests {
    @Test func aRefusedValueFailsTheCallWithValidationError() throws {
        let path = URLPath("/repos").repository("acme/gitops").literal("/contents")
            .segments("../../etc/passwd", as: .filePath).query("ref", "main", as: .gitRef)
        let thrown = #expect(throws: APIError.self) { try path.resolved(call: "github.getContents") }
        let failure = try #require(thrown)
        #expect(failure.code == .validationError)
        #expect(failure.call == "github.getContents")
        #expect(failure.status == nil)
        #expect(failure.message.contains("file path"))
        #expect(failure.message.contains("'..' segment"))
    }

    @Test func theMessageQuotesOnlyASanitisedPrefix() {
        let hostile = "../../../../etc/passwd\nX-Injected: yes\0" + String(repeating: "A", count: 500)
        let refusal = URLPath("/x").segments(hostile, as: .filePath).refusal
        let message = refusal?.message ?? ""
        #expect(message.hasPrefix("refusing file path '../../../../etc/…'"))
        #expect(!message.contains("passwd"))
        #expect(!message.contains("X-Injected"))
        #expect(message.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value != 0x7F })
        #expect(message.count < 120)
        // Control characters and look-alikes inside the prefix are shown as `?`.
        #expect(URLValueError.preview(of: "a\nb\0c\u{2025}d e") == "a?b?c?d?e")
    }

    @Test func theFirstRefusalIsKeptAndLaterPartsAreIgnored() {
        let path = URLPath("/api/v1/namespaces").segment("Shop", as: .namespace).literal("/deployments")
            .segment("../x", as: .deploymentName).query("labelSelector", "app=x")
        #expect(path.refusal?.kind == .namespace)
        #expect(URLPath("/x").query("ref", "a b", as: .gitRef).refusal?.kind == .gitRef)
        #expect(URLPath("/x").headFilter(owner: "acme", branch: "../main").refusal?.kind == .branch)
        #expect(URLPath("/x").headFilter(owner: "-acme", branch: "main").refusal?.kind == .owner)
    }

    @Test func validPartsBuildTheExpectedPathAndQuery() throws {
        let sha = "ABCDEF0123456789ABCDEF0123456789ABCDEF01"
        let compare = URLPath("/repos").repository("acme/gitops").literal("/compare")
            .range(base: "main", head: "rollback/checkout-abc1234")
        #expect(try compare.resolved(call: "test") == "/repos/acme/gitops/compare/main...rollback%2Fcheckout-abc1234")
        let status = URLPath("/repos").repository("acme/gitops").literal("/commits").segment(sha, as: .sha)
            .literal("/status").query("per_page", "100")
        #expect(
            try status.resolved(call: "test") == "/repos/acme/gitops/commits/\(sha.lowercased())/status?per_page=100")
        let pulls = URLPath("/repos").repository("acme/gitops").literal("/pulls").number(12).literal("/merge")
        #expect(try pulls.resolved(call: "test") == "/repos/acme/gitops/pulls/12/merge")
        let filter = URLPath("/pulls").headFilter(owner: "acme", branch: "rollback/x").query("base", "staging")
        #expect(try filter.resolved(call: "test") == "/pulls?head=acme:rollback/x&base=staging")
        #expect(URLPath("/x").range(base: "main", head: "a..b").refusal != nil)
    }
}
