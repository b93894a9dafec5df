import ArgumentParser
import Foundation
import Operator

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
