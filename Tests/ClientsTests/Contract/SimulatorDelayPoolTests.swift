import Clients
import Foundation
import Simulator
import Testing

/// The acceptance case on the simulator: 200 calls stuck on an endpoint that answers after
/// several seconds (the delay fault); other async work completes while all 200 are pending.
@Suite struct SimulatorDelayPoolTests {
    @Test func twoHundredDelayedCallsLeaveThePoolFree() async throws {
        let sim = KubernetesSimulator(token: "k8s-pool-token")
        try sim.start()
        defer { sim.stop() }
        sim.setDeployment(namespace: "shop", name: "checkout", desired: 3, available: 3)
        sim.faults.inject(
            .delay(4), method: "GET", path: "/apis/apps/v1/namespaces/shop/deployments/checkout", count: 200)
        let harness = Harness()
        let client = KubernetesClient(
            baseURL: sim.baseURL, credentials: .token(Secret("k8s-pool-token")), context: harness.context)
        let completed = Locked(0)
        let order = Locked<[String]>([])
        try await withTimeout(40) {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<200 {
                    group.addTask {
                        let status = try await client.deploymentStatus(namespace: "shop", name: "checkout")
                        #expect(status.availableReplicas == 3)
                        let finished = completed.withLock {
                            $0 += 1
                            return $0
                        }
                        if finished == 1 { order.withLock { $0.append("first-delayed-call") } }
                    }
                }
                try await waitUntil(20) { sim.requestLog.count == 200 }
                let side = Task { () -> Int in
                    var sum = 0
                    for i in 0..<5000 {
                        sum &+= i
                        if i % 500 == 0 { await Task.yield() }
                    }
                    return sum
                }
                _ = await side.value
                order.withLock { $0.append("side-task") }
                #expect(completed.current == 0)
                try await group.waitForAll()
            }
        }
        #expect(completed.current == 200)
        #expect(order.current == ["side-task", "first-delayed-call"])
    }
}
