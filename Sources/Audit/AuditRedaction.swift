import RollbackCore

/// Keeps secrets out of the audit log (SPEC 14): a parameter or metadata value whose key
/// names a credential is replaced by `[REDACTED]`; other values and free texts pass through
/// the core's redactor (bearer tokens, GitHub/Slack tokens, `password=`, URL user-info).
public enum AuditRedaction {
    public static let placeholder = "[REDACTED]"
    /// A key containing one of these (case-insensitive) names a credential.
    public static let deniedKeyParts = ["authorization", "token", "secret", "password", "key"]

    public static func isDenied(key: String) -> Bool {
        let lower = key.lowercased()
        return deniedKeyParts.contains { lower.contains($0) }
    }

    public static func parameters(_ map: [String: String]) -> [String: String] {
        var out: [String: String] = [:]
        out.reserveCapacity(map.count)
        for (key, value) in map { out[key] = isDenied(key: key) ? placeholder : TextFormatting.redact(value) }
        return out
    }

    public static func text(_ text: String) -> String { TextFormatting.redact(text) }
}
