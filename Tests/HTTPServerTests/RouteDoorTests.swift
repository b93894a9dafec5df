// Each route's door, judged on the head before any body byte is read: body limits (none for
// GET), screens, the in-flight body budget, and metric labels from closed sets.
import Foundation
import HTTPServer
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct RouteDoorTests {
    /// Sends a head that declares a large body, and a few bytes of it; returns the answer and how
    /// long it took (the body is never sent whole, so an answer means it was not waited for).
    private func declareLargeBody(port: Int, method: String, path: String, headers: String = "") throws -> (
        RawHTTPResponse, Double
    ) {
        let start = Date()
        let fd = try RawHTTP.connect(port: port, timeout: 5)
        defer { close(fd) }
        let head = "\(method) \(path) HTTP/1.1\r\nHost: x\r\n\(headers)Content-Length: \(25 * 1024 * 1024)\r\n\r\n"
        try RawHTTP.writeAll(fd, Array(head.utf8) + Array("{\"a\":".utf8))
        let response = try RawHTTP.parse(try RawHTTP.readAll(fd))
        return (response, Date().timeIntervalSince(start))
    }

    @Test func aGETRouteTakesNoBodyAndRefusesOneBeforeReadingIt() throws {
        try withServer(echoRouter()) { server in
            let (response, seconds) = try declareLargeBody(port: server.port, method: "GET", path: "/items/1")
            #expect(response.status == 413)
            #expect(response.json?["error"] as? String == "payload_too_large")
            #expect(seconds < 1)
            // Chunked is refused as well; without a body a GET is served.
            let chunked = try RawHTTP.send(
                port: server.port,
                bytes: Array("GET /items/1 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n".utf8), timeout: 5)
            #expect(chunked.status == 413)
            #expect(try RawHTTP.request(port: server.port, method: "GET", path: "/items/1").status == 200)
        }
    }

    @Test func unknownPathsAreAnsweredBeforeTheirBodyIsRead() throws {
        try withServer(echoRouter()) { server in
            let (notFound, seconds) = try declareLargeBody(port: server.port, method: "POST", path: "/nowhere")
            #expect(notFound.status == 404)
            #expect(seconds < 1)
            let (notAllowed, _) = try declareLargeBody(port: server.port, method: "PUT", path: "/echo")
            #expect(notAllowed.status == 405)
        }
    }

    @Test func aRouteLimitIsHeldForDeclaredAndChunkedBodies() throws {
        let refusals = ResultBox()
        var router = Router()
        router.post(
            "/small", options: RouteOptions(maxBodyBytes: 1024, refused: { _, status in refusals.record(status) })
        ) { req, res in res.respond(.text(200, "\(req.body.count)")) }
        try withServer(router) { server in
            let (declared, seconds) = try declareLargeBody(port: server.port, method: "POST", path: "/small")
            #expect(declared.status == 413)
            #expect(seconds < 1)
            let edge = try RawHTTP.request(
                port: server.port, method: "POST", path: "/small", body: [UInt8](repeating: 66, count: 1024))
            #expect(edge.text == "1024")
            // A chunked body past the limit: 413 and the connection closed, though the client
            // never ends its body.
            let head = "POST /small HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
            let chunk = Array("400\r\n".utf8) + [UInt8](repeating: 65, count: 1024) + Array("\r\n".utf8)
            let result = try SlowClient.send(
                port: server.port, head: Array(head.utf8) + chunk + chunk, trickle: [], interval: 0.1, limit: 5)
            #expect(result.closedAfter != nil)
            #expect((try? RawHTTP.parse(result.answer))?.status == 413)
            #expect(refusals.values == [413, 413])
        }
    }

    @Test func aScreenRefusesOnTheHeadAlone() throws {
        let handled = ResultBox()
        var router = Router()
        let screen: @Sendable (HTTPRequest) -> HTTPResponse? = { head in
            #expect(head.body.isEmpty)
            return head.header("x-key") == "open" ? nil : .error(401, "unauthorized", "X-Key is required")
        }
        router.post("/guarded", options: RouteOptions(screen: screen)) { req, res in
            handled.add(true)
            res.respond(.text(200, String(decoding: req.body, as: UTF8.self)))
        }
        try withServer(router) { server in
            let (refused, seconds) = try declareLargeBody(port: server.port, method: "POST", path: "/guarded")
            #expect(refused.status == 401)
            #expect(seconds < 1)
            #expect(handled.count == 0)
            let opened = try RawHTTP.request(
                port: server.port, method: "POST", path: "/guarded", headers: [("X-Key", "open")],
                body: Array("hello".utf8))
            #expect(opened.text == "hello")
        }
    }

    @Test func bodiesBeyondTheInFlightBudgetAre503() throws {
        let held = SuspendedConnectionsTests.Held()
        var router = Router()
        router.post("/hold") { _, res in held.add(res) }
        router.post("/echo") { req, res in res.respond(.text(200, "\(req.body.count)")) }
        let configuration = HTTPServer.Configuration(inFlightBodyBudget: 64 * 1024)
        try withServer(router, configuration: configuration) { server in
            let port = server.port
            let first = DispatchSemaphore(value: 0)
            let firstStatus = ResultBox()
            Thread.detachNewThread {
                let body = [UInt8](repeating: 1, count: 40 * 1024)
                firstStatus.record(
                    (try? RawHTTP.request(port: port, method: "POST", path: "/hold", body: body, timeout: 20))?.status
                        ?? -1)
                first.signal()
            }
            #expect(eventually(within: 10) { held.count == 1 })
            // 40 KiB are held: another 40 KiB would pass the 64 KiB budget.
            let refused = try RawHTTP.request(
                port: port, method: "POST", path: "/echo", body: [UInt8](repeating: 2, count: 40 * 1024))
            #expect(refused.status == 503)
            #expect(refused.json?["error"] as? String == "overloaded")
            #expect(refused.header("retry-after") == "1")
            // A chunked body is held to the same budget as it arrives.
            let head = "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
            let chunk = Array("8000\r\n".utf8) + [UInt8](repeating: 65, count: 0x8000) + Array("\r\n".utf8)
            let result = try SlowClient.send(
                port: port, head: Array(head.utf8) + chunk, trickle: [], interval: 0.1, limit: 5)
            #expect((try? RawHTTP.parse(result.answer))?.status == 503)
            // Smaller bodies still fit, and once the held request is answered its share is free.
            #expect(try RawHTTP.request(port: port, method: "POST", path: "/echo", body: [3, 4]).text == "2")
            held.releaseAll()
            #expect(first.wait(timeout: .now() + 20) == .success)
            #expect(firstStatus.values == [200])
            let after = try RawHTTP.request(
                port: port, method: "POST", path: "/echo", body: [UInt8](repeating: 5, count: 40 * 1024))
            #expect(after.text == "\(40 * 1024)")
        }
    }

    @Test func observedLabelsComeFromClosedSets() throws {
        let seen = LabelBox()
        let observer: @Sendable (HTTPServer.Completed) -> Void = { seen.add($0) }
        try withServer(echoRouter(), configuration: HTTPServer.Configuration(), observer: observer) { server in
            for method in ["GET", "get", "BREW", "DELETE", "HEAD", "POST", "X-\(UUID().uuidString)"] {
                for path in ["/items/1", "/echo", "/no/such/\(UUID().uuidString)"] {
                    _ = try? RawHTTP.request(port: server.port, method: method, path: path, timeout: 5)
                }
            }
            #expect(eventually(within: 5) { seen.all.count == 21 })
        }
        let methods = Set(seen.all.map(\.method))
        let routes = Set(seen.all.map(\.route))
        #expect(methods.isSubset(of: ["GET", "POST", "HEAD", "other"]))
        #expect(methods.contains("other"))
        #expect(routes.isSubset(of: ["/items/{id}", "/echo", "unmatched"]))
    }
}

/// What the server's observer reported, from any thread.
final class LabelBox: @unchecked Sendable {
    private let lock = NSLock()
    private var completed: [HTTPServer.Completed] = []
    func add(_ done: HTTPServer.Completed) {
        lock.lock()
        completed.append(done)
        lock.unlock()
    }
    var all: [HTTPServer.Completed] {
        lock.lock()
        defer { lock.unlock() }
        return completed
    }
}
