import Foundation
import HTTPServer
import TestSupport
import Testing

/// Serving: ports, routing, headers and answers given now, later or not at all.
@Suite struct HTTPServerTests {
    @Test func picksAFreePortAndServes() throws {
        try withServer(echoRouter()) { server in
            #expect(server.port > 0)
            let response = try RawHTTP.request(port: server.port, method: "GET", path: "/items/abc?q=x%20y")
            #expect(response.status == 200)
            #expect(response.json?["id"] as? String == "abc")
            #expect(response.json?["q"] as? String == "x y")
            #expect(response.json?["route"] as? String == "/items/{id}")
        }
    }

    @Test func headerNamesReachHandlersLowercasedWhateverTheirCase() throws {
        try withServer(echoRouter()) { server in
            let response = try RawHTTP.request(
                port: server.port, method: "GET", path: "/headers",
                headers: [
                    ("X-GitHub-Delivery", "AbC-1"), ("x-hub-signature-256", "sha256=Ff"),
                    ("X-MIXED-case_9", "v"),
                ])
            #expect(response.status == 200)
            #expect(response.json?["x-github-delivery"] as? String == "AbC-1")  // values keep their case
            #expect(response.json?["x-hub-signature-256"] as? String == "sha256=Ff")
            #expect(response.json?["x-mixed-case_9"] as? String == "v")
            #expect(response.json?["X-GitHub-Delivery"] == nil)
        }
    }

    @Test func unknownPathIs404AndWrongMethodIs405WithJSONErrors() throws {
        try withServer(echoRouter()) { server in
            let notFound = try RawHTTP.request(port: server.port, method: "GET", path: "/nope")
            #expect(notFound.status == 404)
            #expect(notFound.json?["error"] as? String == "not_found")
            #expect(notFound.header("content-type") == "application/json")
            let notAllowed = try RawHTTP.request(port: server.port, method: "DELETE", path: "/echo")
            #expect(notAllowed.status == 405)
            #expect(notAllowed.json?["error"] as? String == "method_not_allowed")
            #expect(notAllowed.header("allow") == "POST")
        }
    }

    @Test func dropConnectionClosesWithoutAnAnswer() throws {
        try withServer(echoRouter()) { server in
            #expect(throws: RawHTTPError.self) {
                try RawHTTP.request(port: server.port, method: "GET", path: "/drop", timeout: 5)
            }
            let after = try RawHTTP.request(port: server.port, method: "GET", path: "/items/2")
            #expect(after.status == 200)
        }
    }

    @Test func deferredAnswersResumeTheConnection() throws {
        try withServer(echoRouter()) { server in
            let response = try RawHTTP.request(port: server.port, method: "GET", path: "/later")
            #expect(response.status == 200)
            #expect(response.text == "later")
        }
    }

    @Test func manyConcurrentDeferredRequestsAreAllAnswered() throws {
        try withServer(echoRouter()) { server in
            let port = server.port
            let results = ResultBox()
            // 100 client threads at once (not a 2-thread pool), each with one immediate and one deferred request.
            let group = DispatchGroup()
            for i in 0..<100 {
                group.enter()
                Thread.detachNewThread {
                    let body = Array("request-\(i)".utf8)
                    let status =
                        (try? RawHTTP.request(port: port, method: "POST", path: "/echo", body: body))
                        .map { $0.status == 200 && $0.body == body } ?? false
                    let later = (try? RawHTTP.request(port: port, method: "GET", path: "/later"))?.status == 200
                    results.add(status && later)
                    group.leave()
                }
            }
            #expect(group.wait(timeout: .now() + 30) == .success)
            #expect(results.count == 100)
            #expect(results.allTrue)
        }
    }

    @Test func listenAddressesAreValidated() {
        let bad = HTTPServer(configuration: .init(address: "nonsense"), router: Router())
        #expect(throws: HTTPServerError.self) { try bad.start() }
        let badPort = HTTPServer(configuration: .init(address: "127.0.0.1:99999"), router: Router())
        #expect(throws: HTTPServerError.self) { try badPort.start() }
    }
}
