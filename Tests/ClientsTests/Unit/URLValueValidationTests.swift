// Hostile values for each kind of URL value (SPEC 19): each is refused, or encoded so that the
// server reads exactly the value and nothing else.
import Testing

@testable import Clients

@Suite struct URLValueValidationTests {
    func isRefused(_ value: String, as kind: URLValueKind) -> Bool {
        (try? kind.validate(value)) == nil
    }

    /// The path as it would be sent: `/x` and the value, `/` kept as separators.
    func sentPath(_ value: String, as kind: URLValueKind) throws -> String {
        try URLPath("/x").segments(value, as: kind).resolved(call: "test")
    }

    @Test func filePathsThatEscapeOrHideAreRefused() {
        let hostile = [
            "", "../secret.yaml", "apps/../../secret.yaml", "apps/..", "./app.yaml", "apps/./app.yaml",
            "/etc/passwd", "apps//app.yaml", "apps/", "apps\\..\\secret", "apps/app.yaml\nHost: evil",
            "apps/app\0.yaml", "apps/\u{7F}", "apps/\u{200B}app.yaml", "apps/\u{2028}",
            // Already-encoded text, which a server that decodes twice would read as `..` or `/`.
            "%2e%2e/secret.yaml", "..%2fsecret.yaml", "apps%2F..%2Fsecret.yaml", "apps/%00",
            // Look-alikes that a normalising server would read as `..` or `/../`.
            "\u{2025}/secret.yaml", "apps/\u{2025}", "apps\u{FF0F}..\u{FF0F}secret.yaml", "\u{FF0E}\u{FF0E}/x",
        ]
        for value in hostile {
            #expect(isRefused(value, as: .filePath), "\(value.debugDescription) should be refused")
        }
    }

    @Test func filePathsAreEncodedSegmentBySegment() throws {
        #expect(try sentPath(".argocd/application.yaml", as: .filePath) == "/x/.argocd/application.yaml")
        #expect(try sentPath("my apps/app v2.yaml", as: .filePath) == "/x/my%20apps/app%20v2.yaml")
        // A lone `%` is no escape: it is sent as `%25`.
        #expect(try sentPath("100%.yaml", as: .filePath) == "/x/100%25.yaml")
        #expect(try sentPath("a%zz/b%2", as: .filePath) == "/x/a%25zz/b%252")
        #expect(try sentPath("..x/...", as: .filePath) == "/x/..x/...")
        #expect(try sentPath("apps/a?b#c;d", as: .filePath) == "/x/apps/a%3Fb%23c%3Bd")
        // A fullwidth slash that normalises to a harmless `/` is one segment, encoded.
        #expect(try sentPath("apps\u{FF0F}app.yaml", as: .filePath) == "/x/apps%EF%BC%8Fapp.yaml")
        #expect(try sentPath("café.yaml", as: .filePath) == "/x/caf%C3%A9.yaml")
    }

    @Test func branchNamesFollowCheckRefFormat() {
        let hostile = [
            "", "..", "../main", "rollback/../main", "..%2fmain", "rollback/x..y", "a b", "a\tb", "a\nb", "a\0b",
            "a\u{7F}", "%2e%2e", "rollback%2Fx", "-x", "--force", "/main", "main/", "a//b", "main.lock",
            "rollback/x.lock/y", "main.",
            ".hidden", "rollback/.x", "main@{1}", "@", "a~1", "a^", "a:b", "a?", "a*", "a[0]", "a\\b",
            "rollback/\u{2025}", "rollback\u{3000}x", "rollback/\u{200B}x", String(repeating: "a", count: 256),
        ]
        for value in hostile {
            #expect(isRefused(value, as: .branch), "\(value.debugDescription) should be refused")
        }
        for value in ["main", "staging", "rollback/checkout-abc1234", "release/2024.1", "a@b", "50%off"] {
            #expect(!isRefused(value, as: .branch), "\(value) should be accepted")
        }
    }

    @Test func branchSlashesAreEncodedOrKeptAsTheRouteNeeds() throws {
        let oneSegment = try URLPath("/x").segment("rollback/checkout-abc1234", as: .branch).resolved(call: "test")
        #expect(oneSegment == "/x/rollback%2Fcheckout-abc1234")
        #expect(try sentPath("rollback/checkout-abc1234", as: .branch) == "/x/rollback/checkout-abc1234")
        #expect(try sentPath("50%off", as: .branch) == "/x/50%25off")
        #expect(try sentPath("rollback\u{FF0F}x", as: .branch) == "/x/rollback%EF%BC%8Fx")
    }

    @Test func shasAreExactlyFortyHexCharactersAndLowercased() throws {
        let sha = "0123456789abcdef0123456789abcdef01234567"
        #expect(try URLValueKind.sha.validate(sha) == sha)
        #expect(try URLValueKind.sha.validate(sha.uppercased()) == sha)
        for value in [
            "", sha + "8", String(sha.dropLast()), "g" + sha.dropFirst(), "../" + sha.dropFirst(3),
            String(sha.dropLast()) + "\n", "\u{FF10}" + sha.dropFirst(),
        ] {
            #expect(isRefused(value, as: .sha), "\(value.debugDescription) should be refused")
        }
        // A ref is a SHA (normalised) or else a branch name.
        #expect(try URLValueKind.gitRef.validate(sha.uppercased()) == sha)
        #expect(try URLValueKind.gitRef.validate("staging") == "staging")
        #expect(isRefused("../main", as: .gitRef))
    }

    @Test func githubOwnersAndRepositoryNames() {
        for owner in ["acme", "a", "acme-corp", "A1-b2", String(repeating: "a", count: 39)] {
            #expect(!isRefused(owner, as: .owner), "\(owner) should be accepted")
        }
        for owner in [
            "", "-acme", "acme-", "ac--me", "ac_me", "ac.me", "..", "ac me", "acme\n",
            String(repeating: "a", count: 40),
            "\u{FF41}cme",
        ] {
            #expect(isRefused(owner, as: .owner), "\(owner.debugDescription) should be refused")
        }
        for name in ["gitops", "git.ops", "git-ops_2", ".github", "..x", String(repeating: "r", count: 100)] {
            #expect(!isRefused(name, as: .repositoryName), "\(name) should be accepted")
        }
        for name in ["", ".", "..", "git ops", "git/ops", "git%2fops", "gitops\0", String(repeating: "r", count: 101)] {
            #expect(isRefused(name, as: .repositoryName), "\(name.debugDescription) should be refused")
        }
        for login in ["alice", "dev_carol", "github-actions[bot]"] {
            #expect(!isRefused(login, as: .login), "\(login) should be accepted")
        }
        for login in ["", "-alice", "al ice", "../alice", "alice[bot]x", "alice/x"] {
            #expect(isRefused(login, as: .login), "\(login.debugDescription) should be refused")
        }
    }

    @Test func repositoriesSplitIntoTwoCheckedSegments() throws {
        #expect(try URLPath("/repos").repository("acme/gitops").resolved(call: "test") == "/repos/acme/gitops")
        for repo in ["acme", "acme/", "/gitops", "acme/gitops/x", "../gitops", "acme/..", "acme/%2e%2e", "acme /x"] {
            #expect(URLPath("/repos").repository(repo).refusal != nil, "\(repo) should be refused")
        }
    }

    @Test func kubernetesNamesAreDNS1123() {
        for name in ["checkout", "web.prod", "a", "app-2", String(repeating: "a", count: 253)] {
            #expect(!isRefused(name, as: .applicationName), "\(name) should be accepted")
            #expect(!isRefused(name, as: .deploymentName), "\(name) should be accepted")
        }
        for name in [
            "", "Checkout", "check_out", "-app", "app-", "a..b", ".app", "app.", "../app", "app/x", "app name",
            "app\n", "\u{FF41}pp", String(repeating: "a", count: 254),
        ] {
            #expect(isRefused(name, as: .applicationName), "\(name.debugDescription) should be refused")
            #expect(isRefused(name, as: .deploymentName), "\(name.debugDescription) should be refused")
        }
        #expect(!isRefused("shop", as: .namespace))
        #expect(!isRefused(String(repeating: "n", count: 63), as: .namespace))
        for namespace in ["", "a.b", "Shop", "-shop", "..", String(repeating: "n", count: 64)] {
            #expect(isRefused(namespace, as: .namespace), "\(namespace) should be refused")
        }
    }
}
