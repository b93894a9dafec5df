import Foundation

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
            if let quote = value.first, quote == "\"" || quote == "'" {
                guard value.count >= 2, value.last == quote else {
                    throw ConfigError.syntax(origin, lineNo, "unterminated quoted value for \(key)")
                }
                value = String(value.dropFirst().dropLast())
                if quote == "\"" {
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
