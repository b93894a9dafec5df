import ArgumentParser
import Foundation
import Logging
import Operator

#if canImport(Glibc)
    import Glibc
#endif

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the operator: webhooks, status API, metrics.")

    @OptionGroup var options: ConfigOptions

    func run() throws {
        // Block SIGINT/SIGTERM before any thread starts, so every thread inherits the mask
        // and only `sigwait` below receives them.
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGINT)
        sigaddset(&signals, SIGTERM)
        pthread_sigmask(SIG_BLOCK, &signals, nil)

        let config = try options.load()
        let output = LogOutput()
        output.setSecrets(config.secrets)
        let level = OperatorLogHandler.level(config.logLevel)
        let json = config.logFormat == "json"
        LoggingSystem.bootstrap { OperatorLogHandler(label: $0, level: level, json: json, output: output) }
        let logger = Logger(label: "ai-operator")

        // Audit lines go to stdout, log lines to stderr, so a shipper can tell them apart.
        let mirror: (@Sendable (String) -> Void)? = config.auditToStdout ? writeLine : nil
        let service = OperatorService(config: config, logger: logger, auditMirror: mirror)
        do {
            try service.start()
        } catch {
            FileHandle.standardError.write(Data("ai-operator: \(error)\n".utf8))
            throw ExitCode(1)
        }
        var received: Int32 = 0
        sigwait(&signals, &received)
        logger.info("signal received", metadata: ["signal": "\(received == SIGTERM ? "SIGTERM" : "SIGINT")"])
        service.stop()
    }
}
