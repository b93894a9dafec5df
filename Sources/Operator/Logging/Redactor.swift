// The secret redaction every log line passes through before `LogOutput` writes it.

/// Replaces every occurrence of a secret value with `[REDACTED]`.
public struct Redactor: Sendable {
    let secrets: [String]
    public init(secrets: [String]) { self.secrets = secrets.filter { $0.count >= 4 }.sorted { $0.count > $1.count } }
    public func redact(_ text: String) -> String {
        var out = text
        for secret in secrets where out.contains(secret) {
            out = out.replacingOccurrences(of: secret, with: "[REDACTED]")
        }
        return out
    }
}
