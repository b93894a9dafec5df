import Clients
import Foundation
import HTTPServer
import Testing

@Suite("HTTPTransport over a local HTTPServer")
struct HTTPTransportTests {
    static let transport = HTTPTransport(
        configuration: .init(connectTimeout: .seconds(2), requestTimeout: .seconds(10), maxResponseBytes: 64 * 1024))

    @Test func getCapturesStatusHeadersAndSendsRequestHeaders() async throws {
        let seen = Locked<HTTPRequest?>(nil)
        var router = Router()
        router.get("/hello") { req, r in
            seen.withLock { $0 = req }
            r.respond(
                HTTPResponse(
                    status: 200, headers: [("X-Thing", "abc"), ("Content-Type", "text/plain")], body: Array("hi".utf8)))
        }
        let server = try startServer(router)
        defer { server.stop() }
        let resp = try await withTimeout {
            try await Self.transport.send(
                OutboundRequest(
                    method: "GET", url: "http://127.0.0.1:\(server.port)/hello?x=1",
                    headers: [("X-Test", "yes"), ("User-Agent", "ai-operator/test")]))
        }
        #expect(resp.status == 200)
        #expect(resp.text == "hi")
        #expect(resp.header("X-Thing") == "abc")
        #expect(resp.headers["content-type"] == "text/plain")
        #expect(seen.current?.header("x-test") == "yes")
        #expect(seen.current?.header("user-agent") == "ai-operator/test")
        #expect(seen.current?.query["x"] == "1")
    }

    @Test func bodiesArriveForPostPutPatch() async throws {
        var router = Router()
        for method in ["POST", "PUT", "PATCH", "DELETE"] {
            router.add(method, "/echo") { req, r in
                r.respond(HTTPResponse(status: 201, headers: [("X-Method", req.method)], body: req.body))
            }
        }
        let server = try startServer(router)
        defer { server.stop() }
        for method in ["POST", "PUT", "PATCH"] {
            let body = Array("{\"m\":\"\(method)\"}".utf8) + Array(repeating: UInt8(ascii: " "), count: 3000)
            let resp = try await withTimeout {
                try await Self.transport.send(
                    OutboundRequest(
                        method: method, url: "http://127.0.0.1:\(server.port)/echo",
                        headers: [("Content-Type", "application/json")], body: body))
            }
            #expect(resp.status == 201)
            #expect(resp.header("x-method") == method)
            #expect(resp.body == body)
        }
        let empty = try await Self.transport.send(
            OutboundRequest(method: "POST", url: "http://127.0.0.1:\(server.port)/echo"))
        #expect(empty.status == 201 && empty.body.isEmpty)
        let del = try await Self.transport.send(
            OutboundRequest(method: "DELETE", url: "http://127.0.0.1:\(server.port)/echo"))
        #expect(del.header("x-method") == "DELETE")
    }

    @Test func connectionsAreReused() async throws {
        var router = Router()
        router.get("/ok") { _, r in r.respond(.text(200, "ok")) }
        let server = try startServer(router)
        defer { server.stop() }
        let transport = HTTPTransport()
        defer { transport.shutdown() }
        let first = try await transport.send(OutboundRequest(method: "GET", url: "http://127.0.0.1:\(server.port)/ok"))
        let second = try await transport.send(OutboundRequest(method: "GET", url: "http://127.0.0.1:\(server.port)/ok"))
        #expect(!first.reusedConnection)
        #expect(second.reusedConnection)
    }

    @Test func responseSizeCapFailsTheTransfer() async throws {
        var router = Router()
        router.get("/big") { _, r in r.respond(HTTPResponse(status: 200, body: Array(repeating: 65, count: 200 * 1024)))
        }
        let server = try startServer(router)
        defer { server.stop() }
        await #expect(throws: TransportError.self) {
            _ = try await withTimeout {
                try await Self.transport.send(
                    OutboundRequest(method: "GET", url: "http://127.0.0.1:\(server.port)/big"))
            }
        }
        do {
            _ = try await Self.transport.send(
                OutboundRequest(method: "GET", url: "http://127.0.0.1:\(server.port)/big"))
        } catch let transportError as TransportError {
            #expect(transportError.kind == .responseTooLarge)
        }
    }

    @Test func connectionRefusedAndTimeoutAreTransportErrors() async throws {
        // A port nobody listens on: bind a server, note the port, stop it.
        let stoppedServer = try startServer(Router())
        let port = stoppedServer.port
        stoppedServer.stop()
        do {
            _ = try await withTimeout {
                try await Self.transport.send(OutboundRequest(method: "GET", url: "http://127.0.0.1:\(port)/x"))
            }
            Issue.record("expected a failure")
        } catch let transportError as TransportError {
            #expect(transportError.kind == .connectFailed)
        }

        var router = Router()
        let held = Locked<[HTTPResponder]>([])
        router.get("/slow") { _, r in held.withLock { $0.append(r) } }
        let server = try startServer(router)
        defer {
            for request in held.current { request.respond(.text(200, "late")) }
            server.stop()
        }
        do {
            _ = try await withTimeout {
                try await Self.transport.send(
                    OutboundRequest(
                        method: "GET", url: "http://127.0.0.1:\(server.port)/slow", timeout: .milliseconds(200)))
            }
            Issue.record("expected a timeout")
        } catch let transportError as TransportError {
            #expect(transportError.kind == .timedOut)
        }
    }

    @Test func errorsNeverContainTheAuthorizationHeader() async throws {
        let secret = "ghs_supersecretvalue123"
        let stoppedServer = try startServer(Router())
        let port = stoppedServer.port
        stoppedServer.stop()
        do {
            _ = try await Self.transport.send(
                OutboundRequest(
                    method: "GET", url: "http://127.0.0.1:\(port)/x",
                    headers: [("Authorization", "Bearer \(secret)")]))
        } catch {
            #expect(!String(describing: error).contains(secret))
            #expect(!"\(error)".contains("Authorization"))
        }
    }

    @Test func cancellationEndsAStuckRequest() async throws {
        var router = Router()
        let held = Locked<[HTTPResponder]>([])
        router.get("/never") { _, r in held.withLock { $0.append(r) } }
        let server = try startServer(router)
        defer {
            for request in held.current { request.respond(.text(200, "late")) }
            server.stop()
        }
        let task = Task {
            try await Self.transport.send(OutboundRequest(method: "GET", url: "http://127.0.0.1:\(server.port)/never"))
        }
        try await Task.sleep(for: .milliseconds(100))
        task.cancel()
        let result = try await withTimeout(5) { await task.result }
        #expect(throws: CancellationError.self) { try result.get() }
    }
}
