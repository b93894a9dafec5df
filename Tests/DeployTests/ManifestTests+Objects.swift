import Foundation
import Testing

/// Every YAML document under deploy/ parses and carries the fields Kubernetes requires, and the
/// kustomizations reference existing files, keep the Secret template out and build the whole base.
extension ManifestTests {
    @Test func everyYAMLFileUnderDeployIsFoundAndParses() throws {
        let files = Repo.deployYAMLFiles()
        #expect(files.count >= 15, "found only \(files)")
        #expect(!files.contains { $0.hasPrefix("deploy/local/") })
        // Every file yields at least one document (PyYAML parsed all of them, or load threw).
        let withDocs = Set(docs.map(\.file))
        for file in files { #expect(withDocs.contains(file), "\(file) has no YAML document") }
    }

    @Test func everyObjectHasTheFieldsKubernetesRequires() throws {
        let documents = objects()
        #expect(documents.count >= 15)
        for document in documents {
            guard let object = document.object else {
                Issue.record("\(document.label) is not a mapping")
                continue
            }
            let apiVersion = object.string("apiVersion") ?? ""
            #expect(!apiVersion.isEmpty, "\(document.label): apiVersion")
            #expect(apiVersion == "v1" || apiVersion.contains("/"), "\(document.label): apiVersion \(apiVersion)")
            let kind = object.string("kind") ?? ""
            #expect(!kind.isEmpty && kind.first!.isUppercase, "\(document.label): kind")
            let name = document.name ?? ""
            // DNS-1123 subdomain (the rule for most object names).
            #expect(
                name.range(of: #"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$"#, options: .regularExpression) != nil,
                "\(document.label): metadata.name '\(name)'")
            let namespace = object.dict("metadata")?.string("namespace")
            if Self.clusterScopedKinds.contains(kind) {
                #expect(namespace == nil, "\(document.label): cluster-scoped object with a namespace")
            } else {
                #expect(
                    namespace != nil && !namespace!.isEmpty,
                    "\(document.label): namespaced object without metadata.namespace")
            }
            for (key, value) in object.dict("metadata")?.dict("labels") ?? [:] {
                #expect(value is String, "\(document.label): label \(key) must be a string")
            }
            switch kind {
            case "Deployment":
                #expect(object.at("spec.selector.matchLabels") is [String: Any], "\(document.label): selector")
                let containers = (object.at("spec.template.spec.containers") as? [[String: Any]]) ?? []
                #expect(!containers.isEmpty, "\(document.label): containers")
                for container in containers {
                    #expect(
                        container.string("name") != nil && container.string("image") != nil,
                        "\(document.label): container name and image")
                }
            case "Service":
                let ports = (object.at("spec.ports") as? [[String: Any]]) ?? []
                #expect(!ports.isEmpty, "\(document.label): ports")
                for port in ports {
                    #expect(
                        port.int("port") != nil && port.string("name") != nil, "\(document.label): port number and name"
                    )
                }
            case "ConfigMap":
                for (key, value) in object.dict("data") ?? [:] {
                    #expect(value is String, "\(document.label): data.\(key) must be a string (quote numbers)")
                    #expect(
                        key.range(of: #"^[-._a-zA-Z0-9]+$"#, options: .regularExpression) != nil,
                        "\(document.label): key \(key)")
                }
            case "Secret":
                #expect(object.dict("stringData") != nil || object.dict("data") != nil, "\(document.label): data")
            case "ClusterRole", "Role":
                #expect(!object.list("rules").isEmpty, "\(document.label): rules")
            case "ClusterRoleBinding", "RoleBinding":
                #expect(
                    object.dict("roleRef")?.string("name") != nil && object.dict("roleRef")?.string("kind") != nil,
                    "\(document.label): roleRef")
                #expect(!object.list("subjects").isEmpty, "\(document.label): subjects")
            case "PersistentVolumeClaim":
                #expect(!(object.at("spec.accessModes") as? [String] ?? []).isEmpty, "\(document.label): accessModes")
                #expect(object.at("spec.resources.requests.storage") is String, "\(document.label): storage request")
            case "NetworkPolicy":
                #expect(object.at("spec.podSelector") is [String: Any], "\(document.label): podSelector")
            case "PodDisruptionBudget":
                #expect(object.at("spec.selector") is [String: Any], "\(document.label): selector")
                #expect(
                    (object.at("spec.minAvailable") == nil) != (object.at("spec.maxUnavailable") == nil),
                    "\(document.label): exactly one of minAvailable/maxUnavailable")
            case "Ingress":
                #expect(!((object.at("spec.rules") as? [Any]) ?? []).isEmpty, "\(document.label): rules")
            case "ServiceMonitor":
                #expect(!((object.at("spec.endpoints") as? [Any]) ?? []).isEmpty, "\(document.label): endpoints")
            case "PrometheusRule":
                #expect(!((object.at("spec.groups") as? [Any]) ?? []).isEmpty, "\(document.label): groups")
            default:
                break
            }
        }
    }

    @Test func kustomizationsReferenceExistingFilesAndLeaveTheSecretOut() throws {
        for file in [
            "deploy/kustomization.yaml", "deploy/base/kustomization.yaml", "deploy/monitoring/kustomization.yaml",
        ] {
            let manifest = try kustomization(file)
            #expect(manifest.string("apiVersion") == "kustomize.config.k8s.io/v1beta1", "\(file)")
            #expect(manifest.string("kind") == "Kustomization", "\(file)")
            let dir = (file as NSString).deletingLastPathComponent
            for resource in manifest.strings("resources") {
                var isDir: ObjCBool = false
                #expect(
                    FileManager.default.fileExists(atPath: Repo.path(dir + "/" + resource), isDirectory: &isDir),
                    "\(file): resource \(resource) missing")
            }
            for generator in manifest.list("configMapGenerator") {
                for generatedFile in generator.strings("files") {
                    #expect(
                        FileManager.default.fileExists(atPath: Repo.path(dir + "/" + generatedFile)),
                        "\(file): \(generatedFile) missing")
                }
            }
        }
        let baseKustomization = try kustomization("deploy/base/kustomization.yaml")
        #expect(baseKustomization.string("namespace") == "ai-operator-system")
        #expect(
            !baseKustomization.strings("resources").contains { $0.contains("secret") },
            "the Secret template must not be applied by kustomize")
        let kinds = Set(try base().compactMap(\.kind))
        let required: Set<String> = [
            "Namespace", "ServiceAccount", "ClusterRole", "ConfigMap", "PersistentVolumeClaim",
            "Deployment", "Service", "NetworkPolicy", "PodDisruptionBudget",
        ]
        #expect(required.isSubset(of: kinds), "base lacks \(required.subtracting(kinds))")
        // Every namespaced object of the base lives in the operator's namespace.
        for document in try base() where !Self.clusterScopedKinds.contains(document.kind ?? "") {
            #expect(document.object?.dict("metadata")?.string("namespace") == "ai-operator-system", "\(document.label)")
        }
        let namespace = try one("Namespace", in: try base())
        #expect(namespace.dict("metadata")?.string("name") == "ai-operator-system")
    }
}
