import Foundation
import Simulator
import Testing

@testable import Clients

@Suite struct PolicyAndCredentialTests {
    @Test func rateLimitWaitPrefersRetryAfterThenResetThenDefault() {
        let policy = RetryPolicy()
        let now = Date(timeIntervalSince1970: 1_000_000)
        #expect(
            policy.rateLimitWait(OutboundResponse(status: 429, headers: ["retry-after": "12"]), now: now)
                == .seconds(12))
        #expect(
            policy.rateLimitWait(
                OutboundResponse(status: 403, headers: ["x-ratelimit-remaining": "0", "x-ratelimit-reset": "1000030"]),
                now: now) == .seconds(30))
        #expect(
            policy.rateLimitWait(
                OutboundResponse(status: 403, headers: ["x-ratelimit-remaining": "0", "x-ratelimit-reset": "999000"]),
                now: now) == .seconds(0))
        #expect(policy.rateLimitWait(OutboundResponse(status: 403, headers: [:]), now: now) == .seconds(60))
    }

    @Test func githubClassification() {
        func code(_ status: Int, _ headers: [String: String] = [:], _ message: String = "x") -> APIErrorCode? {
            GitHubClient.classify(
                OutboundResponse(status: status, headers: headers, body: Array("{\"message\":\"\(message)\"}".utf8)))?
                .code
        }
        #expect(code(200) == nil)
        #expect(code(304) == nil)
        #expect(code(401) == .unauthorized)
        #expect(code(403) == .permissionDenied)
        #expect(code(403, ["x-ratelimit-remaining": "0"]) == .rateLimitExceeded)
        #expect(code(403, [:], "You have exceeded a secondary rate limit") == .rateLimitExceeded)
        #expect(code(429) == .rateLimitExceeded)
        #expect(code(404) == .notFound)
        #expect(code(409) == .conflict)
        #expect(code(422, [:], "Reference already exists") == .conflict)
        #expect(code(422) == .validationError)
        #expect(code(500) == .networkError)
        #expect(code(502) == .networkError)
    }

    @Test func appJWTIsRS256WithGitHubsClaims() throws {
        let keys = try #require(SimulatorCrypto.generateRSAKeyPair(bits: 2048))
        let key = try RSASigningKey(pem: Secret(keys.privatePEM))
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        let jwt = try AppJWT.make(issuer: "12345", key: key, now: now)
        let parts = jwt.split(separator: ".")
        #expect(parts.count == 3)
        #expect(!jwt.contains("=") && !jwt.contains("+") && !jwt.contains("/"))
        let header = try #require(SimulatorCrypto.base64URLDecode(parts[0]))
        #expect(String(decoding: header, as: UTF8.self) == #"{"alg":"RS256","typ":"JWT"}"#)
        let claims = try #require(
            SimulatorCrypto.base64URLDecode(parts[1]).flatMap {
                try? JSONSerialization.jsonObject(with: Data($0)) as? [String: Any]
            })
        #expect(claims["iat"] as? Int == 1_700_000_000 - 60)
        #expect(claims["exp"] as? Int == 1_700_000_000 + 540)
        #expect(claims["iss"] as? Int == 12345)
        let sig = try #require(SimulatorCrypto.base64URLDecode(parts[2]))
        #expect(
            SimulatorCrypto.verifyRS256(
                publicKeyPEM: keys.publicPEM, signingInput: Array("\(parts[0]).\(parts[1])".utf8), signature: sig))
        let clientID = try AppJWT.make(issuer: "Iv1.abc", key: key, now: now)
        let c2 = try #require(
            SimulatorCrypto.base64URLDecode(clientID.split(separator: ".")[1]).flatMap {
                try? JSONSerialization.jsonObject(with: Data($0)) as? [String: Any]
            })
        #expect(c2["iss"] as? String == "Iv1.abc")
    }

    @Test func redactorAndSecretDescriptions() {
        let redactor = SecretRedactor([Secret("topsecret-123"), Secret("abc")])
        #expect(redactor.redact("token topsecret-123 and abc") == "token [REDACTED] and abc")
        let secret = Secret("topsecret-123")
        #expect("\(secret)" == "<redacted>")
        #expect(String(reflecting: secret) == "<redacted>")
        var dumped = ""
        dump(secret, to: &dumped)
        #expect(!dumped.contains("topsecret"))
    }

    @Test func urlPartsAreEncoded() throws {
        let file = URLPath("/contents").segments(".argocd/app lication.yaml", as: .filePath)
        #expect(try file.resolved(call: "test") == "/contents/.argocd/app%20lication.yaml")
        let branch = URLPath("/branch").segment("rollback/x", as: .branch)
        #expect(try branch.resolved(call: "test") == "/branch/rollback%2Fx")
        #expect(
            URLPath.encodeQuery([("query", #"up{app="a"}[24h] + 1"#), ("skip", nil)])
                == "?query=up%7Bapp%3D%22a%22%7D%5B24h%5D%20%2B%201")
    }
}
