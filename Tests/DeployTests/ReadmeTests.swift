import Foundation
import Testing

/// deploy/README.md: its headings (for runbook links) and required content.
enum ReadmeFacts {
    /// GitHub's heading anchors: lower case, punctuation except - and _ removed, spaces to -.
    static func anchors(_ markdown: String) -> Set<String> {
        var out = Set<String>()
        var inFence = false
        for line in markdown.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("```") {
                inFence.toggle()
                continue
            }
            guard !inFence, line.hasPrefix("#") else { continue }
            let title = line.drop { $0 == "#" }.trimmingCharacters(in: .whitespaces)
            let slug = title.lowercased().unicodeScalars.compactMap { scalar -> String? in
                if CharacterSet.alphanumerics.contains(scalar) || scalar == "-" || scalar == "_" {
                    return String(scalar)
                }
                if scalar == " " { return "-" }
                return nil
            }.joined()
            out.insert(slug)
        }
        return out
    }
}

@Suite struct ReadmeTests {
    let text: String
    init() throws { text = try Repo.read("deploy/README.md") }

    @Test func readmeCoversInstallationIntegrationDashboardAndRunbooks() throws {
        let anchors = ReadmeFacts.anchors(text)
        for anchor in [
            "install-on-a-cluster", "register-the-github-app", "point-argo-cd-notifications-at-the-service",
            "expose-the-github-webhook-endpoint", "reading-the-dashboard", "alerts", "runbooks",
            "runbook-abort-state", "runbook-pr-not-auto-merging", "runbook-operator-crash-loop",
            "runbook-high-detection-rate",
        ] {
            #expect(anchors.contains(anchor), "deploy/README.md lacks the section #\(anchor)")
        }
        for command in [
            "kubectl apply -k deploy/base", "webhooks/github-app-manifest.json", "webhooks/argocd-notifications.yaml",
            "kubectl -n ai-operator-system logs deploy/ai-operator", "ai-operator audit verify",
            "ai-operator config check", "Authorization: Bearer $API_TOKEN", "/api/v1/rollbacks/",
            "/api/v1/applications/", "/reset", "DEGRADATION_PERSISTENCE_CHECKS", "MONITORED_APPS",
            "docker build -f deploy/Dockerfile .", "/webhooks/github", "promtool test rules",
        ] {
            #expect(text.contains(command), "deploy/README.md does not mention \(command)")
        }
    }

    @Test func everyAlertHasARowInTheReadme() throws {
        let rules = try YAMLLoader.loadOne("deploy/monitoring/alert-rules.yaml") as? [String: Any] ?? [:]
        for rule in rules.list("groups").flatMap({ $0.list("rules") }) {
            let name = rule.string("alert") ?? ""
            #expect(text.contains("`\(name)`"), "deploy/README.md does not explain \(name)")
        }
    }
}
