// The request deadline: a request must arrive whole within it from its first byte, however
// often a byte comes; a client that keeps within it is served.
import Foundation
import HTTPServer
import TestSupport
import Testing

@Suite struct RequestDeadlineTests {
    /// A short deadline, and an idle timeout far longer: only the deadline can close these.
    private let configuration = HTTPServer.Configuration(connectionTimeoutSeconds: 30, requestDeadlineSeconds: 2)

    @Test func aClientDrippingItsHeadersIsDisconnectedAtTheDeadline() throws {
        try withServer(echoRouter(), configuration: configuration) { server in
            let result = try SlowClient.send(
                port: server.port, head: Array("POST /echo HTTP/1.1\r\n".utf8),
                trickle: Array("Host: x\r\nX-Padding: \(String(repeating: "a", count: 60))\r\n".utf8),
                interval: 1, limit: 10)
            let closed = try #require(result.closedAfter, "the connection stayed open for 10 s")
            #expect(closed >= 1.9 && closed <= 4, "closed after \(closed) s")
            #expect(server.inFlightCount == 0)
        }
    }

    @Test func aClientDrippingItsBodyIsDisconnectedAtTheDeadline() throws {
        let reached = ResultBox()
        var router = Router()
        router.post("/echo") { req, res in
            reached.add(true)
            res.respond(.text(200, "\(req.body.count)"))
        }
        try withServer(router, configuration: configuration) { server in
            let result = try SlowClient.send(
                port: server.port,
                head: Array("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 60\r\n\r\n".utf8),
                trickle: [UInt8](repeating: 65, count: 60), interval: 1, limit: 10)
            let closed = try #require(result.closedAfter, "the connection stayed open for 10 s")
            #expect(closed >= 1.9 && closed <= 4, "closed after \(closed) s")
            #expect(reached.count == 0)
            #expect(eventually(within: 2) { server.inFlightCount == 0 })
        }
    }

    @Test func aSlowButTimelyClientIsServed() throws {
        try withServer(echoRouter(), configuration: configuration) { server in
            // Idle gaps of 0.3 s, the whole request in about 1.2 s: within the deadline.
            let body = Array("0123".utf8)
            let result = try SlowClient.send(
                port: server.port,
                head: Array("POST /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 4\r\n\r\n".utf8),
                trickle: body, interval: 0.3, limit: 5)
            let response = try RawHTTP.parse(result.answer)
            #expect(response.status == 200)
            #expect(response.body == body)
        }
    }
}
