import Foundation

/// Small pure text helpers shared by the renderers.
public enum TextFormatting {
    /// `2026-02-27T10:30:00Z` (UTC, whole seconds), with no formatter and no locale.
    public static func iso8601(_ date: Date) -> String {
        let seconds = Int64(date.timeIntervalSince1970.rounded(.down))
        let days = seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400
        let secondOfDay = seconds - days * 86400
        let (year, month, day) = CivilDate.from(days: days)
        func pad(_ value: Int64, _ width: Int = 2) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return
            "\(pad(year, 4))-\(pad(month))-\(pad(day))T\(pad(secondOfDay / 3600)):\(pad(secondOfDay % 3600 / 60)):\(pad(secondOfDay % 60))Z"
    }

    /// Masks anything that looks like a credential in free text that came from outside
    /// (Argo CD messages, API error messages): GitHub tokens, bearer tokens, `token=`/
    /// `password=`/`secret=` values, and URL user-info.
    public static func redact(_ text: String) -> String {
        guard mayHoldSecret(text) else { return text }
        var words = text.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
        var maskNext = false
        for i in words.indices {
            let word = words[i]
            if maskNext && !word.isEmpty {
                words[i] = "[REDACTED]"
                maskNext = false
                continue
            }
            let lower = word.lowercased()
            if lower == "bearer" || lower == "token" || lower == "authorization:" {
                maskNext = true
                continue
            }
            if ["ghp_", "gho_", "ghs_", "ghu_", "github_pat_", "xoxb-", "xoxp-", "eyj"].contains(where: {
                lower.hasPrefix($0)
            }) {
                words[i] = "[REDACTED]"
                continue
            }
            for key in ["token=", "password=", "secret=", "access_token=", "api_key="] {
                if let keyRange = lower.range(of: key) {
                    let keep = word[
                        word
                            .startIndex..<word.index(
                                word.startIndex,
                                offsetBy: lower.distance(from: lower.startIndex, to: keyRange.upperBound))]
                    words[i] = keep + "[REDACTED]"
                }
            }
            if let scheme = word.range(of: "://"), let at = word.range(of: "@"), scheme.upperBound < at.lowerBound {
                words[i] = String(word[..<scheme.upperBound]) + "[REDACTED]" + String(word[at.lowerBound...])
            }
        }
        return words.joined(separator: " ")
    }

    private static let hints: [[UInt8]] = [
        "bearer", "token", "authorization", "ghp_", "gho_", "ghs_", "ghu_", "github_pat_",
        "xox", "eyj", "password=", "secret=", "api_key=", "://",
    ].map { Array($0.utf8) }

    /// One pass over the bytes (ASCII-lowercased) for anything `redact` would mask.
    static func mayHoldSecret(_ text: String) -> Bool {
        var bytes = Array(text.utf8)
        for i in bytes.indices where bytes[i] >= 65 && bytes[i] <= 90 { bytes[i] += 32 }
        let byteCount = bytes.count
        for hint in hints where hint.count <= byteCount {
            let first = hint[0]
            var offset = 0
            while offset <= byteCount - hint.count {
                if bytes[offset] == first {
                    var matched = 1
                    while matched < hint.count && bytes[offset + matched] == hint[matched] { matched += 1 }
                    if matched == hint.count { return true }
                }
                offset += 1
            }
        }
        return false
    }

    /// A JSON string literal.
    public static func jsonString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    out += "\\u00" + (scalar.value < 16 ? "0" : "") + String(scalar.value, radix: 16)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
