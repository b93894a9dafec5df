import Foundation
import TestSupport

/// The real `ai-operator` executable as a child process (built next to the test runner by
/// `swift build --build-tests`), for the crash-recovery tests: started, SIGKILLed, restarted.
final class CrashBinary: @unchecked Sendable {
    let child: ChildProcess
    var process: Process { child.process }
    var text: String { child.text }
    var pid: Int32 { child.pid }
    var isRunning: Bool { child.isRunning }

    init(arguments: [String], environment: [String: String]) throws {
        var env = environment
        env["LOG_FORMAT"] = "text"
        child = try ChildProcess(
            executable: ChildProcess.siblingExecutable("ai-operator"), arguments: arguments, environment: env)
    }

    /// Waits (bounded) for the `port=N` log line, then for `/readyz` 200; returns the port.
    func waitForReady(seconds: Double = 30) async -> Int? {
        var port: Int?
        _ = await poll(within: seconds) {
            if let match = self.text.range(of: #"port=(\d+)"#, options: .regularExpression) {
                port = Int(self.text[match].dropFirst(5))
            }
            return port != nil || !self.isRunning
        }
        guard let port, isRunning else { return nil }
        let ready = await poll(within: seconds) {
            (try? RawHTTP.request(port: port, method: "GET", path: "/readyz", timeout: 2))?.status == 200
                || !self.isRunning
        }
        return ready && isRunning ? port : nil
    }

    /// Waits (bounded) for the process to exit; its status, or nil while it still runs. Then
    /// waits (bounded) for the end of its output, so `text` holds all it printed.
    func waitForExit(seconds: Double = 20) async -> Int32? {
        _ = await poll(within: seconds) { !self.isRunning }
        if isRunning { return nil }
        _ = await poll(within: 10) { self.child.outputEnded }
        return process.terminationStatus
    }

    /// SIGKILL, then a bounded wait for the exit.
    func kill9() async {
        if isRunning { kill(pid, SIGKILL) }
        _ = await waitForExit(seconds: 10)
    }

    /// SIGTERM (then SIGKILL after 15 s).
    func terminate() async {
        if isRunning { process.terminate() }
        _ = await waitForExit(seconds: 15)
        await kill9()
    }
}

/// Polls every 20 ms until `condition` holds or `seconds` pass (never blocks a thread).
func poll(within seconds: Double, _ condition: () -> Bool) async -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if condition() { return true }
        try? await Task.sleep(nanoseconds: 20_000_000)
    }
    return condition()
}
