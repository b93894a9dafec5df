import Foundation
import RollbackCore

/// Reads a setting of `Settings.all` from a `ConfigSource` and checks it against its kind and
/// bounds; the first problem is thrown as one line naming the setting (never a secret's value).
struct SettingReader {
    let source: ConfigSource

    /// The trimmed raw text of a declared setting, or nil when unset.
    func text(_ name: String) throws -> String? {
        precondition(Settings.named(name) != nil, "\(name) is not declared in Settings.all")
        return try source.value(name)?.trimmingCharacters(in: .whitespaces)
    }

    /// The value, or the setting's default; nil when neither exists.
    func textOrDefault(_ name: String) throws -> String? {
        try text(name) ?? Settings.named(name)?.defaultText
    }

    func required(_ name: String) throws -> String {
        guard let value = try text(name), !value.isEmpty else {
            throw ConfigError.missing(name, Settings.named(name)?.meaning ?? "")
        }
        return try validated(name, value)
    }

    /// The value checked against its kind, when set.
    func optional(_ name: String) throws -> String? {
        guard let value = try text(name) else { return nil }
        return try validated(name, value)
    }

    /// The value checked against its kind, or the default.
    func withDefault(_ name: String) throws -> String {
        if let value = try optional(name) { return value }
        return Settings.named(name)?.defaultText ?? ""
    }

    func list(_ name: String) throws -> [String] {
        guard let value = try text(name) else { return [] }
        return value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// Checks `value` against the setting's kind; returns it normalised (URLs lose a trailing
    /// slash, choices take their declared spelling).
    func validated(_ name: String, _ value: String) throws -> String {
        guard let setting = Settings.named(name) else { return value }
        switch setting.kind {
        case .text, .list:
            return value
        case .filePath:
            guard FileManager.default.isReadableFile(atPath: value) else { throw ConfigError.unreadable(name, value) }
            return value
        case .secret(let minimumLength):
            if value.count < minimumLength {
                throw ConfigError.invalid(name, "shorter than \(minimumLength) characters")
            }
            return value
        case .url(let secret):
            guard let url = URL(string: value), let scheme = url.scheme, ["http", "https"].contains(scheme),
                url.host != nil
            else {
                // A secret URL (Slack's) is never echoed back.
                throw ConfigError.invalid(
                    name, secret ? "expected an http(s) URL" : "expected an http(s) URL, got '\(value)'")
            }
            return value.hasSuffix("/") ? String(value.dropLast()) : value
        case .ownerAndName(let shape):
            guard Self.isOwnerAndName(value) else { throw ConfigError.invalid(name, "expected \(shape)") }
            return value
        case .listenAddress:
            guard let colon = value.lastIndex(of: ":"), let port = Int(value[value.index(after: colon)...]),
                (0...65535).contains(port)
            else {
                throw ConfigError.invalid(name, "expected host:port, e.g. 0.0.0.0:8080")
            }
            return value
        case .identifier:
            guard !value.isEmpty, value.allSatisfy(\.isNumber) else {
                throw ConfigError.invalid(name, "expected a number")
            }
            return value
        case .choice(let choices):
            guard let match = choices.first(where: { $0.lowercased() == value.lowercased() }) else {
                let expected =
                    choices.count == 2
                    ? "\(choices[0]) or \(choices[1])" : "one of " + choices.joined(separator: ", ")
                throw ConfigError.invalid(name, "expected \(expected)")
            }
            return match
        case .flag:
            guard ["true", "false", "1", "0"].contains(value.lowercased()) else {
                throw ConfigError.invalid(name, "expected true or false")
            }
            return value.lowercased() == "true" || value == "1" ? "true" : "false"
        case .seconds, .checks:
            let unit = setting.unit ?? ""
            guard let number = Double(value), number.isFinite, number > setting.lowerExclusive else {
                throw ConfigError.invalid(name, "expected a positive number of \(unit)")
            }
            if case .checks = setting.kind, number != number.rounded() {
                throw ConfigError.invalid(name, "expected a whole number of \(unit)")
            }
            guard number <= setting.upper else {
                throw ConfigError.invalid(name, "expected at most \(Setting.format(setting.upper)) \(unit)")
            }
            return value
        }
    }

    static func isOwnerAndName(_ value: String) -> Bool {
        let parts = value.split(separator: "/", omittingEmptySubsequences: false)
        return parts.count == 2
            && parts.allSatisfy { part in
                !part.isEmpty && part.allSatisfy { $0.isLetter || $0.isNumber || "-_.".contains($0) }
            }
    }
}
