import Foundation

/// How the Kubernetes client authenticates.
public enum KubernetesCredentials: Sendable, CustomStringConvertible {
    /// A fixed bearer token.
    case token(Secret)
    /// A token file (the in-cluster service-account token, which rotates): re-read when the
    /// file changes and after any 401.
    case tokenFile(String)
    /// No authentication (a local proxy such as `kubectl proxy`).
    case none

    public var description: String {
        switch self {
        case .token: return "KubernetesCredentials.token(<redacted>)"
        case .tokenFile(let path): return "KubernetesCredentials.tokenFile(\(path))"
        case .none: return "KubernetesCredentials.none"
        }
    }

    public static let inClusterTokenFile = "/var/run/secrets/kubernetes.io/serviceaccount/token"
    public static let inClusterCAFile = "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt"
}

/// Reads a token file, caching it while its modification time and size are unchanged. The
/// read is a `stat` plus a read of a small local file (microseconds), done only when it changed.
final class TokenFileReader: @unchecked Sendable {
    // Safe: cached state is guarded by `lock`.
    let path: String
    private let redactor: SecretRedactor
    private let lock = NSLock()
    private var cached: (stamp: String, token: Secret)?
    private var readCount = 0
    var reads: Int {
        lock.lock()
        defer { lock.unlock() }
        return readCount
    }

    init(path: String, redactor: SecretRedactor) {
        self.path = path
        self.redactor = redactor
    }

    func token(forceReload: Bool = false) throws -> Secret {
        let attrs = try? FileManager.default.attributesOfItem(atPath: path)
        let stamp =
            "\((attrs?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0)-\((attrs?[.size] as? NSNumber)?.intValue ?? -1)"
        lock.lock()
        if !forceReload, let cachedToken = cached, cachedToken.stamp == stamp {
            lock.unlock()
            return cachedToken.token
        }
        lock.unlock()
        guard let data = FileManager.default.contents(atPath: path) else {
            throw APIError(
                code: .permissionDenied, call: "kubernetes.readToken", message: "cannot read the token file \(path)")
        }
        let token = Secret(String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
        redactor.add(token)
        lock.lock()
        cached = (stamp, token)
        readCount += 1
        lock.unlock()
        return token
    }

    func invalidate() {
        lock.lock()
        cached = nil
        lock.unlock()
    }
}
