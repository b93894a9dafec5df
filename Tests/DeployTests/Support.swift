import Foundation
import TestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// A failure of the test harness itself (a missing tool, a child process that hung), reported
/// with a message that says how to fix it. Never a reason to skip.
struct DeployTestError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

/// The repository root, found from this file's path (Tests/DeployTests/Support.swift).
enum Repo {
    static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let deploy = root.appendingPathComponent("deploy")

    static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }

    static func read(_ relative: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path(relative)) else {
            throw DeployTestError("cannot read \(relative)")
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// Every `*.yaml` / `*.yml` file under `deploy/`, except `deploy/local/` (the local run's
    /// flat config, not a Kubernetes file), as paths relative to the repository root, sorted.
    static func deployYAMLFiles() -> [String] {
        let fm = FileManager.default
        guard let walker = fm.enumerator(atPath: deploy.path) else { return [] }
        var out: [String] = []
        while let rel = walker.nextObject() as? String {
            if rel == "local" || rel.hasPrefix("local/") { continue }
            if rel.hasSuffix(".yaml") || rel.hasSuffix(".yml") { out.append("deploy/" + rel) }
        }
        return out.sorted()
    }
}

/// The result of a child process.
struct ToolResult {
    let status: Int32
    let stdout: String
    let stderr: String
    var output: String { stdout + (stderr.isEmpty ? "" : "\n" + stderr) }
}

/// Child processes with a bounded wait: output goes to temporary files (no pipe can fill up
/// and block the child), and a child still running at the deadline is killed and reported.
enum Tool {
    static let defaultTimeout: Double = 60

    static func run(
        _ executable: String, _ arguments: [String], cwd: String? = nil,
        timeout: Double = defaultTimeout
    ) throws -> ToolResult {
        let dir = TemporaryDirectory("deploy-tests-proc")
        defer { dir.remove() }
        let outPath = dir.path + "/stdout"
        let errPath = dir.path + "/stderr"
        FileManager.default.createFile(atPath: outPath, contents: nil)
        FileManager.default.createFile(atPath: errPath, contents: nil)
        guard let out = FileHandle(forWritingAtPath: outPath), let err = FileHandle(forWritingAtPath: errPath) else {
            throw DeployTestError("cannot create output files in \(dir.path)")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let cwd { process.currentDirectoryURL = URL(fileURLWithPath: cwd) }
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let finished = eventually(within: timeout) { !process.isRunning }
        if !finished {
            process.terminate()
            _ = eventually(within: 2) { !process.isRunning }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
            try? out.close()
            try? err.close()
            throw DeployTestError(
                "\(executable) \(arguments.joined(separator: " ")) did not finish within \(Int(timeout)) s; killed")
        }
        process.waitUntilExit()
        try? out.close()
        try? err.close()
        let stdout = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
        let stderr = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
        return ToolResult(status: process.terminationStatus, stdout: stdout, stderr: stderr)
    }

    /// The first executable named `name` in `preferred` or on PATH.
    static func find(_ name: String, preferred: [String] = []) -> [String] {
        var candidates = preferred
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":")
        {
            candidates.append("\(dir)/\(name)")
        }
        var seen = Set<String>()
        return candidates.filter { FileManager.default.isExecutableFile(atPath: $0) && seen.insert($0).inserted }
    }

    /// `promtool` from the Debian `prometheus` package (or PATH). Missing: a failure, not a skip.
    static func promtool() throws -> String {
        guard let p = find("promtool", preferred: ["/usr/bin/promtool"]).first else {
            throw DeployTestError(
                "promtool not found: install the Debian package `prometheus` (apt-get install -y prometheus); CI installs it in .ci/install-deps"
            )
        }
        return p
    }

    /// A `python3` that can `import yaml` (Debian: /usr/bin/python3 with `python3-yaml`).
    static func python() throws -> String {
        let candidates = find("python3", preferred: ["/usr/bin/python3"])
        guard !candidates.isEmpty else {
            throw DeployTestError("python3 not found: install the Debian packages python3 and python3-yaml")
        }
        for c in candidates {
            if let r = try? run(c, ["-c", "import yaml"], timeout: 20), r.status == 0 { return c }
        }
        throw DeployTestError(
            "no python3 with PyYAML among \(candidates): install the Debian package python3-yaml (apt-get install -y python3-yaml)"
        )
    }
}

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

enum YAMLLoader {
    /// Loads every document of `files` (relative to the repository root) with PyYAML's
    /// safe loader. Empty documents (a trailing `---`) are dropped.
    static let script = """
        import json, sys, yaml
        out = []
        for path in sys.argv[2:]:
            with open(sys.argv[1] + "/" + path, encoding="utf-8") as f:
                for i, doc in enumerate(yaml.safe_load_all(f)):
                    if doc is not None:
                        out.append({"file": path, "index": i, "doc": doc})
        json.dump(out, sys.stdout, default=str)
        """

    static func load(_ files: [String]) throws -> [YAMLDocument] {
        let python = try Tool.python()
        let r = try Tool.run(python, ["-c", script, Repo.root.path] + files)
        guard r.status == 0 else { throw DeployTestError("PyYAML could not parse the deploy files:\n\(r.output)") }
        guard let list = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]] else {
            throw DeployTestError("unexpected loader output: \(r.stdout.prefix(200))")
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

/// The metric families the operator exports: SPEC section 15 (exact names and labels) plus
/// the two ingress families. Dashboards and rules may use nothing else from the operator.
enum MetricCatalog {
    enum Kind { case counter, gauge, histogram }

    static let families: [String: (kind: Kind, labels: Set<String>)] = [
        "ai_operator_degradations_detected_total": (.counter, ["app_name", "environment"]),
        "ai_operator_rollbacks_proposed_total": (.counter, ["app_name", "environment", "success"]),
        "ai_operator_rollbacks_merged_total": (.counter, ["app_name", "environment", "auto_merged"]),
        "ai_operator_rollbacks_aborted_total": (.counter, ["app_name", "environment", "reason"]),
        "ai_operator_invariant_violations_total": (.counter, ["invariant_id"]),
        "ai_operator_mcp_call_errors_total": (.counter, ["call_name", "error_code"]),
        "ai_operator_fsm_state": (.gauge, ["app_name", "state"]),
        "ai_operator_active_rollbacks": (.gauge, ["environment"]),
        "ai_operator_mean_time_to_recovery_seconds": (.histogram, ["app_name", "environment"]),
        "ai_operator_candidate_resolution_duration_seconds": (.histogram, ["app_name"]),
        "ai_operator_mcp_call_duration_seconds": (.histogram, ["call_name"]),
        // Ingress families (beyond SPEC 15).
        "ai_operator_webhooks_received_total": (.counter, ["source", "event", "outcome"]),
        "ai_operator_http_request_duration_seconds": (.histogram, ["method", "route", "status"]),
    ]

    /// Labels Prometheus adds when scraping (target labels), valid on every series.
    static let targetLabels: Set<String> = ["job", "instance", "namespace", "pod", "service", "endpoint", "container"]

    /// The family and the labels a series name may carry, or nil when it is not exported.
    static func resolve(_ series: String) -> (family: String, labels: Set<String>)? {
        if let f = families[series], f.kind != .histogram { return (series, f.labels.union(targetLabels)) }
        for suffix in ["_bucket", "_sum", "_count"] where series.hasSuffix(suffix) {
            let base = String(series.dropLast(suffix.count))
            if let f = families[base], f.kind == .histogram {
                let extra: Set<String> = suffix == "_bucket" ? ["le"] : []
                return (base, f.labels.union(targetLabels).union(extra))
            }
        }
        return nil
    }

    /// Problems with the operator metrics an expression uses: unknown series names and label
    /// matchers or grouping labels that the family does not have. `allowed` lists other
    /// series (such as `up`) that the expression may select.
    static func problems(in expr: String, allowed: [String: Set<String>] = [:]) -> [String] {
        var problems: [String] = []
        var usedLabels = Set<String>(targetLabels)
        let nameRegex = try! NSRegularExpression(pattern: #"\bai_operator_[a-z0-9_]+"#)
        let ns = expr as NSString
        for m in nameRegex.matches(in: expr, range: NSRange(location: 0, length: ns.length)) {
            let name = ns.substring(with: m.range)
            if let r = resolve(name) {
                usedLabels.formUnion(r.labels)
            } else {
                problems.append("unknown metric \(name)")
            }
        }
        for (_, labels) in allowed { usedLabels.formUnion(labels) }
        // Selectors: name{label op "value", ...}
        let selector = try! NSRegularExpression(pattern: #"\b([a-zA-Z_:][a-zA-Z0-9_:]*)\s*\{([^}]*)\}"#)
        let matcher = try! NSRegularExpression(pattern: #"([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)"#)
        for m in selector.matches(in: expr, range: NSRange(location: 0, length: ns.length)) {
            let name = ns.substring(with: m.range(at: 1))
            let body = ns.substring(with: m.range(at: 2)) as NSString
            let labels: Set<String>
            if let r = resolve(name) {
                labels = r.labels
            } else if let a = allowed[name] {
                labels = a
            } else {
                if !name.hasPrefix("ai_operator_") {
                    problems.append("selector on a series that is not the operator's: \(name)")
                }
                continue
            }
            // Only label names outside quoted values.
            let unquoted = body.replacingOccurrences(
                of: #""([^"\\]|\\.)*""#, with: "\"\"", options: .regularExpression,
                range: NSRange(location: 0, length: body.length))
            let u = unquoted as NSString
            for lm in matcher.matches(in: unquoted, range: NSRange(location: 0, length: u.length)) {
                let label = u.substring(with: lm.range(at: 1))
                if !labels.contains(label) { problems.append("\(name) has no label \(label)") }
            }
        }
        // Grouping: by (a, b) / without (a)
        let grouping = try! NSRegularExpression(pattern: #"\b(by|without)\s*\(([^)]*)\)"#)
        for m in grouping.matches(in: expr, range: NSRange(location: 0, length: ns.length)) {
            for label in ns.substring(with: m.range(at: 2)).split(separator: ",").map({
                $0.trimmingCharacters(in: .whitespaces)
            }) where !label.isEmpty {
                if !usedLabels.contains(label) { problems.append("grouping by \(label), which no selected series has") }
            }
        }
        return problems
    }
}
