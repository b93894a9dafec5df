// The rules for branch names (git's `check-ref-format`) and file paths inside a repository.
// Both may hold non-ASCII text, so each is also checked in its Unicode compatibility form
// (NFKC): `‥` or a fullwidth `／` must not read as `..` or `/` to a server that normalises;
// and neither may hold a percent-escape, which a server that decodes twice would read as one.
import Foundation

extension URLValueKind {
    static let maxBranchBytes = 255
    static let maxFilePathBytes = 4096

    /// git's `check-ref-format --branch` rules, in this form and in NFKC form.
    static func branchProblem(_ value: String) -> String? {
        if let problem = refFormatProblem(value) { return problem }
        let folded = value.precomposedStringWithCompatibilityMapping
        if folded != value, let problem = refFormatProblem(folded) {
            return "reads, once normalised, as one that \(problem)"
        }
        return nil
    }

    private static func refFormatProblem(_ value: String) -> String? {
        guard !value.isEmpty else { return "is empty" }
        guard value.utf8.count <= maxBranchBytes else { return "is longer than \(maxBranchBytes) bytes" }
        if let problem = characterProblem(value, forbidden: "~^:?*[\\") { return problem }
        if let problem = percentEscapeProblem(value) { return problem }
        if value.unicodeScalars.contains(where: { $0.properties.isWhitespace }) { return "contains white space" }
        guard value != "@" else { return "is '@'" }
        for sequence in ["..", "@{", "//"] where value.contains(sequence) { return "contains '\(sequence)'" }
        guard !value.hasPrefix("-") else { return "starts with '-'" }
        guard !value.hasPrefix("/") else { return "starts with '/'" }
        guard !value.hasSuffix("/") else { return "ends with '/'" }
        guard !value.hasSuffix(".") else { return "ends with '.'" }
        for component in value.split(separator: "/") {
            if component.hasPrefix(".") { return "has a component starting with '.'" }
            if component.hasSuffix(".lock") { return "has a component ending with '.lock'" }
        }
        return nil
    }

    /// No empty, `.` or `..` segment, no leading `/`, no backslash, no control character; in this
    /// form and in NFKC form.
    static func filePathProblem(_ value: String) -> String? {
        if let problem = pathFormatProblem(value) { return problem }
        let folded = value.precomposedStringWithCompatibilityMapping
        if folded != value, let problem = pathFormatProblem(folded) {
            return "reads, once normalised, as one that \(problem)"
        }
        return nil
    }

    private static func pathFormatProblem(_ value: String) -> String? {
        guard !value.isEmpty else { return "is empty" }
        guard value.utf8.count <= maxFilePathBytes else { return "is longer than \(maxFilePathBytes) bytes" }
        if let problem = characterProblem(value, forbidden: "\\") { return problem }
        if let problem = percentEscapeProblem(value) { return problem }
        guard !value.hasPrefix("/") else { return "starts with '/'" }
        for segment in value.split(separator: "/", omittingEmptySubsequences: false) {
            if segment.isEmpty { return "has an empty segment" }
            if segment == "." || segment == ".." { return "has a '\(segment)' segment" }
        }
        return nil
    }

    /// Text that is already percent-encoded (`%2e`, `%2F`): a server or proxy that decodes twice
    /// would read it as `.` or `/` (the simulators' HTTP server does). A lone `%` is encoded.
    private static func percentEscapeProblem(_ value: String) -> String? {
        let bytes = Array(value.utf8)
        func isHex(_ byte: UInt8) -> Bool {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "f"),
                UInt8(ascii: "A")...UInt8(ascii: "F"):
                return true
            default: return false
            }
        }
        for index in bytes.indices where bytes[index] == UInt8(ascii: "%") && index + 2 < bytes.count {
            if isHex(bytes[index + 1]) && isHex(bytes[index + 2]) { return "contains a percent-escape" }
        }
        return nil
    }

    /// A control or invisible formatting character (NUL, newline, DEL, zero-width space, a
    /// line separator), or one of `forbidden`.
    private static func characterProblem(_ value: String, forbidden: String) -> String? {
        for scalar in value.unicodeScalars {
            switch scalar.properties.generalCategory {
            case .control, .format, .lineSeparator, .paragraphSeparator:
                return "contains a control character"
            default:
                if forbidden.unicodeScalars.contains(scalar) { return "contains '\(scalar)'" }
            }
        }
        return nil
    }
}
