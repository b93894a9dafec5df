import Foundation
import TestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// A failure of the test harness itself (a missing tool, a child process that hung), reported
/// with a message that says how to fix it. Never a reason to skip.
struct DeployTestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
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
        guard let path = find("promtool", preferred: ["/usr/bin/promtool"]).first else {
            throw DeployTestError(
                "promtool not found: install the Debian package `prometheus` (apt-get install -y prometheus); CI installs it in .ci/install-deps"
            )
        }
        return path
    }

    /// A `python3` that can `import yaml` (Debian: /usr/bin/python3 with `python3-yaml`).
    static func python() throws -> String {
        let candidates = find("python3", preferred: ["/usr/bin/python3"])
        guard !candidates.isEmpty else {
            throw DeployTestError("python3 not found: install the Debian packages python3 and python3-yaml")
        }
        for candidate in candidates {
            if let result = try? run(candidate, ["-c", "import yaml"], timeout: 20), result.status == 0 {
                return candidate
            }
        }
        throw DeployTestError(
            "no python3 with PyYAML among \(candidates): install the Debian package python3-yaml (apt-get install -y python3-yaml)"
        )
    }
}
