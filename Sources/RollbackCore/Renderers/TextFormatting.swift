import Foundation

/// Small pure text helpers shared by the renderers.
public enum TextFormatting {
    /// `2026-02-27T10:30:00Z` (UTC, whole seconds), with no formatter and no locale.
    public static func iso8601(_ date: Date) -> String {
        let t = Int64(date.timeIntervalSince1970.rounded(.down))
        let days = t >= 0 ? t / 86400 : (t - 86399) / 86400
        let secs = t - days * 86400
        let (y, m, d) = CivilDate.from(days: days)
        func p(_ v: Int64, _ w: Int = 2) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, w - s.count)) + s
        }
        return "\(p(y, 4))-\(p(m))-\(p(d))T\(p(secs / 3600)):\(p(secs % 3600 / 60)):\(p(secs % 60))Z"
    }

    /// Masks anything that looks like a credential in free text that came from outside
    /// (Argo CD messages, API error messages): GitHub tokens, bearer tokens, `token=`/
    /// `password=`/`secret=` values, and URL user-info.
    public static func redact(_ text: String) -> String {
        guard mayHoldSecret(text) else { return text }
        var words = text.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
        var maskNext = false
        for i in words.indices {
            let w = words[i]
            if maskNext && !w.isEmpty {
                words[i] = "[REDACTED]"
                maskNext = false
                continue
            }
            let lower = w.lowercased()
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
                if let r = lower.range(of: key) {
                    let keep = w[
                        w
                            .startIndex..<w.index(
                                w.startIndex, offsetBy: lower.distance(from: lower.startIndex, to: r.upperBound))]
                    words[i] = keep + "[REDACTED]"
                }
            }
            if let scheme = w.range(of: "://"), let at = w.range(of: "@"), scheme.upperBound < at.lowerBound {
                words[i] = String(w[..<scheme.upperBound]) + "[REDACTED]" + String(w[at.lowerBound...])
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
        let n = bytes.count
        for h in hints where h.count <= n {
            let first = h[0]
            var i = 0
            while i <= n - h.count {
                if bytes[i] == first {
                    var j = 1
                    while j < h.count && bytes[i + j] == h[j] { j += 1 }
                    if j == h.count { return true }
                }
                i += 1
            }
        }
        return false
    }

    /// A JSON string literal.
    public static func jsonString(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 {
                    out += "\\u00" + (u.value < 16 ? "0" : "") + String(u.value, radix: 16)
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }
}
