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
            if let v = layer[key], !v.isEmpty { return v }
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

/// A configuration problem, reported as one line naming the setting. Never carries a
/// secret's value.
public enum ConfigError: Error, CustomStringConvertible, Equatable, Sendable {
    case missing(String, String)
    case invalid(String, String)
    case unreadable(String, String)
    case syntax(String, Int, String)

    public var description: String {
        switch self {
        case .missing(let key, let hint): return "configuration error: \(key) is required (\(hint))"
        case .invalid(let key, let why): return "configuration error: \(key) is invalid: \(why)"
        case .unreadable(let key, let path): return "configuration error: \(key): cannot read \(path)"
        case .syntax(let file, let line, let why): return "configuration error: \(file) line \(line): \(why)"
        }
    }
}

/// The configuration file format: flat `KEY: value` YAML (the same keys as the environment
/// variables), comments, blank lines, and single- or double-quoted values. Nested maps and
/// lists are refused with the line number: the contract is flat.
enum FlatYAML {
    static func parse(_ text: String, origin: String) throws -> [String: String] {
        var out: [String: String] = [:]
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let lineNo = index + 1
            var line = Substring(rawLine)
            if line.hasSuffix("\r") { line = line.dropLast() }
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") || trimmed == "---" { continue }
            if line.first == " " || line.first == "\t" {
                throw ConfigError.syntax(origin, lineNo, "nested values are not supported; use flat KEY: value lines")
            }
            guard let colon = line.firstIndex(of: ":") else {
                throw ConfigError.syntax(origin, lineNo, "expected KEY: value")
            }
            let key = line[..<colon].trimmingCharacters(in: .whitespaces)
            guard !key.isEmpty, key.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
                throw ConfigError.syntax(origin, lineNo, "invalid key '\(key)'")
            }
            var value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            if let q = value.first, q == "\"" || q == "'" {
                guard value.count >= 2, value.last == q else {
                    throw ConfigError.syntax(origin, lineNo, "unterminated quoted value for \(key)")
                }
                value = String(value.dropFirst().dropLast())
                if q == "\"" {
                    value = value.replacingOccurrences(of: "\\\"", with: "\"").replacingOccurrences(
                        of: "\\\\", with: "\\")
                }
            } else {
                if let hash = value.range(of: " #") {
                    value = value[..<hash.lowerBound].trimmingCharacters(in: .whitespaces)
                }
                if value.hasPrefix("[") || value.hasPrefix("{") || value == "|" || value == ">" {
                    throw ConfigError.syntax(
                        origin, lineNo, "lists, maps and block values are not supported for \(key); use a comma list")
                }
            }
            if out[key] != nil { throw ConfigError.syntax(origin, lineNo, "\(key) is set twice") }
            out[key] = value
        }
        return out
    }
}
