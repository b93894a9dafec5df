import Foundation

/// One YAML document of a file under deploy/, decoded by PyYAML and handed over as JSON.
struct YAMLDocument {
    let file: String
    let index: Int
    let value: Any

    var object: [String: Any]? { value as? [String: Any] }
    var kind: String? { object?["kind"] as? String }
    var name: String? { (object?["metadata"] as? [String: Any])?["name"] as? String }
    var label: String { "\(file)#\(index)" + (kind.map { " (\($0) \(name ?? "?"))" } ?? "") }
}

/// Reads deploy/ YAML with PyYAML in a child `python3` (the test target carries no YAML parser).
enum YAMLLoader {
    /// Loads every document of `files` (relative to the repository root) with PyYAML's
    /// safe loader. Empty documents (a trailing `---`) are dropped.
    static let script = """
        import json, sys, yaml
        out = []
        for path in sys.argv[2:]:
            with open(sys.argv[1] + "/" + path, encoding="utf-8") as f:
                for index, doc in enumerate(yaml.safe_load_all(f)):
                    if doc is not None:
                        out.append({"file": path, "index": index, "doc": doc})
        json.dump(out, sys.stdout, default=str)
        """

    static func load(_ files: [String]) throws -> [YAMLDocument] {
        let python = try Tool.python()
        let result = try Tool.run(python, ["-c", script, Repo.root.path] + files)
        guard result.status == 0 else {
            throw DeployTestError("PyYAML could not parse the deploy files:\n\(result.output)")
        }
        guard let list = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]] else {
            throw DeployTestError("unexpected loader output: \(result.stdout.prefix(200))")
        }
        return list.map {
            YAMLDocument(file: $0["file"] as? String ?? "?", index: $0["index"] as? Int ?? -1, value: $0["doc"] as Any)
        }
    }

    static func loadAll() throws -> [YAMLDocument] { try load(Repo.deployYAMLFiles()) }

    static func loadOne(_ file: String) throws -> Any {
        let docs = try load([file])
        guard docs.count == 1 else { throw DeployTestError("\(file): expected one YAML document, found \(docs.count)") }
        return docs[0].value
    }
}

/// Small helpers to walk decoded JSON.
extension Dictionary where Key == String, Value == Any {
    func dict(_ key: String) -> [String: Any]? { self[key] as? [String: Any] }
    func list(_ key: String) -> [[String: Any]] { self[key] as? [[String: Any]] ?? [] }
    func string(_ key: String) -> String? { self[key] as? String }
    func strings(_ key: String) -> [String] { self[key] as? [String] ?? [] }
    func bool(_ key: String) -> Bool? { self[key] as? Bool }
    func int(_ key: String) -> Int? { self[key] as? Int }

    /// `a.b.c` lookups.
    func at(_ path: String) -> Any? {
        var current: Any? = self
        for part in path.split(separator: ".") {
            current = (current as? [String: Any])?[String(part)]
        }
        return current
    }
}
