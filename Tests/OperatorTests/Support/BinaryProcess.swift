import Foundation
import TestSupport

/// The real `ai-operator` executable, started as a child process for tests that need a
/// process boundary (kill -9, exit codes). It is built next to the test bundle.
final class BinaryProcess: @unchecked Sendable {
    static var executable: String {
        let me = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var dir = me.deletingLastPathComponent()
        // The test runner may live inside an .xctest bundle folder.
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("ai-operator").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return me.deletingLastPathComponent().appendingPathComponent("ai-operator").path
    }

    let process = Process()
    private let stderrPipe = Pipe()
    private let stdoutPipe = Pipe()
    private let lock = NSLock()
    private var output = ""

    init(arguments: [String], environment: [String: String]) throws {
        process.executableURL = URL(fileURLWithPath: Self.executable)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("GITHUB_") && !$0.key.hasPrefix("ARGOCD_") }
        env.merge(environment) { $1 }
        env["LOG_FORMAT"] = "text"
        process.environment = env
        process.standardError = stderrPipe
        process.standardOutput = stdoutPipe
        for pipe in [stderrPipe, stdoutPipe] {
            pipe.fileHandleForReading.readabilityHandler = { [weak self] h in
                let data = h.availableData
                guard let self, !data.isEmpty else { return }
                self.lock.lock(); self.output += String(decoding: data, as: UTF8.self); self.lock.unlock()
            }
        }
        try process.run()
    }

    var text: String { lock.lock(); defer { lock.unlock() }; return output }

    /// Waits (bounded) for the "listening ... port=N" line and returns the port.
    func waitForPort(seconds: Double = 20) -> Int? {
        var port: Int?
        _ = eventually(within: seconds) {
            if let r = text.range(of: #"port=(\d+)"#, options: .regularExpression) {
                port = Int(text[r].dropFirst(5))
            }
            return port != nil || !process.isRunning
        }
        return port
    }

    /// Waits (bounded) for the port and then for `/readyz` to answer 200; returns the port.
    func waitForReady(seconds: Double = 20) -> Int? {
        guard let port = waitForPort(seconds: seconds) else { return nil }
        let ready = eventually(within: seconds) {
            (try? RawHTTP.request(port: port, method: "GET", path: "/readyz", timeout: 2))?.status == 200 || !process.isRunning
        }
        return ready && process.isRunning ? port : nil
    }

    /// Waits (bounded) for the process to exit; returns its status, or nil if it is still running.
    func waitForExit(seconds: Double = 20) -> Int32? {
        _ = eventually(within: seconds) { !process.isRunning }
        return process.isRunning ? nil : process.terminationStatus
    }

    func kill9() {
        kill(process.processIdentifier, SIGKILL)
        _ = waitForExit(seconds: 10)
    }

    func terminate() {
        if process.isRunning { process.terminate() }
        _ = waitForExit(seconds: 15)
        if process.isRunning { kill9() }
    }
}
