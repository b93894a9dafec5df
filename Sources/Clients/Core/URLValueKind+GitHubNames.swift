// The rules for GitHub's own names (owners, repositories, logins) and commit SHAs: all ASCII,
// so look-alike characters never pass.
extension URLValueKind {
    static func isASCIILetterOrDigit(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "a"..."z", "A"..."Z", "0"..."9": return true
        default: return false
        }
    }

    /// 1-39 ASCII letters, digits and single hyphens, no hyphen first or last.
    static func ownerProblem(_ value: String) -> String? {
        guard value.unicodeScalars.allSatisfy({ isASCIILetterOrDigit($0) || $0 == "-" }) else {
            return "may hold only ASCII letters, digits and hyphens"
        }
        guard (1...39).contains(value.utf8.count) else { return "must be 1-39 characters" }
        guard !value.hasPrefix("-"), !value.hasSuffix("-") else { return "must not start or end with a hyphen" }
        guard !value.contains("--") else { return "must not hold two hyphens in a row" }
        return nil
    }

    /// 1-100 ASCII letters, digits, `.`, `-` and `_`, and not `.` or `..`.
    static func repositoryNameProblem(_ value: String) -> String? {
        let allowed: Set<Unicode.Scalar> = [".", "-", "_"]
        guard value.unicodeScalars.allSatisfy({ isASCIILetterOrDigit($0) || allowed.contains($0) }) else {
            return "may hold only ASCII letters, digits, '.', '-' and '_'"
        }
        guard (1...100).contains(value.utf8.count) else { return "must be 1-100 characters" }
        guard value != ".", value != ".." else { return "must not be '.' or '..'" }
        return nil
    }

    /// A user's login: 1-39 ASCII letters, digits, `-` and `_` (managed users), not starting with
    /// a hyphen, with an optional `[bot]` suffix for GitHub Apps.
    static func loginProblem(_ value: String) -> String? {
        let name = value.hasSuffix("[bot]") ? String(value.dropLast("[bot]".count)) : value
        guard name.unicodeScalars.allSatisfy({ isASCIILetterOrDigit($0) || $0 == "-" || $0 == "_" }) else {
            return "may hold only ASCII letters, digits, '-' and '_'"
        }
        guard (1...39).contains(name.utf8.count) else { return "must be 1-39 characters" }
        guard !name.hasPrefix("-") else { return "must not start with a hyphen" }
        return nil
    }

    /// Exactly 40 ASCII hex digits (either case; callers get it lowercased).
    static func shaProblem(_ value: String) -> String? {
        let hex = value.unicodeScalars.allSatisfy {
            switch $0 {
            case "0"..."9", "a"..."f", "A"..."F": return true
            default: return false
            }
        }
        guard hex else { return "must be hexadecimal" }
        guard value.utf8.count == 40 else { return "must be exactly 40 hex characters" }
        return nil
    }
}
