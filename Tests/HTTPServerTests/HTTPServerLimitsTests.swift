import Foundation
import HTTPServer
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Requests at and past the server's limits (header and body sizes, the 413 cap), and input that
/// is not HTTP at all: each gets its answer and never keeps other requests from being served.
@Suite struct HTTPServerLimitsTests {
    /// The per-connection memory (the default) holds far more headers than webhooks bring, even
    /// behind proxies that add their own: 16 KiB of them reach the handler whole.
    @Test func sixteenKilobytesOfHeadersFitTheDefaultConnectionMemory() throws {
        try withServer(echoRouter()) { server in
            let headers = (0..<16).map { i in
                ("X-Padding-\(i)", String(repeating: Character(String(i % 10)), count: 1000))
            }
            let response = try RawHTTP.request(port: server.port, method: "GET", path: "/headers", headers: headers)
            #expect(response.status == 200)
            let whole = headers.filter { name, value in response.json?[name.lowercased()] as? String == value }
            #expect(whole.count == headers.count)
        }
    }

    @Test func bodyLargerThanTheConnectionMemoryLimitArrivesWhole() throws {
        try withServer(echoRouter(), memoryLimit: 32 * 1024) { server in
            var body = [UInt8](repeating: 0, count: 300_000)
            for i in body.indices { body[i] = UInt8(truncatingIfNeeded: i &* 31) }
            let response = try RawHTTP.request(port: server.port, method: "POST", path: "/echo", body: body)
            #expect(response.status == 200)
            #expect(response.body == body)
        }
    }

    @Test func declaredLengthOverTheCapIs413BeforeTheBodyIsRead() throws {
        try withServer(echoRouter(), maxBody: 1024) { server in
            // Declares 10 MB but sends only the head: the answer must come without the body.
            let head = "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\n"
            let response = try RawHTTP.send(port: server.port, bytes: Array(head.utf8), timeout: 5)
            #expect(response.status == 413)
            #expect(response.json?["error"] as? String == "payload_too_large")
        }
    }

    @Test func chunkedBodyOverTheCapIs413() throws {
        try withServer(echoRouter(), maxBody: 1024) { server in
            var raw = Array(
                "POST /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n".utf8)
            for _ in 0..<4 {
                raw += Array("400\r\n".utf8) + [UInt8](repeating: 65, count: 0x400) + Array("\r\n".utf8)
            }
            raw += Array("0\r\n\r\n".utf8)
            let response = try RawHTTP.send(port: server.port, bytes: raw, timeout: 5)
            #expect(response.status == 413)
            // Exactly at the cap is fine.
            let ok = try RawHTTP.request(
                port: server.port, method: "POST", path: "/echo", body: [UInt8](repeating: 66, count: 1024))
            #expect(ok.status == 200)
            #expect(ok.body.count == 1024)
        }
    }

    @Test func malformedRequestsGetAnErrorStatus() throws {
        try withServer(echoRouter()) { server in
            let cases: [(String, Int)] = [
                ("NOT HTTP AT ALL\r\n\r\n", 400),
                ("GET / HTTP/9.9\r\n\r\n", 505),
                ("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n", 400),
            ]
            for (raw, status) in cases {
                let response = try RawHTTP.send(port: server.port, bytes: Array(raw.utf8), timeout: 5)
                #expect(response.status == status, "\(raw.debugDescription)")
            }
        }
    }

    @Test func connectionsHeldOpenWithGarbageDoNotStopOthersBeingServed() throws {
        try withServer(echoRouter()) { server in
            var held: [Int32] = []
            defer { for descriptor in held { close(descriptor) } }
            for i in 0..<50 {
                let fd = try RawHTTP.connect(port: server.port, timeout: 5)
                try RawHTTP.writeAll(
                    fd,
                    i % 2 == 0
                        ? [0, 1, 2, 255, 254] : Array("POST /echo HTTP/1.1\r\nContent-Length: 100\r\n\r\nabc".utf8))
                held.append(fd)
            }
            for _ in 0..<5 {
                let response = try RawHTTP.request(port: server.port, method: "GET", path: "/items/1", timeout: 5)
                #expect(response.status == 200)
            }
        }
    }
}
