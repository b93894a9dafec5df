import Foundation
import Testing

/// The Kubernetes manifests under deploy/: every YAML document parses and carries the fields
/// Kubernetes requires, the objects reference each other consistently, the Deployment is
/// hardened, RBAC is read-only, and the ConfigMap holds the SPEC section 18 defaults.
@Suite(.serialized) struct ManifestTests {
    static let clusterScopedKinds: Set<String> = [
        "Namespace", "ClusterRole", "ClusterRoleBinding", "PersistentVolume", "StorageClass",
    ]
    /// Files that are not Kubernetes objects: Kustomize entry points and Prometheus rule files.
    static let nonObjectFiles: Set<String> = [
        "deploy/monitoring/alert-rules.yaml", "deploy/monitoring/alert-rules.test.yaml",
    ]

    let docs: [YAMLDocument]

    init() throws {
        docs = try YAMLLoader.loadAll()
    }

    func objects() -> [YAMLDocument] {
        docs.filter { !Self.nonObjectFiles.contains($0.file) && !$0.file.hasSuffix("kustomization.yaml") }
    }

    func base() throws -> [YAMLDocument] {
        let k = try kustomization("deploy/base/kustomization.yaml")
        let files = Set(k.strings("resources").map { "deploy/base/" + $0 })
        return docs.filter { files.contains($0.file) }
    }

    func kustomization(_ file: String) throws -> [String: Any] {
        guard let k = docs.first(where: { $0.file == file })?.object else { throw DeployTestError("\(file) missing") }
        return k
    }

    func one(_ kind: String, in set: [YAMLDocument]) throws -> [String: Any] {
        let matches = set.filter { $0.kind == kind }
        guard matches.count == 1, let o = matches[0].object else {
            throw DeployTestError("expected exactly one \(kind), found \(matches.map(\.label))")
        }
        return o
    }

    @Test func everyYAMLFileUnderDeployIsFoundAndParses() throws {
        let files = Repo.deployYAMLFiles()
        #expect(files.count >= 15, "found only \(files)")
        #expect(!files.contains { $0.hasPrefix("deploy/local/") })
        // Every file yields at least one document (PyYAML parsed all of them, or load threw).
        let withDocs = Set(docs.map(\.file))
        for f in files { #expect(withDocs.contains(f), "\(f) has no YAML document") }
    }

    @Test func everyObjectHasTheFieldsKubernetesRequires() throws {
        let objs = objects()
        #expect(objs.count >= 15)
        for d in objs {
            guard let o = d.object else {
                Issue.record("\(d.label) is not a mapping")
                continue
            }
            let apiVersion = o.string("apiVersion") ?? ""
            #expect(!apiVersion.isEmpty, "\(d.label): apiVersion")
            #expect(apiVersion == "v1" || apiVersion.contains("/"), "\(d.label): apiVersion \(apiVersion)")
            let kind = o.string("kind") ?? ""
            #expect(!kind.isEmpty && kind.first!.isUppercase, "\(d.label): kind")
            let name = d.name ?? ""
            // DNS-1123 subdomain (the rule for most object names).
            #expect(
                name.range(of: #"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$"#, options: .regularExpression) != nil,
                "\(d.label): metadata.name '\(name)'")
            let namespace = o.dict("metadata")?.string("namespace")
            if Self.clusterScopedKinds.contains(kind) {
                #expect(namespace == nil, "\(d.label): cluster-scoped object with a namespace")
            } else {
                #expect(
                    namespace != nil && !namespace!.isEmpty, "\(d.label): namespaced object without metadata.namespace")
            }
            for (key, value) in o.dict("metadata")?.dict("labels") ?? [:] {
                #expect(value is String, "\(d.label): label \(key) must be a string")
            }
            switch kind {
            case "Deployment":
                #expect(o.at("spec.selector.matchLabels") is [String: Any], "\(d.label): selector")
                let containers = (o.at("spec.template.spec.containers") as? [[String: Any]]) ?? []
                #expect(!containers.isEmpty, "\(d.label): containers")
                for c in containers {
                    #expect(c.string("name") != nil && c.string("image") != nil, "\(d.label): container name and image")
                }
            case "Service":
                let ports = (o.at("spec.ports") as? [[String: Any]]) ?? []
                #expect(!ports.isEmpty, "\(d.label): ports")
                for p in ports {
                    #expect(p.int("port") != nil && p.string("name") != nil, "\(d.label): port number and name")
                }
            case "ConfigMap":
                for (k, v) in o.dict("data") ?? [:] {
                    #expect(v is String, "\(d.label): data.\(k) must be a string (quote numbers)")
                    #expect(
                        k.range(of: #"^[-._a-zA-Z0-9]+$"#, options: .regularExpression) != nil, "\(d.label): key \(k)")
                }
            case "Secret":
                #expect(o.dict("stringData") != nil || o.dict("data") != nil, "\(d.label): data")
            case "ClusterRole", "Role":
                #expect(!o.list("rules").isEmpty, "\(d.label): rules")
            case "ClusterRoleBinding", "RoleBinding":
                #expect(
                    o.dict("roleRef")?.string("name") != nil && o.dict("roleRef")?.string("kind") != nil,
                    "\(d.label): roleRef")
                #expect(!o.list("subjects").isEmpty, "\(d.label): subjects")
            case "PersistentVolumeClaim":
                #expect(!(o.at("spec.accessModes") as? [String] ?? []).isEmpty, "\(d.label): accessModes")
                #expect(o.at("spec.resources.requests.storage") is String, "\(d.label): storage request")
            case "NetworkPolicy":
                #expect(o.at("spec.podSelector") is [String: Any], "\(d.label): podSelector")
            case "PodDisruptionBudget":
                #expect(o.at("spec.selector") is [String: Any], "\(d.label): selector")
                #expect(
                    (o.at("spec.minAvailable") == nil) != (o.at("spec.maxUnavailable") == nil),
                    "\(d.label): exactly one of minAvailable/maxUnavailable")
            case "Ingress":
                #expect(!((o.at("spec.rules") as? [Any]) ?? []).isEmpty, "\(d.label): rules")
            case "ServiceMonitor":
                #expect(!((o.at("spec.endpoints") as? [Any]) ?? []).isEmpty, "\(d.label): endpoints")
            case "PrometheusRule":
                #expect(!((o.at("spec.groups") as? [Any]) ?? []).isEmpty, "\(d.label): groups")
            default:
                break
            }
        }
    }

    @Test func kustomizationsReferenceExistingFilesAndLeaveTheSecretOut() throws {
        for file in [
            "deploy/kustomization.yaml", "deploy/base/kustomization.yaml", "deploy/monitoring/kustomization.yaml",
        ] {
            let k = try kustomization(file)
            #expect(k.string("apiVersion") == "kustomize.config.k8s.io/v1beta1", "\(file)")
            #expect(k.string("kind") == "Kustomization", "\(file)")
            let dir = (file as NSString).deletingLastPathComponent
            for r in k.strings("resources") {
                var isDir: ObjCBool = false
                #expect(
                    FileManager.default.fileExists(atPath: Repo.path(dir + "/" + r), isDirectory: &isDir),
                    "\(file): resource \(r) missing")
            }
            for gen in k.list("configMapGenerator") {
                for f in gen.strings("files") {
                    #expect(FileManager.default.fileExists(atPath: Repo.path(dir + "/" + f)), "\(file): \(f) missing")
                }
            }
        }
        let baseK = try kustomization("deploy/base/kustomization.yaml")
        #expect(baseK.string("namespace") == "ai-operator-system")
        #expect(
            !baseK.strings("resources").contains { $0.contains("secret") },
            "the Secret template must not be applied by kustomize")
        let kinds = Set(try base().compactMap(\.kind))
        let required: Set<String> = [
            "Namespace", "ServiceAccount", "ClusterRole", "ConfigMap", "PersistentVolumeClaim",
            "Deployment", "Service", "NetworkPolicy", "PodDisruptionBudget",
        ]
        #expect(required.isSubset(of: kinds), "base lacks \(required.subtracting(kinds))")
        // Every namespaced object of the base lives in the operator's namespace.
        for d in try base() where !Self.clusterScopedKinds.contains(d.kind ?? "") {
            #expect(d.object?.dict("metadata")?.string("namespace") == "ai-operator-system", "\(d.label)")
        }
        let ns = try one("Namespace", in: try base())
        #expect(ns.dict("metadata")?.string("name") == "ai-operator-system")
    }

    @Test func deploymentIsAWiredSingletonWithTheRightProbes() throws {
        let base = try base()
        let dep = try one("Deployment", in: base)
        #expect(dep.at("spec.replicas") as? Int == 1, "single writer: exactly one replica")
        #expect(dep.at("spec.strategy.type") as? String == "Recreate", "two pods must never share the store")
        let selector = dep.at("spec.selector.matchLabels") as? [String: String] ?? [:]
        let podLabels = dep.at("spec.template.metadata.labels") as? [String: String] ?? [:]
        #expect(!selector.isEmpty)
        for (k, v) in selector { #expect(podLabels[k] == v, "selector \(k)=\(v) does not match the pod template") }

        let pod = dep.at("spec.template.spec") as? [String: Any] ?? [:]
        #expect((pod.int("terminationGracePeriodSeconds") ?? 0) >= 10)
        let sa = try one("ServiceAccount", in: base)
        #expect(pod.string("serviceAccountName") == sa.dict("metadata")?.string("name"))
        let containers = pod.list("containers")
        #expect(containers.count == 1)
        let c = containers.first ?? [:]
        #expect(c.string("image") == "ghcr.io/ai-operator/ai-operator:0.1.0")
        #expect(c.strings("args") == ["serve"])
        #expect(c["command"] == nil, "the image's ENTRYPOINT runs the binary")

        let ports = c.list("ports")
        let http = ports.first { $0.string("name") == "http" }
        #expect(http?.int("containerPort") == 8080)
        func probe(_ key: String) -> (path: String?, port: Any?) {
            let p = c.dict(key)?.dict("httpGet")
            return (p?.string("path"), p?["port"])
        }
        #expect(probe("livenessProbe").path == "/healthz")
        #expect(probe("readinessProbe").path == "/readyz")
        #expect(probe("startupProbe").path != nil, "a startup probe protects a slow start from liveness")
        for key in ["livenessProbe", "readinessProbe", "startupProbe"] {
            let port = probe(key).port
            #expect((port as? String) == "http" || (port as? Int) == 8080, "\(key) port \(String(describing: port))")
        }

        let requests = c.dict("resources")?.dict("requests") ?? [:]
        let limits = c.dict("resources")?.dict("limits") ?? [:]
        for k in ["cpu", "memory"] {
            #expect(requests[k] is String, "requests.\(k)")
            #expect(limits[k] is String, "limits.\(k)")
        }

        // Configuration: the ConfigMap through envFrom, secrets as files from the Secret.
        let cm = try one("ConfigMap", in: base)
        let cmName = cm.dict("metadata")?.string("name")
        #expect(c.list("envFrom").contains { $0.dict("configMapRef")?.string("name") == cmName })
        for e in c.list("env") {
            #expect(e["valueFrom"] == nil || (e.dict("valueFrom")?["secretKeyRef"] == nil), "no secret in env: \(e)")
        }
        let volumes = pod.list("volumes")
        let mounts = c.list("volumeMounts")
        func mount(of volume: String) -> [String: Any]? { mounts.first { $0.string("name") == volume } }

        let dataVolume = volumes.first { $0.dict("persistentVolumeClaim") != nil }
        let pvc = try one("PersistentVolumeClaim", in: base)
        #expect(dataVolume?.dict("persistentVolumeClaim")?.string("claimName") == pvc.dict("metadata")?.string("name"))
        let dataMount = mount(of: dataVolume?.string("name") ?? "")
        #expect(dataMount?.string("mountPath") == "/var/lib/ai-operator")
        #expect(cm.dict("data")?.string("DATA_DIR") == dataMount?.string("mountPath"), "DATA_DIR must be the volume")
        #expect((pvc.at("spec.accessModes") as? [String]) == ["ReadWriteOnce"])

        let secretVolume = volumes.first { $0.dict("secret") != nil }
        let secretMount = mount(of: secretVolume?.string("name") ?? "")
        #expect(secretMount?.bool("readOnly") == true, "the Secret is mounted read-only")
        let template = try #require(docs.first { $0.file == "deploy/base/secret.example.yaml" }?.object)
        #expect(secretVolume?.dict("secret")?.string("secretName") == template.dict("metadata")?.string("name"))
        let mode = secretVolume?.dict("secret")?.int("defaultMode") ?? 0o644
        #expect(mode & 0o007 == 0, "secret files must not be world-readable (mode \(String(mode, radix: 8)))")

        // Every writable path is a volume: the root filesystem is read-only.
        let writable = Set(mounts.filter { $0.bool("readOnly") != true }.compactMap { $0.string("mountPath") })
        #expect(writable == ["/var/lib/ai-operator", "/tmp"], "writable mounts: \(writable)")
    }

    @Test func deploymentIsHardened() throws {
        let dep = try one("Deployment", in: try base())
        let pod = dep.at("spec.template.spec") as? [String: Any] ?? [:]
        let psc = pod.dict("securityContext") ?? [:]
        #expect(psc.bool("runAsNonRoot") == true)
        #expect((psc.int("runAsUser") ?? 0) > 0)
        #expect(psc.int("runAsUser") == DockerfileFacts.uid, "the pod UID must be the image's USER")
        #expect(psc.dict("seccompProfile")?.string("type") == "RuntimeDefault")
        for key in ["hostNetwork", "hostPID", "hostIPC"] { #expect(pod.bool(key) != true, "\(key)") }
        #expect(!pod.list("volumes").contains { $0["hostPath"] != nil }, "no hostPath volumes")
        for c in pod.list("containers") + pod.list("initContainers") {
            let sc = c.dict("securityContext") ?? [:]
            #expect(sc.bool("allowPrivilegeEscalation") == false)
            #expect(sc.bool("readOnlyRootFilesystem") == true)
            #expect(sc.bool("privileged") != true)
            #expect(sc.bool("runAsNonRoot") != false)
            if let uid = sc.int("runAsUser") { #expect(uid == psc.int("runAsUser")) }
            #expect(sc.dict("capabilities")?.strings("drop") == ["ALL"])
            #expect(sc.dict("capabilities")?["add"] == nil, "no capability added")
        }
        // The namespace enforces the restricted Pod Security Standard.
        let ns = try one("Namespace", in: try base())
        #expect(ns.dict("metadata")?.dict("labels")?.string("pod-security.kubernetes.io/enforce") == "restricted")
    }

    @Test func serviceExposesPort8080NamedHTTPToThePods() throws {
        let base = try base()
        let svc = try one("Service", in: base)
        let dep = try one("Deployment", in: base)
        let podLabels = dep.at("spec.template.metadata.labels") as? [String: String] ?? [:]
        let selector = svc.at("spec.selector") as? [String: String] ?? [:]
        #expect(!selector.isEmpty)
        for (k, v) in selector { #expect(podLabels[k] == v, "Service selector \(k)=\(v) selects no pod") }
        let ports = svc.at("spec.ports") as? [[String: Any]] ?? []
        #expect(ports.count == 1)
        #expect(ports.first?.int("port") == 8080)
        #expect(ports.first?.string("name") == "http")
        let target = ports.first?["targetPort"]
        #expect((target as? String) == "http" || (target as? Int) == 8080)
        #expect(
            svc.at("spec.type") as? String ?? "ClusterIP" == "ClusterIP",
            "the Service is internal; GitHub comes through an Ingress")
    }

    @Test func rbacGrantsOnlyReadsAndNothingClusterWide() throws {
        let readVerbs: Set<String> = ["get", "list", "watch"]
        let roles = docs.filter { $0.kind == "ClusterRole" || $0.kind == "Role" }
        #expect(!roles.isEmpty)
        var roleNames: [String: [[String: Any]]] = [:]
        for d in roles {
            let rules = d.object?.list("rules") ?? []
            roleNames["\(d.kind!)/\(d.name ?? "")"] = rules
            for rule in rules {
                let verbs = Set(rule.strings("verbs"))
                #expect(
                    verbs.isSubset(of: readVerbs),
                    "\(d.label): verbs \(verbs.subtracting(readVerbs)) beyond get/list/watch")
                #expect(
                    !rule.strings("resources").contains("*") && !rule.strings("apiGroups").contains("*")
                        && !verbs.contains("*"), "\(d.label): wildcard")
                #expect(!rule.strings("resources").contains("secrets"), "\(d.label): secrets access")
                #expect(
                    !rule.strings("resources").contains { $0.contains("/") },
                    "\(d.label): subresources (exec, log, ...)")
                #expect(rule["nonResourceURLs"] == nil, "\(d.label): nonResourceURLs")
                #expect(rule.strings("resourceNames").isEmpty || d.kind == "Role")
            }
            #expect(d.object?["aggregationRule"] == nil, "\(d.label): aggregation could add rights later")
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
        for b in bindings {
            let ref = b.object?.dict("roleRef") ?? [:]
            #expect(
                roleNames["\(ref.string("kind") ?? "")/\(ref.string("name") ?? "")"] != nil,
                "\(b.label): binds an unknown role")
            for s in b.object?.list("subjects") ?? [] {
                #expect(
                    s.string("kind") == "ServiceAccount" && s.string("name") == "ai-operator"
                        && s.string("namespace") == "ai-operator-system", "\(b.label): subject \(s)")
            }
        }
    }

    /// SPEC section 18: every timing variable with its default, and the other defaults.
    static let spec18Defaults: [String: String] = [
        "POLL_INTERVAL_SEC": "10", "DEGRADATION_PERSISTENCE_CHECKS": "3", "HEALTH_RESTORATION_DURATION": "60",
        "CANDIDATE_SEARCH_TIMEOUT": "120", "CI_WAIT_TIMEOUT": "300", "MERGE_APPROVAL_TIMEOUT": "3600",
        "HEALTH_RECOVERY_TIMEOUT": "600", "CI_POLL_INTERVAL_SEC": "15", "REVIEW_POLL_INTERVAL_SEC": "30",
        "COMPLETE_HOLD_SEC": "60", "HUMAN_REVIEW_PAGE_SEC": "3600", "HUMAN_REVIEW_TIMEOUT_SEC": "14400",
        "ARGOCD_SKIP_SEC": "300", "STALE_ATTEMPT_SEC": "86400", "ROLLBACK_PR_MAX_AGE_SEC": "604800",
        "ROLLBACK_COOLDOWN_SEC": "600",
        "LISTEN_ADDR": "0.0.0.0:8080", "GITHUB_API_URL": "https://api.github.com",
        "STAGING_BRANCH": "staging", "PRODUCTION_BRANCH": "main", "MANIFEST_PATH": ".argocd/application.yaml",
        "LOG_LEVEL": "INFO", "LOG_FORMAT": "json",
    ]
    static let spec18Keys: Set<String> = Set(spec18Defaults.keys).union([
        "DATA_DIR", "GITHUB_TOKEN", "GITHUB_APP_ID", "GITHUB_APP_PRIVATE_KEY_FILE", "GITHUB_APP_INSTALLATION_ID",
        "GITHUB_WEBHOOK_SECRET", "ARGOCD_URL", "ARGOCD_TOKEN", "ARGOCD_WEBHOOK_TOKEN", "KUBERNETES_API_URL",
        "KUBERNETES_TOKEN_FILE", "KUBERNETES_CA_FILE", "PROMETHEUS_URL", "SLACK_WEBHOOK_URL", "ALERTS_REPO",
        "APPROVERS", "APPROVER_TEAM", "API_TOKEN", "MONITORED_APPS",
    ])
    static let secretSettings = [
        "GITHUB_WEBHOOK_SECRET", "ARGOCD_TOKEN", "ARGOCD_WEBHOOK_TOKEN", "API_TOKEN", "GITHUB_TOKEN",
        "SLACK_WEBHOOK_URL",
    ]

    @Test func configMapHoldsEverySpec18DefaultAndNoSecret() throws {
        let base = try base()
        let data = (try one("ConfigMap", in: base)).dict("data") as? [String: String] ?? [:]
        for (key, value) in Self.spec18Defaults {
            #expect(data[key] == value, "\(key): expected default \(value), found \(data[key] ?? "nothing")")
        }
        #expect(data["DATA_DIR"] == "/var/lib/ai-operator")
        for key in ["ALERTS_REPO", "ARGOCD_URL"] {
            #expect(!(data[key] ?? "").isEmpty, "required setting \(key) needs a value")
        }
        // Only known settings (a typo would be silently ignored by the service).
        for key in data.keys {
            let base = key.hasSuffix("_FILE") && key != "GITHUB_APP_PRIVATE_KEY_FILE" ? String(key.dropLast(5)) : key
            #expect(Self.spec18Keys.contains(base), "unknown setting \(key)")
        }
        // Secrets never in the ConfigMap: only as *_FILE paths into the read-only Secret mount,
        // each naming a key of the Secret template.
        for key in Self.secretSettings { #expect((data[key] ?? "").isEmpty, "\(key) must come from the Secret") }
        let template = try #require(docs.first { $0.file == "deploy/base/secret.example.yaml" }?.object)
        let secretKeys = Set((template.dict("stringData") ?? [:]).keys)
        var filesReferenced = 0
        for (key, path) in data where key.hasSuffix("_FILE") && !path.isEmpty {
            #expect(path.hasPrefix("/etc/ai-operator/secrets/"), "\(key)=\(path) is outside the Secret mount")
            let file = (path as NSString).lastPathComponent
            #expect(secretKeys.contains(file), "\(key) names \(file), which the Secret template lacks")
            filesReferenced += 1
        }
        for key in ["GITHUB_WEBHOOK_SECRET_FILE", "ARGOCD_TOKEN_FILE", "ARGOCD_WEBHOOK_TOKEN_FILE", "API_TOKEN_FILE"] {
            #expect(!(data[key] ?? "").isEmpty, "\(key) must point at the Secret")
        }
        #expect(
            !(data["GITHUB_APP_ID_FILE"] ?? "").isEmpty || !(data["GITHUB_TOKEN_FILE"] ?? "").isEmpty,
            "GitHub credentials")
        #expect(filesReferenced >= 6)
    }

    @Test func secretTemplateHasEverySecretAsAPlaceholder() throws {
        let template = try #require(docs.first { $0.file == "deploy/base/secret.example.yaml" }?.object)
        #expect(template.string("kind") == "Secret")
        #expect(template.dict("metadata")?.string("namespace") == "ai-operator-system")
        let data = template.dict("stringData") as? [String: String] ?? [:]
        for key in [
            "github-webhook-secret", "github-app-id", "github-app-private-key.pem", "argocd-token",
            "argocd-webhook-token", "api-token",
        ] {
            #expect(data[key]?.contains("REPLACE_ME") == true, "\(key) must be a REPLACE_ME placeholder")
        }
        let text = try Repo.read("deploy/base/secret.example.yaml")
        for mention in [
            "slack-webhook-url", "github-token",
            "kubectl -n ai-operator-system create secret generic ai-operator-secrets",
        ] {
            #expect(text.contains(mention), "the template explains \(mention)")
        }
    }

    @Test func networkPolicyAdmitsOnlyPort8080AndNeededEgress() throws {
        let base = try base()
        let np = try one("NetworkPolicy", in: base)
        let dep = try one("Deployment", in: base)
        let podLabels = dep.at("spec.template.metadata.labels") as? [String: String] ?? [:]
        let sel = np.at("spec.podSelector.matchLabels") as? [String: String] ?? [:]
        #expect(!sel.isEmpty)
        for (k, v) in sel { #expect(podLabels[k] == v) }
        #expect(Set(np.at("spec.policyTypes") as? [String] ?? []) == ["Ingress", "Egress"])
        let ingress = np.at("spec.ingress") as? [[String: Any]] ?? []
        #expect(ingress.count >= 3)
        var sources = Set<String>()
        for rule in ingress {
            let from = rule.list("from")
            #expect(!from.isEmpty, "an ingress rule without 'from' admits everyone")
            for peer in from {
                #expect(peer["ipBlock"] == nil)
                if let ns = peer.dict("namespaceSelector")?.dict("matchLabels")?.string("kubernetes.io/metadata.name") {
                    sources.insert(ns)
                }
            }
            let ports = rule.list("ports")
            #expect(ports.count == 1 && ports.first?.int("port") == 8080, "ingress only to 8080")
        }
        #expect(sources.isSuperset(of: ["argocd", "ingress-nginx", "monitoring"]), "ingress sources \(sources)")
        let egress = np.at("spec.egress") as? [[String: Any]] ?? []
        let egressPorts = egress.flatMap { $0.list("ports") }.map {
            "\($0.string("protocol") ?? "TCP")/\($0.int("port") ?? 0)"
        }
        for p in ["UDP/53", "TCP/53", "TCP/443", "TCP/8080"] { #expect(egressPorts.contains(p), "egress \(p)") }
        for rule in egress { #expect(!rule.list("ports").isEmpty, "an egress rule without ports allows everything") }
    }

    @Test func podDisruptionBudgetDoesNotBlockDrains() throws {
        let base = try base()
        let pdb = try one("PodDisruptionBudget", in: base)
        let dep = try one("Deployment", in: base)
        #expect(pdb.string("apiVersion") == "policy/v1")
        let podLabels = dep.at("spec.template.metadata.labels") as? [String: String] ?? [:]
        let sel = pdb.at("spec.selector.matchLabels") as? [String: String] ?? [:]
        #expect(!sel.isEmpty)
        for (k, v) in sel { #expect(podLabels[k] == v) }
        // One replica: minAvailable 1 / maxUnavailable 0 would block every node drain.
        #expect(pdb.at("spec.maxUnavailable") as? Int == 1)
        #expect(pdb.at("spec.minAvailable") == nil)
    }

    @Test func ingressExamplePublishesOnlyTheGitHubWebhookOverTLS() throws {
        let ing = try #require(docs.first { $0.kind == "Ingress" }?.object)
        #expect(!((ing.at("spec.tls") as? [Any]) ?? []).isEmpty, "TLS")
        let paths = (ing.at("spec.rules") as? [[String: Any]] ?? []).flatMap {
            ($0.at("http.paths") as? [[String: Any]]) ?? []
        }
        #expect(paths.map { $0.string("path") ?? "" } == ["/webhooks/github"])
        for p in paths {
            #expect(p.at("backend.service.name") as? String == "ai-operator")
            let port = p.at("backend.service.port") as? [String: Any]
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
            let f = line.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            if f.first == "p" {
                #expect(
                    f.count == 6 && f[2] == "applications" && f[3] == "get" && f[5] == "allow",
                    "only applications/get: \(line)")
            }
        }
        let cm = try #require(
            docs.first { $0.file == "deploy/argocd/argocd-rbac.yaml" && $0.name == "argocd-cm" }?.object)
        #expect(cm.dict("data")?.string("accounts.ai-operator") == "apiKey", "API key only, no UI login")
    }
}
