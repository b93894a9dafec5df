/// GitHub credentials: a token, or a GitHub App (JWT RS256 exchanged for an installation token).
public enum GitHubCredentials: Sendable, Equatable, CustomStringConvertible {
    case token(String)
    case app(appID: String, privateKeyPath: String, installationID: String?)

    public var description: String {
        switch self {
        case .token: return "token (redacted)"
        case .app(let appID, let keyPath, let installationID):
            return
                "GitHub App \(appID), key file \(keyPath), installation \(installationID ?? "looked up per repository")"
        }
    }
}
