import Foundation

/// A program started as a child process with its stdout and stderr captured, for tests that
/// need a process boundary (kill -9, exit codes, the real binary).
public final class ChildProcess: @unchecked Sendable {
    // Safe: `output` is only touched under `lock`; `process` is configured before `run()`.
    public let process = Process()
    private let pipe = Pipe()
    private let lock = NSLock()
    private var output = ""
    private var ended = false

    /// An executable built next to the running test binary (SwiftPM puts products there).
    public static func siblingExecutable(_ name: String) -> String {
        let me = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var dir = me.deletingLastPathComponent()
        // The test runner may live inside an .xctest bundle folder.
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent(name).path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return me.deletingLastPathComponent().appendingPathComponent(name).path
    }

    /// Starts `executable` with the test process's environment minus credentials-like
    /// variables, plus `environment`.
    public init(executable: String, arguments: [String], environment: [String: String]) throws {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment.filter {
            !$0.key.hasPrefix("GITHUB_") && !$0.key.hasPrefix("ARGOCD_")
        }
        env.merge(environment) { $1 }
        process.environment = env
        process.standardError = pipe
        process.standardOutput = pipe
        pipe.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            guard let self else { return }
            self.lock.lock()
            defer { self.lock.unlock() }
            if data.isEmpty {
                // End of file: every writer (the child and anything it started) closed the pipe.
                self.ended = true
                handle.readabilityHandler = nil
            } else {
                self.output += String(decoding: data, as: UTF8.self)
            }
        }
        try process.run()
    }

    /// Everything it printed so far.
    public var text: String {
        lock.lock()
        defer { lock.unlock() }
        return output
    }
    /// True once the pipe reached end of file: `text` is then all the child ever printed.
    public var outputEnded: Bool {
        lock.lock()
        defer { lock.unlock() }
        return ended
    }
    public var pid: Int32 { process.processIdentifier }
    public var isRunning: Bool { process.isRunning }
}
