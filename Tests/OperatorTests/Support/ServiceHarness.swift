import Foundation
import Logging
import Operator
import Storage
import TestSupport
import Webhooks

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
        case .some(.some(let signatureHeader)): headers.append(("X-Hub-Signature-256", signatureHeader))
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
        let response = try RawHTTP.request(port: port, method: "GET", path: "/api/v1/deliveries?limit=\(limit)")
        return response.json?["deliveries"] as? [[String: Any]] ?? []
    }

    func accepted() throws -> [[String: Any]] { try deliveries().filter { $0["outcome"] as? String == "accepted" } }
}
