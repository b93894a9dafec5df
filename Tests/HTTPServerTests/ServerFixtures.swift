// What the server tests share: a server on a free port, a router with echo, deferred and
// dropped answers, a request held in flight, and a collector of results from any thread.
import Foundation
import HTTPServer
import TestSupport

/// Starts a server on a free loopback port, runs `body`, and always stops it.
func withServer<T>(
    _ router: Router, maxBody: Int = 25 * 1024 * 1024,
    memoryLimit: Int = HTTPServer.Configuration().connectionMemoryLimit,
    grace: Double = 5, _ body: (HTTPServer) throws -> T
) throws -> T {
    let server = HTTPServer(
        configuration: .init(
            address: "127.0.0.1:0", threads: 2, connectionTimeoutSeconds: 5,
            connectionMemoryLimit: memoryLimit, maxBodyBytes: maxBody,
            shutdownGraceSeconds: grace),
        router: router)
    try server.start()
    defer { server.stop() }
    return try body(server)
}

/// A loopback server with a configuration of the test's own (address and threads set here).
func withServer<T>(
    _ router: Router, configuration: HTTPServer.Configuration,
    observer: (@Sendable (HTTPServer.Completed) -> Void)? = nil, _ body: (HTTPServer) throws -> T
) throws -> T {
    var local = configuration
    local.address = "127.0.0.1:0"
    local.threads = 2
    let server = HTTPServer(configuration: local, router: router, observer: observer)
    try server.start()
    defer { server.stop() }
    return try body(server)
}

func echoRouter() -> Router {
    var router = Router()
    router.post("/echo") { req, res in
        res.respond(
            HTTPResponse(
                status: 200,
                headers: [
                    ("Content-Type", "application/octet-stream"),
                    ("X-Length", String(req.body.count)),
                ], body: req.body))
    }
    router.get("/items/{id}") { req, res in
        res.respond(
            .json(200, ["id": req.pathParameters["id"] ?? "", "q": req.query["q"] ?? "", "route": req.routePattern]))
    }
    router.get("/drop") { _, res in res.respond(.dropConnection) }
    router.get("/headers") { req, res in
        // Every header the handler sees, as a JSON object (names as the handler gets them).
        res.respond(.json(200, req.headers))
    }
    router.get("/later") { _, res in
        // Answer from another thread after the handler returned: the connection is suspended meanwhile.
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.05) { res.respond(.text(200, "later")) }
    }
    return router
}

/// A started server whose `GET /slow` answers "finished" only once released, with one such
/// request already sent from another thread and (waited for, bounded) in flight.
final class HeldRequest: @unchecked Sendable {
    let server: HTTPServer
    let port: Int
    private let gate = DispatchSemaphore(value: 0)
    private let answered = ResultBox()
    private let done = DispatchSemaphore(value: 0)

    init(grace: Double, routes: (inout Router) -> Void = { _ in }) throws {
        var router = Router()
        let gate = self.gate
        router.get("/slow") { _, res in
            DispatchQueue.global().async {
                _ = gate.wait(timeout: .now() + 10)
                res.respond(.text(200, "finished"))
            }
        }
        routes(&router)
        let server = HTTPServer(
            configuration: .init(address: "127.0.0.1:0", threads: 2, shutdownGraceSeconds: grace), router: router)
        try server.start()
        self.server = server
        let port = server.port
        self.port = port
        let (answered, done) = (self.answered, self.done)
        DispatchQueue.global().async {
            answered.add(
                (try? RawHTTP.request(port: port, method: "GET", path: "/slow", timeout: 15))?.text == "finished")
            done.signal()
        }
        _ = eventually(within: 5) { server.inFlightCount == 1 }
    }

    /// Lets the held request answer, now or after `seconds`.
    func release(after seconds: Double = 0) {
        DispatchQueue.global().asyncAfter(deadline: .now() + seconds) { [gate] in gate.signal() }
    }

    /// Whether the held request got its "finished" answer (waits up to 15 s for it).
    func finished() -> Bool {
        done.wait(timeout: .now() + 15) == .success && answered.allTrue && answered.count == 1
    }
}

final class ResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private var bools: [Bool] = []
    private var ints: [Int] = []
    func add(_ value: Bool) {
        lock.lock()
        bools.append(value)
        lock.unlock()
    }
    func record(_ value: Int) {
        lock.lock()
        ints.append(value)
        lock.unlock()
    }
    var count: Int {
        lock.lock()
        defer { lock.unlock() }
        return bools.count
    }
    var allTrue: Bool {
        lock.lock()
        defer { lock.unlock() }
        return bools.allSatisfy { $0 }
    }
    var values: [Int] {
        lock.lock()
        defer { lock.unlock() }
        return ints
    }
}
