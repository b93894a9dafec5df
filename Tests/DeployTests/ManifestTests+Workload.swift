import Foundation
import Testing

/// The workload: a wired single-replica Deployment with probes, volumes and a hardened pod, the
/// Service in front of it, and a PodDisruptionBudget that does not block node drains.
extension ManifestTests {
    @Test func deploymentIsAWiredSingletonWithTheRightProbes() throws {
        let base = try base()
        let deployment = try one("Deployment", in: base)
        #expect(deployment.at("spec.replicas") as? Int == 1, "single writer: exactly one replica")
        #expect(deployment.at("spec.strategy.type") as? String == "Recreate", "two pods must never share the store")
        let selector = deployment.at("spec.selector.matchLabels") as? [String: String] ?? [:]
        let podLabels = deployment.at("spec.template.metadata.labels") as? [String: String] ?? [:]
        #expect(!selector.isEmpty)
        for (key, value) in selector {
            #expect(podLabels[key] == value, "selector \(key)=\(value) does not match the pod template")
        }

        let pod = deployment.at("spec.template.spec") as? [String: Any] ?? [:]
        #expect((pod.int("terminationGracePeriodSeconds") ?? 0) >= 10)
        let serviceAccount = try one("ServiceAccount", in: base)
        #expect(pod.string("serviceAccountName") == serviceAccount.dict("metadata")?.string("name"))
        let containers = pod.list("containers")
        #expect(containers.count == 1)
        let container = containers.first ?? [:]
        #expect(container.string("image") == "ghcr.io/ai-operator/ai-operator:0.1.0")
        #expect(container.strings("args") == ["serve"])
        #expect(container["command"] == nil, "the image's ENTRYPOINT runs the binary")

        let ports = container.list("ports")
        let http = ports.first { $0.string("name") == "http" }
        #expect(http?.int("containerPort") == 8080)
        func probe(_ key: String) -> (path: String?, port: Any?) {
            let httpGet = container.dict(key)?.dict("httpGet")
            return (httpGet?.string("path"), httpGet?["port"])
        }
        #expect(probe("livenessProbe").path == "/healthz")
        #expect(probe("readinessProbe").path == "/readyz")
        #expect(probe("startupProbe").path != nil, "a startup probe protects a slow start from liveness")
        for key in ["livenessProbe", "readinessProbe", "startupProbe"] {
            let port = probe(key).port
            #expect((port as? String) == "http" || (port as? Int) == 8080, "\(key) port \(String(describing: port))")
        }

        let requests = container.dict("resources")?.dict("requests") ?? [:]
        let limits = container.dict("resources")?.dict("limits") ?? [:]
        for resource in ["cpu", "memory"] {
            #expect(requests[resource] is String, "requests.\(resource)")
            #expect(limits[resource] is String, "limits.\(resource)")
        }

        // Configuration: the ConfigMap through envFrom, secrets as files from the Secret.
        let configMap = try one("ConfigMap", in: base)
        let configMapName = configMap.dict("metadata")?.string("name")
        #expect(container.list("envFrom").contains { $0.dict("configMapRef")?.string("name") == configMapName })
        for variable in container.list("env") {
            #expect(
                variable["valueFrom"] == nil || (variable.dict("valueFrom")?["secretKeyRef"] == nil),
                "no secret in env: \(variable)")
        }
        let volumes = pod.list("volumes")
        let mounts = container.list("volumeMounts")
        func mount(of volume: String) -> [String: Any]? { mounts.first { $0.string("name") == volume } }

        let dataVolume = volumes.first { $0.dict("persistentVolumeClaim") != nil }
        let pvc = try one("PersistentVolumeClaim", in: base)
        #expect(dataVolume?.dict("persistentVolumeClaim")?.string("claimName") == pvc.dict("metadata")?.string("name"))
        let dataMount = mount(of: dataVolume?.string("name") ?? "")
        #expect(dataMount?.string("mountPath") == "/var/lib/ai-operator")
        #expect(
            configMap.dict("data")?.string("DATA_DIR") == dataMount?.string("mountPath"), "DATA_DIR must be the volume")
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
        let deployment = try one("Deployment", in: try base())
        let pod = deployment.at("spec.template.spec") as? [String: Any] ?? [:]
        let podSecurity = pod.dict("securityContext") ?? [:]
        #expect(podSecurity.bool("runAsNonRoot") == true)
        #expect((podSecurity.int("runAsUser") ?? 0) > 0)
        #expect(podSecurity.int("runAsUser") == DockerfileFacts.uid, "the pod UID must be the image's USER")
        #expect(podSecurity.dict("seccompProfile")?.string("type") == "RuntimeDefault")
        for key in ["hostNetwork", "hostPID", "hostIPC"] { #expect(pod.bool(key) != true, "\(key)") }
        #expect(!pod.list("volumes").contains { $0["hostPath"] != nil }, "no hostPath volumes")
        for container in pod.list("containers") + pod.list("initContainers") {
            let containerSecurity = container.dict("securityContext") ?? [:]
            #expect(containerSecurity.bool("allowPrivilegeEscalation") == false)
            #expect(containerSecurity.bool("readOnlyRootFilesystem") == true)
            #expect(containerSecurity.bool("privileged") != true)
            #expect(containerSecurity.bool("runAsNonRoot") != false)
            if let uid = containerSecurity.int("runAsUser") { #expect(uid == podSecurity.int("runAsUser")) }
            #expect(containerSecurity.dict("capabilities")?.strings("drop") == ["ALL"])
            #expect(containerSecurity.dict("capabilities")?["add"] == nil, "no capability added")
        }
        // The namespace enforces the restricted Pod Security Standard.
        let namespace = try one("Namespace", in: try base())
        #expect(
            namespace.dict("metadata")?.dict("labels")?.string("pod-security.kubernetes.io/enforce") == "restricted")
    }

    @Test func serviceExposesPort8080NamedHTTPToThePods() throws {
        let base = try base()
        let service = try one("Service", in: base)
        let deployment = try one("Deployment", in: base)
        let podLabels = deployment.at("spec.template.metadata.labels") as? [String: String] ?? [:]
        let selector = service.at("spec.selector") as? [String: String] ?? [:]
        #expect(!selector.isEmpty)
        for (key, value) in selector {
            #expect(podLabels[key] == value, "Service selector \(key)=\(value) selects no pod")
        }
        let ports = service.at("spec.ports") as? [[String: Any]] ?? []
        #expect(ports.count == 1)
        #expect(ports.first?.int("port") == 8080)
        #expect(ports.first?.string("name") == "http")
        let target = ports.first?["targetPort"]
        #expect((target as? String) == "http" || (target as? Int) == 8080)
        #expect(
            service.at("spec.type") as? String ?? "ClusterIP" == "ClusterIP",
            "the Service is internal; GitHub comes through an Ingress")
    }

    @Test func podDisruptionBudgetDoesNotBlockDrains() throws {
        let base = try base()
        let budget = try one("PodDisruptionBudget", in: base)
        let deployment = try one("Deployment", in: base)
        #expect(budget.string("apiVersion") == "policy/v1")
        let podLabels = deployment.at("spec.template.metadata.labels") as? [String: String] ?? [:]
        let selector = budget.at("spec.selector.matchLabels") as? [String: String] ?? [:]
        #expect(!selector.isEmpty)
        for (key, value) in selector { #expect(podLabels[key] == value) }
        // One replica: minAvailable 1 / maxUnavailable 0 would block every node drain.
        #expect(budget.at("spec.maxUnavailable") as? Int == 1)
        #expect(budget.at("spec.minAvailable") == nil)
    }
}
