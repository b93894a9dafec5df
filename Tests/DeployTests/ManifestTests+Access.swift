import Foundation
import Testing

/// Access: read-only RBAC with nothing bound cluster-wide, a NetworkPolicy admitting only what is
/// needed, an Ingress that publishes only the GitHub webhook, and a read-only Argo CD account.
extension ManifestTests {
    @Test func rbacGrantsOnlyReadsAndNothingClusterWide() throws {
        let readVerbs: Set<String> = ["get", "list", "watch"]
        let roles = docs.filter { $0.kind == "ClusterRole" || $0.kind == "Role" }
        #expect(!roles.isEmpty)
        var roleNames: [String: [[String: Any]]] = [:]
        for role in roles {
            let rules = role.object?.list("rules") ?? []
            roleNames["\(role.kind!)/\(role.name ?? "")"] = rules
            for rule in rules {
                let verbs = Set(rule.strings("verbs"))
                #expect(
                    verbs.isSubset(of: readVerbs),
                    "\(role.label): verbs \(verbs.subtracting(readVerbs)) beyond get/list/watch")
                #expect(
                    !rule.strings("resources").contains("*") && !rule.strings("apiGroups").contains("*")
                        && !verbs.contains("*"), "\(role.label): wildcard")
                #expect(!rule.strings("resources").contains("secrets"), "\(role.label): secrets access")
                #expect(
                    !rule.strings("resources").contains { $0.contains("/") },
                    "\(role.label): subresources (exec, log, ...)")
                #expect(rule["nonResourceURLs"] == nil, "\(role.label): nonResourceURLs")
                #expect(rule.strings("resourceNames").isEmpty || role.kind == "Role")
            }
            #expect(role.object?["aggregationRule"] == nil, "\(role.label): aggregation could add rights later")
        }
        // What the Kubernetes client actually calls (SPEC 17): get deployments, list pods.
        let reader = try #require(roleNames["ClusterRole/ai-operator-workload-reader"])
        func grants(_ group: String, _ resource: String, _ verb: String) -> Bool {
            reader.contains {
                $0.strings("apiGroups").contains(group) && $0.strings("resources").contains(resource)
                    && $0.strings("verbs").contains(verb)
            }
        }
        #expect(grants("apps", "deployments", "get"))
        #expect(grants("", "pods", "list"))
        #expect(Set(reader.flatMap { $0.strings("resources") }) == ["deployments", "pods"])

        // Nothing is bound cluster-wide; namespaced bindings name the operator's account only.
        #expect(
            docs.filter { $0.kind == "ClusterRoleBinding" }.isEmpty,
            "no ClusterRoleBinding: read access is granted per namespace")
        let bindings = docs.filter { $0.kind == "RoleBinding" }
        #expect(!bindings.isEmpty, "a documented per-namespace RoleBinding example")
        for binding in bindings {
            let ref = binding.object?.dict("roleRef") ?? [:]
            #expect(
                roleNames["\(ref.string("kind") ?? "")/\(ref.string("name") ?? "")"] != nil,
                "\(binding.label): binds an unknown role")
            for subject in binding.object?.list("subjects") ?? [] {
                #expect(
                    subject.string("kind") == "ServiceAccount" && subject.string("name") == "ai-operator"
                        && subject.string("namespace") == "ai-operator-system", "\(binding.label): subject \(subject)")
            }
        }
    }

    @Test func networkPolicyAdmitsOnlyPort8080AndNeededEgress() throws {
        let base = try base()
        let policy = try one("NetworkPolicy", in: base)
        let deployment = try one("Deployment", in: base)
        let podLabels = deployment.at("spec.template.metadata.labels") as? [String: String] ?? [:]
        let selector = policy.at("spec.podSelector.matchLabels") as? [String: String] ?? [:]
        #expect(!selector.isEmpty)
        for (key, value) in selector { #expect(podLabels[key] == value) }
        #expect(Set(policy.at("spec.policyTypes") as? [String] ?? []) == ["Ingress", "Egress"])
        let ingress = policy.at("spec.ingress") as? [[String: Any]] ?? []
        #expect(ingress.count >= 3)
        var sources = Set<String>()
        for rule in ingress {
            let from = rule.list("from")
            #expect(!from.isEmpty, "an ingress rule without 'from' admits everyone")
            for peer in from {
                #expect(peer["ipBlock"] == nil)
                if let sourceNamespace = peer.dict("namespaceSelector")?.dict("matchLabels")?.string(
                    "kubernetes.io/metadata.name")
                {
                    sources.insert(sourceNamespace)
                }
            }
            let ports = rule.list("ports")
            #expect(ports.count == 1 && ports.first?.int("port") == 8080, "ingress only to 8080")
        }
        #expect(sources.isSuperset(of: ["argocd", "ingress-nginx", "monitoring"]), "ingress sources \(sources)")
        let egress = policy.at("spec.egress") as? [[String: Any]] ?? []
        let egressPorts = egress.flatMap { $0.list("ports") }.map {
            "\($0.string("protocol") ?? "TCP")/\($0.int("port") ?? 0)"
        }
        for expectedPort in ["UDP/53", "TCP/53", "TCP/443", "TCP/8080"] {
            #expect(egressPorts.contains(expectedPort), "egress \(expectedPort)")
        }
        for rule in egress { #expect(!rule.list("ports").isEmpty, "an egress rule without ports allows everything") }
    }

    @Test func ingressExamplePublishesOnlyTheGitHubWebhookOverTLS() throws {
        let ingress = try #require(docs.first { $0.kind == "Ingress" }?.object)
        #expect(!((ingress.at("spec.tls") as? [Any]) ?? []).isEmpty, "TLS")
        let paths = (ingress.at("spec.rules") as? [[String: Any]] ?? []).flatMap {
            ($0.at("http.paths") as? [[String: Any]]) ?? []
        }
        #expect(paths.map { $0.string("path") ?? "" } == ["/webhooks/github"])
        for path in paths {
            #expect(path.at("backend.service.name") as? String == "ai-operator")
            let port = path.at("backend.service.port") as? [String: Any]
            #expect(port?.string("name") == "http" || port?.int("number") == 8080)
        }
    }

    @Test func argoCDAccountIsReadOnly() throws {
        let rbac = try #require(
            docs.first { $0.file == "deploy/argocd/argocd-rbac.yaml" && $0.name == "argocd-rbac-cm" }?.object)
        let policies = (rbac.dict("data") ?? [:]).filter { $0.key.hasPrefix("policy.") && $0.key.hasSuffix(".csv") }
        #expect(
            policies.count == 1 && policies.keys.first != "policy.csv",
            "a separate policy.<name>.csv key keeps the existing policy")
        for line in (policies.values.first as? String ?? "").split(separator: "\n") {
            let fields = line.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            if fields.first == "p" {
                #expect(
                    fields.count == 6 && fields[2] == "applications" && fields[3] == "get" && fields[5] == "allow",
                    "only applications/get: \(line)")
            }
        }
        let configMap = try #require(
            docs.first { $0.file == "deploy/argocd/argocd-rbac.yaml" && $0.name == "argocd-cm" }?.object)
        #expect(configMap.dict("data")?.string("accounts.ai-operator") == "apiKey", "API key only, no UI login")
    }
}
