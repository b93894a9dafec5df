// The Argo CD notification webhook of SPEC 16, over real HTTP on loopback: bearer token and
// app name required, bodies checked before anything is stored.
import Testing

/// SPEC section 16, the Argo CD webhook row.
@Suite struct ArgoCDWebhookTests {
    @Test func bearerTokenAndAppAreRequired() throws {
        let harness = try ServiceHarness()
        defer { harness.stop() }
        let good = Array(
            #"{"app":"guestbook","trigger":"on-health-degraded","health":"Degraded","revision":"abc"}"#.utf8)
        let ok = try harness.postArgoCD(body: good, authorization: "Bearer argocd-webhook-token-for-tests")
        #expect(ok.status == 202)
        #expect(try harness.postArgoCD(body: good, authorization: nil).status == 401)
        #expect(try harness.postArgoCD(body: good, authorization: "Bearer wrong").status == 401)
        #expect(try harness.postArgoCD(body: good, authorization: "Basic YTpi").status == 401)
        for bad in ["not json", "{}", #"{"app":5}"#, #"{"app":""}"#, "[]"] {
            let response = try harness.postArgoCD(
                body: Array(bad.utf8), authorization: "Bearer argocd-webhook-token-for-tests")
            #expect(response.status == 400, "\(bad)")
            #expect(response.json?["error"] as? String == "invalid_body")
        }
        let stored = try harness.accepted()
        #expect(stored.count == 1)
        #expect(stored.first?["source"] as? String == "argocd")
        #expect(stored.first?["event"] as? String == "on-health-degraded")
    }
}
