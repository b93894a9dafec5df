import Foundation

/// Knows every secret configured or minted at run time (installation tokens) and removes
/// them from any text that leaves a client: error messages, call records, log lines.
public final class SecretRedactor: @unchecked Sendable {
    // Safe: `secrets` is guarded by `lock`.
    private let lock = NSLock()
    private var secrets: [String] = []
    /// Secrets minted at run time accumulate; the oldest beyond this are long expired.
    private let capacity = 512

    public init(_ secrets: [Secret] = []) {
        for secret in secrets { add(secret) }
    }

    public func add(_ secret: Secret) {
        // Very short values would redact ordinary words; credentials are never that short.
        guard secret.value.count >= 6 else { return }
        lock.lock()
        defer { lock.unlock() }
        guard !secrets.contains(secret.value) else { return }
        secrets.append(secret.value)
        if secrets.count > capacity { secrets.removeFirst(secrets.count - capacity) }
    }

    public func redact(_ text: String) -> String {
        lock.lock()
        let all = secrets
        lock.unlock()
        var out = text
        // Longest first, so a secret containing another is removed whole.
        for secret in all.sorted(by: { $0.count > $1.count }) where out.contains(secret) {
            out = out.replacingOccurrences(of: secret, with: "[REDACTED]")
        }
        return out
    }
}
