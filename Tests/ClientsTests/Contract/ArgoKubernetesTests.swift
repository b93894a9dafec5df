import Clients
import Foundation
import Simulator
import TestSupport
import Testing

@Suite("Argo CD and Kubernetes clients against the simulators")
struct ArgoKubernetesTests {
    @Test func argoListGetHistoryAndErrors() async throws {
        let sim = ArgoCDSimulator(token: "argocd-SECRET-token-1")
        try sim.start()
        defer { sim.stop() }
        sim.setApplication(
            name: "checkout", labels: ["environment": "staging", "ai-operator.enabled": "true"],
            annotations: ["ai-operator.io/deployment": "checkout-web"], repoURL: "https://github.com/acme/checkout.git",
            path: "deploy", targetRevision: "1111111111111111111111111111111111111111", namespace: "shop")
        sim.setApplication(
            name: "other", labels: ["environment": "production"], repoURL: "https://github.com/acme/other.git",
            targetRevision: "2222222222222222222222222222222222222222", namespace: "misc")
        let t0 = Date().addingTimeInterval(-7200)
        sim.deploy(app: "checkout", revision: "1111111111111111111111111111111111111111", at: t0)
        sim.deploy(
            app: "checkout", revision: "3333333333333333333333333333333333333333", at: t0.addingTimeInterval(3600))
        sim.setHealth(app: "checkout", status: "Degraded", message: "progress deadline exceeded")

        let harness = Harness()
        let client = ArgoCDClient(
            baseURL: sim.baseURL, token: Secret("argocd-SECRET-token-1"), context: harness.context)
        let all = try await client.listApplications()
        #expect(Set(all.map(\.name)) == ["checkout", "other"])
        let selected = try await client.listApplications(selector: "ai-operator.enabled=true")
        #expect(selected.map(\.name) == ["checkout"])
        #expect(sim.requestLog.last?.query["selector"] == "ai-operator.enabled=true")

        let app = try await client.getApplication(name: "checkout")
        #expect(app.healthStatus == "Degraded")
        #expect(app.healthMessage == "progress deadline exceeded")
        #expect(app.syncRevision == "3333333333333333333333333333333333333333")
        #expect(app.destinationNamespace == "shop")
        #expect(app.labels["environment"] == "staging")
        #expect(app.annotations["ai-operator.io/deployment"] == "checkout-web")
        #expect(app.sources.first?.repoURL == "https://github.com/acme/checkout.git")
        #expect(
            app.history.map(\.revision) == [
                "1111111111111111111111111111111111111111", "3333333333333333333333333333333333333333",
            ])
        #expect(app.history.last?.deployedAt != nil)

        let missing = await apiError { try await client.getApplication(name: "nope") }
        #expect(missing?.code == .notFound)

        sim.faults.inject(.status(503), method: "GET", path: "/api/v1/applications", count: 1)
        _ = try await client.listApplications()
        #expect(harness.delays == [.seconds(1)])

        let wrong = ArgoCDClient(baseURL: sim.baseURL, token: Secret("not-the-token"), context: harness.context)
        let denied = await apiError { try await wrong.listApplications() }
        #expect(denied?.code == .permissionDenied)
        sim.addTokenWithoutPermission("argocd-readless")
        let forbidden = await apiError {
            try await ArgoCDClient(baseURL: sim.baseURL, token: Secret("argocd-readless"), context: harness.context)
                .getApplication(name: "checkout")
        }
        #expect(forbidden?.code == .permissionDenied)
        #expect(harness.sink.records.allSatisfy { $0.name.hasPrefix("argocd.") })
    }

    @Test func kubernetesDeploymentStatusAndPods() async throws {
        let sim = KubernetesSimulator(token: "k8s-SECRET-token-1")
        try sim.start()
        defer { sim.stop() }
        sim.setDeployment(
            namespace: "shop", name: "checkout", desired: 3, available: 1, ready: 1, updated: 3, replicas: 3,
            progressDeadlineExceeded: true)
        sim.setPods(
            namespace: "shop", app: "checkout",
            pods: [.healthy("checkout-a"), .crashLooping("checkout-b", restarts: 7)])
        let harness = Harness()
        let client = KubernetesClient(
            baseURL: sim.baseURL, credentials: .token(Secret("k8s-SECRET-token-1")), context: harness.context)
        let status = try await client.deploymentStatus(namespace: "shop", name: "checkout")
        #expect(status.desiredReplicas == 3)
        #expect(status.availableReplicas == 1)
        #expect(status.readyReplicas == 1)
        #expect(status.updatedReplicas == 3)
        #expect(status.progressDeadlineExceeded)
        let pods = try await client.podSummaries(of: status)
        #expect(pods.count == 2)
        let bad = try #require(pods.first { $0.name == "checkout-b" })
        #expect(bad.waitingReason == "CrashLoopBackOff")
        #expect(bad.restarts == 7)
        #expect(!bad.ready)
        #expect(pods.first { $0.name == "checkout-a" }?.phase == "Running")

        let missing = await apiError { try await client.deploymentStatus(namespace: "shop", name: "nope") }
        #expect(missing?.code == .notFound)
        sim.forbid(namespace: "secret-ns")
        let forbidden = await apiError { try await client.deploymentStatus(namespace: "secret-ns", name: "x") }
        #expect(forbidden?.code == .permissionDenied)
    }

    @Test func kubernetesTokenFileIsReReadWhenItRotates() async throws {
        let sim = KubernetesSimulator(token: "k8s-SECRET-rotating-1")
        try sim.start()
        defer { sim.stop() }
        sim.setDeployment(namespace: "shop", name: "checkout", desired: 2, available: 2)
        let dir = TemporaryDirectory("k8s-token")
        defer { dir.remove() }
        let file = dir.path + "/token"
        try "k8s-SECRET-rotating-1\n".write(toFile: file, atomically: true, encoding: .utf8)
        let harness = Harness()
        let client = KubernetesClient(baseURL: sim.baseURL, credentials: .tokenFile(file), context: harness.context)
        _ = try await client.deploymentStatus(namespace: "shop", name: "checkout")
        _ = try await client.deploymentStatus(namespace: "shop", name: "checkout")
        #expect(client.tokenFileReads == 1)

        // Rotation: the kubelet writes the new token; the API stops accepting the old one. The
        // file's mtime may not change within the same second, so the 401 path must recover too.
        sim.rotateToken(to: "k8s-SECRET-rotating-2")
        try "k8s-SECRET-rotating-2\n".write(toFile: file, atomically: true, encoding: .utf8)
        let status = try await client.deploymentStatus(namespace: "shop", name: "checkout")
        #expect(status.availableReplicas == 2)
        #expect(client.tokenFileReads == 2)
        #expect(harness.sink.records.allSatisfy { $0.result == "ok" })
    }
}
