import Foundation

/// Mints and caches the installation token of a GitHub App (protocols §2.3): a fresh JWT for
/// each exchange, `POST /app/installations/{id}/access_tokens`, the token cached until
/// `refreshMargin` (5 min) before its `expires_at`, concurrent callers sharing one exchange.
/// Every JWT and token is registered with the redactor before it is used.
struct InstallationToken: Sendable {
    let token: Secret
    let expiresAt: Date
}

actor AppTokenProvider {
    private let credentials: AppCredentials
    private let key: RSASigningKey
    private let baseURL: String
    private let context: ClientContext
    private let refreshMargin: TimeInterval
    private var cached: InstallationToken?
    private var inFlight: Task<InstallationToken, any Error>?
    /// Exchanges done so far (for tests and diagnostics).
    private(set) var exchanges = 0

    init(credentials: AppCredentials, baseURL: String, context: ClientContext, refreshMargin: TimeInterval = 300) throws
    {
        self.credentials = credentials
        do {
            key = try RSASigningKey(pem: credentials.privateKeyPEM)
        } catch {
            throw APIError(code: .validationError, call: "github.loadAppKey", message: "\(error)")
        }
        context.redactor.add(credentials.privateKeyPEM)
        self.baseURL = baseURL
        self.context = context
        self.refreshMargin = refreshMargin
    }

    /// A valid installation token, minting one if none is cached or it expires within the margin.
    func token() async throws -> Secret {
        if let cachedToken = cached, cachedToken.expiresAt.timeIntervalSince(context.sleeper.now()) > refreshMargin {
            return cachedToken.token
        }
        if let running = inFlight {
            return try await running.value.token
        }
        let task = Task { try await self.exchange() }
        inFlight = task
        defer { inFlight = nil }
        let fresh = try await task.value
        cached = fresh
        return fresh.token
    }

    /// Drops the cached token (after a 401) so the next `token()` mints a new one. Returns
    /// false if `rejected` is no longer the cached token (someone refreshed already).
    func invalidate(rejected: Secret?) {
        if let rejected, let cachedToken = cached, cachedToken.token != rejected { return }
        cached = nil
    }

    private func exchange() async throws -> InstallationToken {
        exchanges += 1
        let jwt = try AppJWT.make(issuer: credentials.appID, key: key, now: context.sleeper.now())
        let secretJWT = Secret(jwt)
        context.redactor.add(secretJWT)
        let url =
            baseURL
            + (try URLPath("/app/installations").number(credentials.installationID).literal("/access_tokens")
                .resolved(call: "github.createInstallationToken"))
        let userAgent = context.userAgent
        let redactor = context.redactor
        let now = context.sleeper.now()
        struct TokenAnswer: Decodable {
            let token: String
            let expiresAt: Date?
        }
        return try await context.perform(
            CallDescription<InstallationToken>(
                name: "github.createInstallationToken",
                parameters: ["installationId": String(credentials.installationID)],
                request: {
                    OutboundRequest(
                        method: "POST", url: url,
                        headers: GitHubClient.standardHeaders(userAgent: userAgent) + [
                            ("Authorization", "Bearer \(secretJWT.value)")
                        ])
                },
                classify: GitHubClient.classify,
                decode: { response in
                    let answer = try ClientJSON.decode(TokenAnswer.self, response.body)
                    let token = Secret(answer.token)
                    redactor.add(token)
                    return InstallationToken(token: token, expiresAt: answer.expiresAt ?? now.addingTimeInterval(3600))
                },
                summarize: { value, _ in "token expires \(ClientJSON.timestamp(value.expiresAt))" }
            ))
    }
}
