import HTTPServer
import Testing

@Suite struct RouterTests {
    private func pattern(_ router: Router, _ method: String, _ path: String) -> String {
        switch router.resolve(method: method, path: path) {
        case .found(_, let pattern, let parameters):
            return parameters.isEmpty
                ? pattern
                : pattern + " "
                    + parameters.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
        case .methodNotAllowed(let allowed): return "405 " + allowed.joined(separator: ",")
        case .notFound: return "404"
        }
    }

    @Test func literalAndParameterRoutesResolveInRegistrationOrder() {
        var router = Router()
        router.get("/api/v1/rollbacks/{id}") { _, _ in }
        router.get("/api/v1/rollbacks/active") { _, _ in }  // shadowed: the earlier route takes it
        router.post("/webhooks/github") { _, _ in }
        router.get("/healthz") { _, _ in }

        #expect(pattern(router, "GET", "/api/v1/rollbacks/active") == "/api/v1/rollbacks/{id} id=active")
        #expect(pattern(router, "GET", "/api/v1/rollbacks/r%2D1") == "/api/v1/rollbacks/{id} id=r-1")
        #expect(pattern(router, "POST", "/webhooks/github") == "/webhooks/github")
        #expect(pattern(router, "POST", "/webhooks/github/") == "/webhooks/github")  // same path, not the exact text
        #expect(pattern(router, "POST", "//webhooks//github") == "/webhooks/github")
        #expect(pattern(router, "GET", "/webhooks/github") == "405 POST")
        #expect(pattern(router, "HEAD", "/healthz") == "/healthz")
        #expect(pattern(router, "GET", "/webhooks") == "404")
    }
}
