import Foundation
import TestSupport

/// The real `ai-operator` executable, started as a child process for tests that need a
/// process boundary (kill -9, exit codes). It is built next to the test bundle.
final class BinaryProcess: @unchecked Sendable {
    let child: ChildProcess
    var process: Process { child.process }
    var text: String { child.text }

    init(arguments: [String], environment: [String: String]) throws {
        var env = environment
        env["LOG_FORMAT"] = "text"
        child = try ChildProcess(
            executable: ChildProcess.siblingExecutable("ai-operator"), arguments: arguments, environment: env)
    }

    /// Waits (bounded) for the "listening ... port=N" line and returns the port.
    func waitForPort(seconds: Double = 20) -> Int? {
        var port: Int?
        _ = eventually(within: seconds) {
            if let match = text.range(of: #"port=(\d+)"#, options: .regularExpression) {
                port = Int(text[match].dropFirst(5))
            }
            return port != nil || !process.isRunning
        }
        return port
    }

    /// Waits (bounded) for the port and then for `/readyz` to answer 200; returns the port.
    func waitForReady(seconds: Double = 20) -> Int? {
        guard let port = waitForPort(seconds: seconds) else { return nil }
        let ready = eventually(within: seconds) {
            (try? RawHTTP.request(port: port, method: "GET", path: "/readyz", timeout: 2))?.status == 200
                || !process.isRunning
        }
        return ready && process.isRunning ? port : nil
    }

    /// Waits (bounded) for the process to exit and for its output to be read to the end;
    /// returns its status, or nil if it is still running.
    func waitForExit(seconds: Double = 20) -> Int32? {
        _ = eventually(within: seconds) { !process.isRunning }
        if process.isRunning { return nil }
        _ = eventually(within: 10) { child.outputEnded }
        return process.terminationStatus
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
