import Foundation

/// Scripting the GitHub simulator's surroundings: accepted tokens, the GitHub App and its
/// installation tokens, the rate-limit budget, team memberships and webhook delivery.
extension GitHubSimulator {
    public func configureWebhooks(url: String?, secret: String?) { webhooks.configure(url: url, secret: secret) }

    public func setTokens(_ tokens: Set<String>) { withState { staticTokens = tokens } }
    public func addToken(_ token: String) { withState { _ = staticTokens.insert(token) } }
    public func revokeToken(_ token: String) { withState { _ = staticTokens.remove(token) } }

    /// The GitHub App: JWTs must be RS256-signed by the private half of `publicKeyPEM` (a
    /// `BEGIN PUBLIC KEY` PEM; a private key PEM also works) with `iss` = `appID` or `clientID`.
    public func configureApp(
        appID: Int, clientID: String? = nil, publicKeyPEM: String,
        installationID: Int = 7_654_321, account: String = "acme"
    ) {
        withState {
            self.appID = appID
            appClientID = clientID
            appPublicKeyPEM = publicKeyPEM
            installationIDValue = installationID
            installationAccount = account
        }
    }

    /// Lifetime of minted installation tokens (GitHub: 1 hour).
    public var installationTokenLifetime: TimeInterval {
        get { withState { tokenLifetime } }
        set { withState { tokenLifetime = newValue } }
    }

    /// Every installation token minted so far answers 401 from now on.
    public func expireInstallationTokens() {
        withState { for token in installationTokens.keys { installationTokens[token]?.revoked = true } }
    }

    public var mintedTokenCount: Int { withState { installationTokens.count } }

    /// The first `n` reads of each new or updated PR answer `mergeable: null` (still computing).
    public var mergeableNullReads: Int {
        get { withState { nullReads } }
        set { withState { nullReads = newValue } }
    }

    /// The login that API-authenticated writes are attributed to.
    public var botLogin: String {
        get { withState { botLoginValue } }
        set { withState { botLoginValue = newValue } }
    }

    /// Rate-limit budget: every authenticated answer other than 304 costs one; at 0 requests get
    /// 403 `API rate limit exceeded` until `resetAt`, when the budget refills.
    public func setRateLimit(limit: Int = 5000, remaining: Int, resetAt: Date? = nil) {
        withState { rateLimit = (limit, remaining, resetAt ?? now.addingTimeInterval(3600), limit - remaining) }
    }

    public var rateLimitRemaining: Int { withState { rateLimit.remaining } }

    public func addTeamMember(
        org: String, team: String, user: String, role: String = "member", state: String = "active"
    ) {
        withState {
            teams["\(org.lowercased())/\(team.lowercased())", default: [:]][user.lowercased()] = TeamMembership(
                role: role, state: state)
        }
    }

    public func removeTeamMember(org: String, team: String, user: String) {
        withState { teams["\(org.lowercased())/\(team.lowercased())"]?[user.lowercased()] = nil }
    }
}
