import Foundation
import Logging
import Operator
import Storage
import TestSupport
import Webhooks

/// The environment every test configuration starts from (no outside service is contacted
/// by the ingress tests).
func baseEnvironment(dataDir: String, listen: String = "127.0.0.1:0") -> [String: String] {
    [
        "GITHUB_TOKEN": "ghp_test_token_value_1234",
        "GITHUB_WEBHOOK_SECRET": "webhook-secret-for-tests",
        "ARGOCD_URL": "http://127.0.0.1:9",
        "ARGOCD_TOKEN": "argocd-api-token-for-tests",
        "ARGOCD_WEBHOOK_TOKEN": "argocd-webhook-token-for-tests",
        "API_TOKEN": "api-token-for-tests-0123456789",
        "ALERTS_REPO": "acme/alerts",
        "KUBERNETES_API_URL": "http://127.0.0.1:9",
        "DATA_DIR": dataDir,
        "LISTEN_ADDR": listen,
    ]
}

/// An in-process service on a free loopback port with its own data directory.
final class ServiceHarness: @unchecked Sendable {
    let dir = TemporaryDirectory("ai-operator-svc")
    let config: OperatorConfig
    let service: OperatorService
    let logs = LogOutput(capturing: true)
    var port: Int { service.port }
    let signer: GitHubSignatureVerifier

    init(env extra: [String: String] = [:], storeOptions: StoreOptions = StoreOptions()) throws {
        var env = baseEnvironment(dataDir: dir.path)
        env.merge(extra) { $1 }
        config = try OperatorConfig.load(from: ConfigSource(environment: env))
        logs.setSecrets(config.secrets)
        let output = logs
        let logger = Logger(label: "test") { OperatorLogHandler(label: $0, level: .debug, json: true, output: output) }
        service = OperatorService(config: config, logger: logger, storeOptions: storeOptions)
        signer = GitHubSignatureVerifier(secret: config.githubWebhookSecret)
        try service.start()
    }

    func stop() {
        service.stop()
        dir.remove()
    }

    /// A GitHub delivery, signed unless `signature` says otherwise.
    func postGitHub(event: String?, delivery: String?, body: [UInt8], signature: String?? = .none) throws
        -> RawHTTPResponse
    {
        var headers: [(String, String)] = [("Content-Type", "application/json")]
        if let event { headers.append(("X-GitHub-Event", event)) }
        if let delivery { headers.append(("X-GitHub-Delivery", delivery)) }
        switch signature {
        case .none: headers.append(("X-Hub-Signature-256", signer.signatureHeader(for: body)))
        case .some(.some(let s)): headers.append(("X-Hub-Signature-256", s))
        case .some(.none): break
        }
        return try RawHTTP.request(port: port, method: "POST", path: "/webhooks/github", headers: headers, body: body)
    }

    func postArgoCD(body: [UInt8], authorization: String?) throws -> RawHTTPResponse {
        var headers: [(String, String)] = [("Content-Type", "application/json")]
        if let authorization { headers.append(("Authorization", authorization)) }
        return try RawHTTP.request(port: port, method: "POST", path: "/webhooks/argocd", headers: headers, body: body)
    }

    func deliveries(limit: Int = 1000) throws -> [[String: Any]] {
        let r = try RawHTTP.request(port: port, method: "GET", path: "/api/v1/deliveries?limit=\(limit)")
        return r.json?["deliveries"] as? [[String: Any]] ?? []
    }

    func accepted() throws -> [[String: Any]] { try deliveries().filter { $0["outcome"] as? String == "accepted" } }
}

func checkSuiteBody(sha: String = "9f2c1d0e7b6a5c4d3e2f1a0b9c8d7e6f5a4b3c2d", padTo size: Int = 0) -> [UInt8] {
    var json = """
        {"action":"completed","check_suite":{"id":1,"head_sha":"\(sha)","head_branch":"rollback/web-abc1234","status":"completed","conclusion":"success","pull_requests":[{"number":7}]},"repository":{"full_name":"acme/gitops"},"sender":{"login":"github-actions[bot]","type":"Bot"}
        """
    if size > json.utf8.count + 20 {
        json += ",\"padding\":\"" + String(repeating: "x", count: size - json.utf8.count - 14) + "\""
    }
    json += "}"
    return Array(json.utf8)
}
