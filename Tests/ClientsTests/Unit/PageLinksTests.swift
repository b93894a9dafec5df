// Reading GitHub's `Link` header, and which next-page links a client may follow with its token.
import Testing

@testable import Clients

@Suite struct PageLinksTests {
    @Test func findsEachRelationOfAGitHubLinkHeader() {
        let header =
            #"<https://api.github.com/repositories/1/pulls?page=1&per_page=100>; rel="prev", "#
            + #"<https://api.github.com/repositories/1/pulls?page=3&per_page=100>; rel="next", "#
            + #"<https://api.github.com/repositories/1/pulls?page=5&per_page=100>; rel="last", "#
            + #"<https://api.github.com/repositories/1/pulls?page=1&per_page=100>; rel="first""#
        #expect(
            PageLinks.url(in: header, relation: "next")
                == "https://api.github.com/repositories/1/pulls?page=3&per_page=100")
        #expect(PageLinks.url(in: header, relation: "last")?.hasSuffix("page=5&per_page=100") == true)
        #expect(PageLinks.url(in: header, relation: "first")?.contains("page=1") == true)
        // The last page names no next one; nor does a missing or malformed header.
        #expect(PageLinks.url(in: #"<https://x/a?page=1>; rel="prev""#, relation: "next") == nil)
        #expect(PageLinks.url(in: nil, relation: "next") == nil)
        #expect(PageLinks.url(in: "<https://x/a?page=2; rel=next", relation: "next") == nil)
        // Unquoted, several relations in one, other parameters, any case.
        #expect(PageLinks.url(in: "<https://x/b>; rel=next", relation: "next") == "https://x/b")
        #expect(PageLinks.url(in: #"<https://x/c>; title="t"; REL="last next""#, relation: "next") == "https://x/c")
        // `next` as a title or inside a URL is not the relation.
        #expect(PageLinks.url(in: #"<https://x/next>; rel="prev"; title="next""#, relation: "next") == nil)
    }

    @Test func followsOnlyLinksOnTheAPIOrigin() {
        let base = "https://api.github.com"
        #expect(PageLinks.isFollowable("https://api.github.com/repositories/1/pulls?page=2", base: base))
        #expect(PageLinks.isFollowable("https://API.github.com:443/repos/a/b/pulls?page=2", base: base))
        #expect(!PageLinks.isFollowable("https://evil.example/repos/a/b/pulls?page=2", base: base))
        #expect(!PageLinks.isFollowable("https://api.github.com.evil.example/x", base: base))
        #expect(!PageLinks.isFollowable("http://api.github.com/repos/a/b/pulls?page=2", base: base))
        #expect(!PageLinks.isFollowable("https://api.github.com:8443/repos/a/b/pulls?page=2", base: base))
        #expect(!PageLinks.isFollowable("https://token@api.github.com/repos/a/b/pulls?page=2", base: base))
        #expect(!PageLinks.isFollowable("/repos/a/b/pulls?page=2", base: base))
        #expect(!PageLinks.isFollowable("not a url", base: base))
        // GitHub Enterprise: under the API's path only.
        let enterprise = "https://ghe.example.com/api/v3"
        #expect(PageLinks.isFollowable("https://ghe.example.com/api/v3/repos/a/b/pulls?page=2", base: enterprise))
        #expect(!PageLinks.isFollowable("https://ghe.example.com/api/v30/x", base: enterprise))
        #expect(!PageLinks.isFollowable("https://ghe.example.com/login?next=/api/v3", base: enterprise))
    }
}
