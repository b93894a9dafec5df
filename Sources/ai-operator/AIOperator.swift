import ArgumentParser
import Foundation
import Logging
import Operator

#if canImport(Glibc)
    import Glibc
#endif

@main
struct AIOperator: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ai-operator",
        abstract: "A GitOps rollback operator for Argo CD applications.",
        subcommands: [Serve.self, DemoCommand.self, ConfigCommand.self, AuditCommand.self, Version.self]
    )
}

/// Options shared by commands that read the configuration.
struct ConfigOptions: ParsableArguments {
    @Option(
        name: .customLong("config"),
        help: "A YAML file with the same keys as the environment variables (the environment wins).")
    var configFile: String?

    /// Loads and validates, or prints one line naming the problem and exits with code 2.
    func load() throws -> OperatorConfig {
        do {
            return try OperatorConfig.load(from: ConfigSource.load(configFile: configFile))
        } catch let error as ConfigError {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            throw ExitCode(2)
        }
    }
}

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

struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config", abstract: "Configuration tools.",
        subcommands: [Check.self])

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate the configuration without starting; print it with secrets redacted.")
        @OptionGroup var options: ConfigOptions

        func run() throws {
            let config = try options.load()
            print("configuration OK")
            for (key, value) in config.redactedSummary { print("  \(key): \(value)") }
        }
    }
}

struct Version: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the version.")
    func run() { print("ai-operator \(OperatorVersion.current)") }
}
