import Foundation
import RollbackCore
import Testing

@testable import Webhooks

private func text(_ name: String) throws -> String {
    try String(
        contentsOf: repositoryRoot.appendingPathComponent("webhooks").appendingPathComponent(name), encoding: .utf8)
}

@Suite struct ArgoCDNotificationsConfigTests {
    /// The rendered-body lines of each `template.<name>` in the ConfigMap, keyed by template name.
    static func templateBodies(_ yaml: String) -> [String: String] {
        var bodies: [String: String] = [:]
        var template: String?
        var expectBody = false
        for line in yaml.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("#") { continue }
            if line.hasPrefix("  template.") {
                template = String(trimmed.dropFirst("template.".count).prefix { $0 != ":" })
            } else if line.hasPrefix("  ") && !line.hasPrefix("   ") {
                template = nil
            }
            if expectBody, let template {
                bodies[template] = trimmed
                expectBody = false
            } else if template != nil && trimmed == "body: |" {
                expectBody = true
            }
        }
        return bodies
    }

    /// Replaces each `{{toJson <path>}}` action by the JSON text for `values[path]`.
    static func render(_ body: String, _ values: [String: String]) -> String {
        var out = body
        for (path, json) in values { out = out.replacingOccurrences(of: "{{toJson \(path)}}", with: json) }
        return out
    }

    @Test func templatesRenderToBodiesTheEndpointAccepts() throws {
        let yaml = try text("argocd-notifications.yaml")
        let bodies = Self.templateBodies(yaml)
        #expect(Set(bodies.keys) == ["on-health-degraded", "on-sync-succeeded"])
        for (name, body) in bodies {
            #expect(
                body
                    == "{\"app\": {{toJson .app.metadata.name}}, \"trigger\": \"\(name)\", \"health\": {{toJson .app.status.health.status}}, \"revision\": {{toJson .app.status.sync.revision}}}"
            )
            let rendered = Self.render(
                body,
                [
                    ".app.metadata.name": "\"guestbook\"",
                    ".app.status.health.status": "\"Degraded\"",
                    ".app.status.sync.revision": "\"9049f1265b7d61be4a8904a9a27120d2064dab3b\"",
                ])
            #expect(!rendered.contains("{{"))
            let decoded = ArgoCDNotificationDecoder.decode(body: Array(rendered.utf8))
            #expect(
                decoded
                    == .success(
                        ArgoCDNotification(
                            app: "guestbook", trigger: name, health: "Degraded",
                            revision: "9049f1265b7d61be4a8904a9a27120d2064dab3b")))
            // toJson of a missing field renders `null`; still accepted.
            let sparse = Self.render(
                body,
                [
                    ".app.metadata.name": "\"a \\\"quoted\\\" app\"",
                    ".app.status.health.status": "null", ".app.status.sync.revision": "null",
                ])
            #expect(
                ArgoCDNotificationDecoder.decode(body: Array(sparse.utf8))
                    == .success(ArgoCDNotification(app: "a \"quoted\" app", trigger: name)))
            // The ingress fast path finds the application name too.
            #expect(JSONScan.validate(Array(rendered.utf8), member: "app").member == "guestbook")
        }
    }

    @Test func serviceTriggersAndSubscriptions() throws {
        let yaml = try text("argocd-notifications.yaml")
        for needle in [
            "name: argocd-notifications-cm",
            "service.webhook.ai-operator: |",
            "url: http://ai-operator.ai-operator-system.svc:8080",
            "- name: Content-Type\n      value: application/json",
            "- name: Authorization\n      value: Bearer $ai-operator-webhook-token",
            "trigger.on-health-degraded: |",
            "when: app.status.health.status == 'Degraded'",
            "trigger.on-sync-succeeded: |",
            "when: app.status.operationState != nil and app.status.operationState.phase in ['Succeeded']",
            "notifications.argoproj.io/subscribe.on-health-degraded.ai-operator: \"\"",
            "notifications.argoproj.io/subscribe.on-sync-succeeded.ai-operator: \"\"",
            "argocd-notifications-secret",
        ] {
            #expect(yaml.contains(needle), "missing: \(needle)")
        }
        // Both templates POST to our path (the default method would be GET).
        #expect(yaml.components(separatedBy: "method: POST").count - 1 == 2)
        #expect(yaml.components(separatedBy: "path: /webhooks/argocd").count - 1 == 2)
        #expect(yaml.components(separatedBy: "oncePer: app.status.operationState?.syncResult?.revision").count - 1 == 2)
        #expect(!yaml.contains("\t"))
    }
}

@Suite struct GitHubAppManifestTests {
    @Test func permissionsAndEventsMatchSpecSection17() throws {
        let data = Data(try text("github-app-manifest.json").utf8)
        #expect(JSONScan.validate(Array(data)).isValid)
        let manifest = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(manifest["name"] as? String == "ai-operator")
        #expect(manifest["url"] is String)
        #expect(manifest["redirect_url"] is String)
        #expect(manifest["public"] as? Bool == false)
        let hook = try #require(manifest["hook_attributes"] as? [String: Any])
        #expect(hook["url"] as? String == "https://ai-operator.example.com/webhooks/github")
        #expect(hook["active"] as? Bool == true)
        let permissions = try #require(manifest["default_permissions"] as? [String: String])
        #expect(
            permissions == [
                "contents": "write", "pull_requests": "write", "issues": "write",
                "checks": "read", "statuses": "read", "metadata": "read", "members": "read",
            ])
        let events = try #require(manifest["default_events"] as? [String])
        #expect(events.count == 6)
        #expect(
            Set(events) == [
                "check_suite", "check_run", "status", "pull_request", "pull_request_review", "issue_comment",
            ])
        // Every subscribed event is one the decoder handles (installation and ping always arrive).
        #expect(Set(events).isSubset(of: GitHubEventDecoder.handledEvents))
        // Only documented manifest fields.
        let documented: Set<String> = [
            "name", "url", "hook_attributes", "redirect_url", "callback_urls", "setup_url",
            "description", "public", "default_events", "default_permissions",
            "request_oauth_on_install", "setup_on_update",
        ]
        #expect(Set(manifest.keys).isSubset(of: documented))
    }
}
