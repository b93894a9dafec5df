import Demo
import Foundation
import Operator
import RollbackCore
import TestSupport
import Testing

/// `openapi/openapi.yaml` against the running service: the document is valid OpenAPI 3.1,
/// every documented operation answers with a documented status and the required fields of
/// its schema, the service answers no path the document does not describe, and undocumented
/// paths answer 404.
@Suite struct OpenAPIContractTests {
    static let specPath = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../openapi/openapi.yaml").standardized.path

    /// The document as JSON (PyYAML), after validating it with openapi-spec-validator.
    static func loadSpec() throws -> [String: Any] {
        let script = """
            import json, sys, yaml
            from openapi_spec_validator import validate
            spec = yaml.safe_load(open(sys.argv[1]))
            validate(spec)
            print(json.dumps(spec))
            """
        let out = try runPython(script, args: [specPath])
        return try #require(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any])
    }

    @Test func theDocumentIsValidOpenAPI31() throws {
        let spec = try Self.loadSpec()
        #expect(spec["openapi"] as? String == "3.1.0")
    }

    @Test func everyDocumentedOperationMatchesTheRunningService() async throws {
        let spec = try Self.loadSpec()
        let paths = try #require(spec["paths"] as? [String: [String: Any]])
        let env = try DemoEnvironment()
        defer { env.stop() }
        env.seed(app: "checkout", environment: "production")
        let service = try env.startService(logger: capturingLogger(LogOutput(capturing: true)))
        // Wait for a production attempt waiting for approval: it has a PR, invariants, candidates.
        let engine = try #require(service.engineForInspection)
        let reached = await eventuallyAsync(within: 60) {
            engine.machine(of: "checkout")?.state == .awaitingMergeApproval
        }
        try #require(reached)
        let correlationId = try #require(engine.machine(of: "checkout")?.attempt?.correlationId)
        let port = service.port

        // 1. The service answers exactly the documented (method, path) pairs.
        let documented = Set(paths.flatMap { path, ops in ops.keys.map { "\($0.uppercased()) \(path)" } })
        let served = Set(service.routes.map { "\($0.method) \($0.pattern)" })
        #expect(
            served == documented,
            "served but undocumented: \(served.subtracting(documented)); documented but not served: \(documented.subtracting(served))"
        )

        // 2. Each documented operation answers a documented status with its required fields.
        let schemas = ((spec["components"] as? [String: Any])?["schemas"] as? [String: Any]) ?? [:]
        for (path, ops) in paths.sorted(by: { $0.key < $1.key }) {
            for (method, opAny) in ops {
                let op = try #require(opAny as? [String: Any])
                let responses = try #require(op["responses"] as? [String: Any])
                let concrete = path.replacingOccurrences(of: "{name}", with: "checkout")
                    .replacingOccurrences(of: "{correlationId}", with: correlationId)
                let request = Self.request(method: method.uppercased(), path: concrete, env: env)
                let response = try await httpAsync(
                    port: port, method: method.uppercased(), path: concrete,
                    headers: request.headers, body: request.body)
                #expect(
                    responses[String(response.status)] != nil,
                    "\(method.uppercased()) \(path) answered \(response.status), not documented")
                if let documentedResponse = responses[String(response.status)] as? [String: Any],
                    let schema = Self.jsonSchema(documentedResponse, schemas: schemas),
                    let required = schema["required"] as? [String]
                {
                    let body = try #require(response.json, "\(method.uppercased()) \(path) did not answer JSON")
                    for field in required {
                        #expect(body[field] != nil, "\(method.uppercased()) \(path) \(response.status) lacks \(field)")
                    }
                }
            }
        }

        // 3. Undocumented paths answer 404 with the JSON error shape.
        for probe in [
            "/", "/api", "/api/v1", "/api/v2/applications", "/admin", "/webhooks/gitlab", "/api/v1/rollbacks",
            "/api/v1/applications/checkout/history", "/metrics/extra", "/api/v1/rollbacks/\(correlationId)/merge",
        ] {
            for method in ["GET", "POST"] {
                let response = try await httpAsync(port: port, method: method, path: probe, headers: [], body: [])
                #expect(response.status == 404, "\(method) \(probe) answered \(response.status)")
                #expect(response.json?["error"] as? String == "not_found")
            }
        }
    }

    /// A request that exercises the operation's main path.
    static func request(method: String, path: String, env: DemoEnvironment) -> (
        headers: [(String, String)], body: [UInt8]
    ) {
        if path == "/webhooks/github" {
            let body = Array(#"{"zen":"Design for failure.","hook_id":1}"#.utf8)
            let signature = "sha256=" + hmacHex(key: env.webhookSecret, body: body)
            return (
                [
                    ("X-GitHub-Event", "ping"), ("X-GitHub-Delivery", UUID().uuidString),
                    ("X-Hub-Signature-256", signature),
                ],
                body
            )
        }
        if path == "/webhooks/argocd" {
            return ([("Authorization", "Bearer demo-argocd-webhook-token")], Array(#"{"app":"checkout"}"#.utf8))
        }
        if method == "POST" {
            // Commands: RESET does not apply while waiting for approval (409); the others do.
            return ([("Authorization", "Bearer \(env.apiToken)")], [])
        }
        return ([], [])
    }

    /// The JSON schema of a response (following one `$ref` to components), if it has one.
    static func jsonSchema(_ response: [String: Any], schemas: [String: Any]) -> [String: Any]? {
        var object = response
        if let ref = object["$ref"] as? String, ref.hasPrefix("#/components/responses/") {
            return ["required": ["error", "message"]]
        }
        guard let content = object["content"] as? [String: Any],
            let json = content["application/json"] as? [String: Any],
            var schema = json["schema"] as? [String: Any]
        else { return nil }
        if let ref = schema["$ref"] as? String {
            schema = schemas[String(ref.split(separator: "/").last!)] as? [String: Any] ?? [:]
        }
        object = schema
        return object
    }
}
