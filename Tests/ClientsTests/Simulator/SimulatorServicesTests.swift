import Foundation
import Simulator
import TestSupport
import Testing

/// Argo CD, Kubernetes, Prometheus, Slack fakes, fault injection and the seeded scenario, over HTTP.
@Suite struct SimulatorServicesTests {
    static func get(_ service: SimulatedService, _ path: String, token: String?) throws -> RawHTTPResponse {
        try RawHTTP.request(
            port: service.port, method: "GET", path: path,
            headers: token.map { [("Authorization", "Bearer \($0)")] } ?? [], timeout: 10)
    }

    @Test func seededScenarioIsServedByEveryFake() throws {
        let sims = SimulatorSuite()
        try sims.start()
        defer { sims.stop() }
        let scenario = sims.seedRollbackScenario()
        #expect(Set(sims.baseURLs.keys) == ["github", "argocd", "kubernetes", "prometheus", "slack"])

        // Argo CD: list by selector, get one, 404 shape, auth.
        let list = try Self.get(
            sims.argocd, "/api/v1/applications?selector=ai-operator.enabled%3Dtrue,environment%3Dstaging",
            token: "argocd-token")
        #expect(list.status == 200)
        let items = list.json?["items"] as? [[String: Any]] ?? []
        #expect(items.count == 1)
        let app = try #require(items.first)
        let status = app["status"] as? [String: Any] ?? [:]
        #expect((status["health"] as? [String: Any])?["status"] as? String == "Degraded")
        #expect((status["sync"] as? [String: Any])?["revision"] as? String == scenario.badRevision)
        let history = status["history"] as? [[String: Any]] ?? []
        #expect(
            history.map { $0["revision"] as? String }
                == (scenario.goodRevisions + [scenario.badRevision]).map { Optional($0) })
        #expect(
            ((app["spec"] as? [String: Any])?["source"] as? [String: Any])?["targetRevision"] as? String
                == scenario.badRevision)
        #expect(
            try Self.get(sims.argocd, "/api/v1/applications?selector=environment%3Dproduction", token: "argocd-token")
                .json?["items"] as? [Any] != nil)
        let missing = try Self.get(sims.argocd, "/api/v1/applications/nope", token: "argocd-token")
        #expect(
            missing.status == 404 && missing.json?["code"] as? Int == 5 && missing.json?["message"] != nil
                && missing.json?["error"] != nil)
        #expect(try Self.get(sims.argocd, "/api/v1/applications/checkout", token: nil).status == 401)
        #expect(try Self.get(sims.argocd, "/api/v1/applications/checkout", token: "argocd-token").status == 200)

        // Kubernetes: Deployment, pods by label, Status 404, token rotation.
        let dep = try Self.get(
            sims.kubernetes, "/apis/apps/v1/namespaces/shop/deployments/checkout", token: "k8s-sa-token")
        #expect(dep.status == 200)
        #expect((dep.json?["spec"] as? [String: Any])?["replicas"] as? Int == 3)
        #expect((dep.json?["status"] as? [String: Any])?["availableReplicas"] as? Int == 1)
        let pods = try Self.get(
            sims.kubernetes, "/api/v1/namespaces/shop/pods?labelSelector=app%3Dcheckout", token: "k8s-sa-token")
        let podItems = pods.json?["items"] as? [[String: Any]] ?? []
        #expect(podItems.count == 3)
        let reasons = podItems.compactMap { p -> String? in
            let cs = ((p["status"] as? [String: Any])?["containerStatuses"] as? [[String: Any]])?.first
            return ((cs?["state"] as? [String: Any])?["waiting"] as? [String: Any])?["reason"] as? String
        }
        #expect(reasons == ["CrashLoopBackOff", "CrashLoopBackOff"])
        let nf = try Self.get(sims.kubernetes, "/apis/apps/v1/namespaces/shop/deployments/nope", token: "k8s-sa-token")
        #expect(
            nf.status == 404 && nf.json?["kind"] as? String == "Status" && nf.json?["reason"] as? String == "NotFound"
                && nf.json?["code"] as? Int == 404)
        sims.kubernetes.rotateToken(to: "rotated")
        #expect(
            try Self.get(sims.kubernetes, "/apis/apps/v1/namespaces/shop/deployments/checkout", token: "k8s-sa-token")
                .status == 401)
        #expect(
            try Self.get(sims.kubernetes, "/apis/apps/v1/namespaces/shop/deployments/checkout", token: "rotated").status
                == 200)

        // Prometheus: the uptime query, no data, error and unreachable modes.
        func query(_ promQL: String) throws -> RawHTTPResponse {
            let enc = promQL.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            return try Self.get(sims.prometheus, "/api/v1/query?query=\(enc)&time=1700000000", token: nil)
        }
        let good = try query("avg_over_time(up{app=\"checkout\",revision=\"\(scenario.goodRevisions[0])\"}[24h])")
        let result = (good.json?["data"] as? [String: Any])?["result"] as? [[String: Any]] ?? []
        #expect(good.json?["status"] as? String == "success" && result.count == 1)
        #expect((result.first?["value"] as? [Any])?.last as? String == "0.999")
        let none = try query(
            "avg_over_time(up{app=\"checkout\",revision=\"\(String(repeating: "f", count: 40))\"}[24h])")
        #expect(((none.json?["data"] as? [String: Any])?["result"] as? [Any])?.isEmpty == true)
        sims.prometheus.mode = .error(status: 422, errorType: "execution", message: "boom")
        let err = try query("up")
        #expect(
            err.status == 422 && err.json?["status"] as? String == "error"
                && err.json?["errorType"] as? String == "execution")
        sims.prometheus.mode = .unreachable
        #expect(throws: (any Error).self) { _ = try query("up") }
        sims.prometheus.mode = .normal

        // Slack: ok, then an injected 429 with Retry-After.
        let path = String(sims.slackWebhookURL.dropFirst(sims.slack.baseURL.count))
        let post = {
            try RawHTTP.request(
                port: sims.slack.port, method: "POST", path: path, headers: [("Content-Type", "application/json")],
                body: Array(#"{"text":"rollback started"}"#.utf8), timeout: 10)
        }
        let ok = try post()
        #expect(ok.status == 200 && ok.text == "ok")
        sims.slack.rateLimitNext(1, retryAfter: 3)
        let limited = try post()
        #expect(limited.status == 429 && limited.header("retry-after") == "3")
        #expect(sims.slack.messages.map(\.text) == ["rollback started"])

        // GitHub: the manifest on the protected env branch pins the bad revision.
        #expect(
            sims.github.file(repo: scenario.gitopsRepo, path: scenario.manifestPath, ref: scenario.envBranch)?.contains(
                "targetRevision: \(scenario.badRevision)") == true)
    }

    @Test func faultsDelayDropAndFailWithoutBlockingOtherRequests() throws {
        let k8s = KubernetesSimulator(token: nil, address: "127.0.0.1:0")
        try k8s.start()
        defer { k8s.stop() }
        k8s.setDeployment(namespace: "ns", name: "web", desired: 2, available: 2)
        k8s.setDeployment(namespace: "ns", name: "slow", desired: 1, available: 1)
        let path = "/apis/apps/v1/namespaces/ns/deployments/web"

        // Two slow answers (each on its own connection, more than the server's 2 threads would
        // allow if handlers blocked) do not hold up another request: it is answered while they wait.
        k8s.faults.inject(.delay(30), path: "/apis/apps/v1/namespaces/ns/deployments/slow", count: 3)
        let slowDone = DispatchSemaphore(value: 0)
        final class Box: @unchecked Sendable { var statuses: [Int] = [] }  // guarded by `lock`
        let box = Box()
        let lock = NSLock()
        for _ in 0..<3 {
            DispatchQueue.global().async {
                let status =
                    (try? Self.get(k8s, "/apis/apps/v1/namespaces/ns/deployments/slow", token: nil).status) ?? -1
                lock.lock()
                box.statuses.append(status)
                lock.unlock()
                slowDone.signal()
            }
        }
        // Wait (bounded) until the slow requests have arrived.
        let deadline = Date().addingTimeInterval(10)
        while k8s.requestLog.filter({ $0.path.hasSuffix("/slow") }).count < 3 && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.01)
        }
        #expect(k8s.requestLog.filter { $0.path.hasSuffix("/slow") }.count == 3)
        #expect(try Self.get(k8s, path, token: nil).status == 200)
        lock.lock()
        let answeredEarly = box.statuses.count
        lock.unlock()
        #expect(answeredEarly == 0)
        k8s.stop()  // the waiting requests get 503 from the server's graceful stop
        for _ in 0..<3 { #expect(slowDone.wait(timeout: .now() + 10) == .success) }
        lock.lock()
        #expect(box.statuses == [503, 503, 503])
        lock.unlock()
        try k8s.start()

        k8s.faults.inject(.status(503), path: "/apis/apps/v1/**", count: 2)
        #expect(try Self.get(k8s, path, token: nil).status == 503)
        let second = try Self.get(k8s, path, token: nil)
        #expect(second.status == 503 && second.json?["kind"] as? String == "Status")
        #expect(try Self.get(k8s, path, token: nil).status == 200)

        k8s.faults.inject(.drop, method: "GET", path: path)
        #expect(throws: (any Error).self) { _ = try Self.get(k8s, path, token: nil) }
        k8s.faults.inject(.unauthorized, path: path)
        #expect(try Self.get(k8s, path, token: nil).status == 401)
        #expect(k8s.requestLog.map(\.status).suffix(2) == [0, 401])
    }
}
