import Clients
import Foundation
import Simulator
import TestSupport
import Testing

@Suite("GitHub App authentication against the simulator")
struct GitHubAppTests {
    struct AppFixture {
        let sim: GitHubSimulator
        let harness = Harness()
        let client: GitHubClient
        let privatePEM: String

        init(lifetime: TimeInterval = 3600) throws {
            sim = GitHubSimulator(tokens: [])
            try sim.start()
            // A fresh key pair generated with libcrypto for this test.
            let keys = try #require(SimulatorCrypto.generateRSAKeyPair(bits: 2048))
            privatePEM = keys.privatePEM
            sim.configureApp(appID: 424242, publicKeyPEM: keys.publicPEM, installationID: 99)
            sim.installationTokenLifetime = lifetime
            sim.createRepository("acme/gitops")
            let dir = TemporaryDirectory("app-key")
            let keyFile = dir.path + "/app.pem"
            try keys.privatePEM.write(toFile: keyFile, atomically: true, encoding: .utf8)
            let creds = try AppCredentials.load(appID: "424242", privateKeyFile: keyFile, installationID: 99)
            dir.remove()
            #expect(!"\(creds)".contains("PRIVATE KEY"))
            client = try GitHubClient(baseURL: sim.baseURL, credentials: .app(creds), context: harness.context)
        }
    }

    @Test func installationTokenIsMintedCachedAndRefreshedOnceOn401() async throws {
        let fixture = try AppFixture()
        defer { fixture.sim.stop() }
        _ = try await fixture.client.getBranch(repo: "acme/gitops", branch: "main")
        _ = try await fixture.client.getBranch(repo: "acme/gitops", branch: "main")
        #expect(fixture.sim.mintedTokenCount == 1)
        #expect(await fixture.client.tokenExchanges == 1)
        let exchange = try #require(fixture.sim.requestLog.first)
        #expect(exchange.path == "/app/installations/99/access_tokens")
        #expect(fixture.harness.last("github.createInstallationToken")?.result == "ok")

        // The token expires early (revoked): the call gets 401, mints a new token, retries once.
        fixture.sim.expireInstallationTokens()
        let ref = try await fixture.client.getBranch(repo: "acme/gitops", branch: "main")
        #expect(!ref.sha.isEmpty)
        #expect(fixture.sim.mintedTokenCount == 2)
        #expect(fixture.harness.last("github.getRef")?.retryCount == 1)
        #expect(fixture.harness.last("github.getRef")?.result == "ok")
        #expect(fixture.harness.delays.isEmpty)
    }

    @Test func concurrentCallsShareOneExchange() async throws {
        let fixture = try AppFixture()
        defer { fixture.sim.stop() }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<10 {
                group.addTask { _ = try await fixture.client.getBranch(repo: "acme/gitops", branch: "main") }
            }
            try await group.waitForAll()
        }
        #expect(fixture.sim.mintedTokenCount == 1)
    }

    @Test func aTokenWithinFiveMinutesOfExpiryIsReplaced() async throws {
        // Tokens that live 4 minutes are always inside the 5-minute margin: every call mints.
        let fixture = try AppFixture(lifetime: 240)
        defer { fixture.sim.stop() }
        _ = try await fixture.client.getBranch(repo: "acme/gitops", branch: "main")
        _ = try await fixture.client.getBranch(repo: "acme/gitops", branch: "main")
        #expect(fixture.sim.mintedTokenCount == 2)
    }

    @Test func persistent401IsPermissionDeniedAfterOneRefresh() async throws {
        let fixture = try AppFixture()
        defer { fixture.sim.stop() }
        fixture.sim.faults.inject(.unauthorized, method: "GET", path: "/repos/acme/gitops/git/ref/**", count: 5)
        let failure = await apiError { try await fixture.client.getBranch(repo: "acme/gitops", branch: "main") }
        #expect(failure?.code == .permissionDenied)
        #expect(fixture.harness.last("github.getRef")?.retryCount == 1)
        #expect(fixture.sim.mintedTokenCount == 2)
    }

    @Test func aWrongKeyIsRejectedByTheSimulator() async throws {
        let sim = GitHubSimulator(tokens: [])
        try sim.start()
        defer { sim.stop() }
        let real = try #require(SimulatorCrypto.generateRSAKeyPair(bits: 2048))
        let other = try #require(SimulatorCrypto.generateRSAKeyPair(bits: 2048))
        sim.configureApp(appID: 1, publicKeyPEM: real.publicPEM, installationID: 5)
        sim.createRepository("acme/gitops")
        let harness = Harness()
        let client = try GitHubClient(
            baseURL: sim.baseURL,
            credentials: .app(AppCredentials(appID: "1", privateKeyPEM: Secret(other.privatePEM), installationID: 5)),
            context: harness.context)
        let failure = await apiError { try await client.getBranch(repo: "acme/gitops", branch: "main") }
        #expect(failure?.code == .permissionDenied)
        #expect(harness.last("github.createInstallationToken")?.result == "PERMISSION_DENIED")

        let garbage = await apiError {
            try GitHubClient(
                baseURL: sim.baseURL,
                credentials: .app(
                    AppCredentials(
                        appID: "1", privateKeyPEM: Secret("-----BEGIN RSA PRIVATE KEY-----\nnope\n"), installationID: 5)
                ),
                context: harness.context)
        }
        #expect(garbage?.code == .validationError)
        #expect(garbage?.message.contains("nope") == false)
    }
}
