import Foundation

/// Label selectors as the API server parses them (also used for Argo CD's `selector`).
extension KubernetesSimulator {
    /// Equality-based selectors: `k=v`, `k==v`, `k!=v`, `k`, `!k`, and `k in (a,b)`.
    static func parseSelector(_ selector: String) -> [([String: String]) -> Bool]? {
        var out: [([String: String]) -> Bool] = []
        var terms: [String] = []
        var depth = 0
        var current = ""
        for character in selector {
            if character == "(" { depth += 1 } else if character == ")" { depth -= 1 }
            if character == "," && depth == 0 {
                terms.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        if !current.isEmpty { terms.append(current) }
        for raw in terms {
            let term = raw.trimmingCharacters(in: .whitespaces)
            if term.isEmpty { continue }
            if let operatorRange = term.range(of: "!=") {
                let key = term[..<operatorRange.lowerBound].trimmingCharacters(in: .whitespaces)
                let value = term[operatorRange.upperBound...].trimmingCharacters(in: .whitespaces)
                out.append { $0[key] != value }
            } else if let operatorRange = term.range(of: "==") ?? term.range(of: "=") {
                let key = term[..<operatorRange.lowerBound].trimmingCharacters(in: .whitespaces)
                let value = term[operatorRange.upperBound...].trimmingCharacters(in: .whitespaces)
                out.append { $0[key] == value }
            } else if let operatorRange = term.range(of: " notin ") ?? term.range(of: " in ") {
                let key = term[..<operatorRange.lowerBound].trimmingCharacters(in: .whitespaces)
                let set = Set(
                    term[operatorRange.upperBound...].trimmingCharacters(in: CharacterSet(charactersIn: "() "))
                        .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
                let negate = term.contains(" notin ")
                out.append { labels in
                    negate ? !set.contains(labels[key] ?? "\u{0}") : labels[key].map(set.contains) ?? false
                }
            } else if term.hasPrefix("!") {
                let key = String(term.dropFirst())
                out.append { $0[key] == nil }
            } else {
                guard term.allSatisfy({ $0.isLetter || $0.isNumber || "-_./".contains($0) }) else { return nil }
                out.append { $0[term] != nil }
            }
        }
        return out
    }
}
