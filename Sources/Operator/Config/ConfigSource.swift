import Foundation

/// Where settings come from: the environment wins over an optional YAML file; a variable
/// ending in `_FILE` names a file holding the value (for secrets mounted from Kubernetes).
public struct ConfigSource: Sendable {
    public let environment: [String: String]
    public let file: [String: String]
    public let filePath: String?

    public init(environment: [String: String], file: [String: String] = [:], filePath: String? = nil) {
        self.environment = environment
        self.file = file
        self.filePath = filePath
    }

    /// Reads the process environment and, when given, the YAML config file.
    public static func load(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        configFile: String?
    ) throws -> ConfigSource {
        guard let configFile else { return ConfigSource(environment: environment) }
        guard let data = FileManager.default.contents(atPath: configFile) else {
            throw ConfigError.unreadable("--config", configFile)
        }
        let values = try FlatYAML.parse(String(decoding: data, as: UTF8.self), origin: configFile)
        return ConfigSource(environment: environment, file: values, filePath: configFile)
    }

    /// The raw value of `key`: `KEY` from the environment, else `KEY_FILE`'s contents (from
    /// the environment), else the same two from the config file. Empty means unset.
    public func value(_ key: String) throws -> String? {
        for layer in [environment, file] {
            if let value = layer[key], !value.isEmpty { return value }
            if let path = layer[key + "_FILE"], !path.isEmpty {
                guard let data = FileManager.default.contents(atPath: path) else {
                    throw ConfigError.unreadable(key + "_FILE", path)
                }
                // Secrets files commonly end with a newline; it is never part of the secret.
                let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .newlines)
                if text.isEmpty { throw ConfigError.invalid(key + "_FILE", "the file \(path) is empty") }
                return text
            }
        }
        return nil
    }
}
