import Foundation

/// A GitHub App: its id (numeric App id or client id, used as the JWT `iss`), its private key
/// (PEM, from `GITHUB_APP_PRIVATE_KEY_FILE`) and the installation whose token the operator uses.
public struct AppCredentials: Sendable, CustomStringConvertible {
    public var appID: String
    public var privateKeyPEM: Secret
    public var installationID: Int

    public init(appID: String, privateKeyPEM: Secret, installationID: Int) {
        self.appID = appID
        self.privateKeyPEM = privateKeyPEM
        self.installationID = installationID
    }

    /// Reads the private key from a file (the `GITHUB_APP_PRIVATE_KEY_FILE` setting). Call it at
    /// start-up, before serving: it reads a file synchronously.
    public static func load(appID: String, privateKeyFile: String, installationID: Int) throws -> AppCredentials {
        guard let data = FileManager.default.contents(atPath: privateKeyFile) else {
            throw APIError(
                code: .validationError, call: "github.loadAppKey",
                message: "cannot read the GitHub App private key file \(privateKeyFile)")
        }
        return AppCredentials(
            appID: appID, privateKeyPEM: Secret(String(decoding: data, as: UTF8.self)), installationID: installationID)
    }

    public var description: String {
        "AppCredentials(appID: \(appID), installationID: \(installationID), privateKey: <redacted>)"
    }
}

/// How the GitHub client authenticates.
public enum GitHubCredentials: Sendable, CustomStringConvertible {
    /// A personal access token or another fixed token (`GITHUB_TOKEN`).
    case token(Secret)
    /// A GitHub App: JWT → installation token, cached and refreshed.
    case app(AppCredentials)

    public var description: String {
        switch self {
        case .token: return "GitHubCredentials.token(<redacted>)"
        case .app(let credentials): return "GitHubCredentials.app(\(credentials))"
        }
    }
}
