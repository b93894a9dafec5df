import ArgumentParser
import Demo
import Foundation
import Logging
import Operator

#if canImport(Glibc)
    import Glibc
#endif

struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract:
            "Run the real service against simulated GitHub, Argo CD, Kubernetes, Prometheus and Slack, and play a staging and a production rollback."
    )

    @Option(help: "The port of the service's REST API (0 picks a free one).")
    var port: Int = 8080

    @Flag(help: "End after the scenarios: exit 0 only if both rollbacks reached RollbackComplete.")
    var exit = false

    @Flag(help: "Show the service's own log lines too.")
    var verbose = false

    func run() throws {
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGINT)
        sigaddset(&signals, SIGTERM)
        pthread_sigmask(SIG_BLOCK, &signals, nil)

        let output = LogOutput(fd: 2, capturing: !verbose)
        let logger = Logger(label: "ai-operator") {
            OperatorLogHandler(label: $0, level: .info, json: false, output: output)
        }
        var port = self.port
        if port != 0 && !Self.isFree(port) {
            writeLine("port \(port) is in use; the demo takes a free port instead (or pass --port)")
            port = 0
        }
        let env: DemoEnvironment
        do {
            env = try DemoEnvironment(listen: "127.0.0.1:\(port)")
        } catch {
            FileHandle.standardError.write(Data("ai-operator demo: \(error)\n".utf8))
            throw ExitCode(1)
        }
        let stopAll: @Sendable () -> Void = { env.stop() }
        // Ctrl-C at any time stops the service and the simulators cleanly.
        let waitSet = signals
        Thread.detachNewThread {
            var waitedSignals = waitSet
            var received: Int32 = 0
            sigwait(&waitedSignals, &received)
            writeLine("\nstopping (signal \(received))")
            stopAll()
            Glibc.exit(0)
        }
        let script = DemoScript(env: env, write: writeLine)
        let done = DispatchSemaphore(value: 0)
        let result = ResultBox()
        // The main thread is not one of Swift's cooperative threads: waiting here blocks nothing.
        Task {
            do { result.set(.success(try await script.run(logger: logger))) } catch { result.set(.failure(error)) }
            done.signal()
        }
        done.wait()
        switch result.value {
        case .success(let outcome):
            if exit {
                env.stop()
                throw ExitCode(outcome.succeeded ? 0 : 1)
            }
            writeLine("The REST API stays up; Ctrl-C stops the demo.")
            while true { pause() }
        case .failure(let error):
            FileHandle.standardError.write(Data("ai-operator demo: \(error)\n".utf8))
            env.stop()
            throw ExitCode(1)
        case .none:
            env.stop()
            throw ExitCode(1)
        }
    }

    /// Whether a TCP port on 127.0.0.1 can be bound now.
    static func isFree(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var sa = sockaddr_in()
        sa.sin_family = sa_family_t(AF_INET)
        sa.sin_port = in_port_t(UInt16(port).bigEndian)
        sa.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &sa) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        } == 0
    }

    final class ResultBox: @unchecked Sendable {
        // Safe: `outcome` is only touched under `lock`.
        private let lock = NSLock()
        private var outcome: Result<DemoScript.Outcome, Error>?
        func set(_ result: Result<DemoScript.Outcome, Error>) {
            lock.lock()
            outcome = result
            lock.unlock()
        }
        var value: Result<DemoScript.Outcome, Error>? {
            lock.lock()
            defer { lock.unlock() }
            return outcome
        }
    }
}

/// Writes one line to standard output unbuffered (the timeline must appear as it happens).
@Sendable func writeLine(_ line: String) {
    var bytes = Array(line.utf8)
    bytes.append(10)
    bytes.withUnsafeBytes { _ = write(1, $0.baseAddress, $0.count) }
}
