import Clients
import Foundation
import HTTPServer
import Testing

/// 200 outbound calls stuck on an endpoint that answers late must not occupy Swift's
/// cooperative pool: other async work finishes while all 200 are still pending.
@Suite struct CooperativePoolTests {
    @Test func twoHundredStuckCallsDoNotBlockOtherAsyncWork() async throws {
        let arrived = Locked(0)
        let held = Locked<[HTTPResponder]>([])
        var router = Router()
        router.get("/slow") { _, r in
            arrived.withLock { $0 += 1 }
            held.withLock { $0.append(r) }
            // Safety net so nothing hangs if the test fails early.
            DispatchQueue.global().asyncAfter(deadline: .now() + 20) { r.respond(.text(200, "late")) }
        }
        let server = HTTPServer(
            configuration: .init(address: "127.0.0.1:0", threads: 2, connectionLimit: 1024), router: router)
        try server.start()
        defer { server.stop() }
        let transport = HTTPTransport(configuration: .init(requestTimeout: .seconds(30)))
        defer { transport.shutdown() }

        let order = Locked<[String]>([])
        let completed = Locked(0)
        try await withTimeout(30) {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<200 {
                    group.addTask {
                        let response = try await transport.send(
                            OutboundRequest(method: "GET", url: "http://127.0.0.1:\(server.port)/slow"))
                        #expect(response.status == 200)
                        completed.withLock { $0 += 1 }
                        order.withLock { if !$0.contains("first-slow-call") { $0.append("first-slow-call") } }
                    }
                }
                // Every one of the 200 has reached the server and is waiting for its answer.
                try await waitUntil(20) { arrived.current == 200 }
                // Unrelated async work: a few hops through the pool and a small computation.
                let side = Task { () -> Int in
                    var sum = 0
                    for i in 0..<10_000 {
                        sum &+= i * i
                        if i % 1000 == 0 { await Task.yield() }
                    }
                    return sum
                }
                let value = await side.value
                order.withLock { $0.append("side-task") }
                #expect(value > 0)
                #expect(completed.current == 0)
                // Now let the server answer all of them.
                for responder in held.current { responder.respond(.text(200, "done")) }
                try await group.waitForAll()
            }
        }
        #expect(completed.current == 200)
        #expect(order.current == ["side-task", "first-slow-call"])
    }
}
