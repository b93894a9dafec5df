import Foundation
import Testing

/// The Kubernetes manifests under deploy/: the suite and the lookups its tests share (the parsed
/// documents, the base's objects, one object by kind). The tests live in the `ManifestTests+*.swift`
/// files, one concern each: objects and kustomizations, the workload, configuration, access.
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
        let baseKustomization = try kustomization("deploy/base/kustomization.yaml")
        let files = Set(baseKustomization.strings("resources").map { "deploy/base/" + $0 })
        return docs.filter { files.contains($0.file) }
    }

    func kustomization(_ file: String) throws -> [String: Any] {
        guard let object = docs.first(where: { $0.file == file })?.object else {
            throw DeployTestError("\(file) missing")
        }
        return object
    }

    func one(_ kind: String, in set: [YAMLDocument]) throws -> [String: Any] {
        let matches = set.filter { $0.kind == kind }
        guard matches.count == 1, let object = matches[0].object else {
            throw DeployTestError("expected exactly one \(kind), found \(matches.map(\.label))")
        }
        return object
    }
}
