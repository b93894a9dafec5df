import Foundation
import HTTPServer
import TestSupport
import Testing

/// Many requests whose answers are held back (each connection suspended) must not keep a newly
/// arrived request from reaching its handler.
@Suite struct SuspendedConnectionsTests {
    final class Held: @unchecked Sendable {
        private let lock = NSLock()
        private var responders: [HTTPResponder] = []
        func add(_ responder: HTTPResponder) {
            lock.lock()
            responders.append(responder)
            lock.unlock()
        }
        var count: Int {
            lock.lock()
            defer { lock.unlock() }
            return responders.count
        }
        func releaseAll() {
            lock.lock()
            let all = responders
            lock.unlock()
            for responder in all { responder.respond(.text(200, "ok")) }
        }
    }

    @Test(arguments: [1, 2, 3, 4, 5])
    func everyRequestReachesItsHandlerWhileOthersAreSuspended(round: Int) throws {
        let held = Held()
        var router = Router()
        router.post("/hold") { _, res in held.add(res) }
        try withServer(router) { server in
            let port = server.port
            let group = DispatchGroup()
            let statuses = ResultBox()
            for i in 0..<100 {
                group.enter()
                Thread.detachNewThread {
                    let body = [UInt8](repeating: UInt8(i & 0x7f) | 0x20, count: 8192)
                    let status =
                        (try? RawHTTP.request(port: port, method: "POST", path: "/hold", body: body, timeout: 60))?
                        .status ?? -1
                    statuses.record(status)
                    group.leave()
                }
            }
            let all = eventually(within: 20) { held.count == 100 }
            let reached = held.count
            held.releaseAll()
            #expect(all, "\(reached) of 100 requests reached the handler; \(server.inFlightCount) in flight")
            #expect(group.wait(timeout: .now() + 60) == .success)
        }
    }
}
