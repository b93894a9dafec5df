import Foundation
import HTTPServer

/// The GitHub App endpoints (`/app`, installations, access tokens): the App JWT is checked
/// against the configured public key before any of them answers.
extension GitHubSimulator {
    /// nil when the App JWT is acceptable, else GitHub's complaint.
    func verifyJWT(_ jwt: String) -> String? {
        let parts = jwt.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let headerBytes = SimulatorCrypto.base64URLDecode(parts[0]),
            let header = SimJSON.object(headerBytes), let claimBytes = SimulatorCrypto.base64URLDecode(parts[1]),
            let claims = SimJSON.object(claimBytes), let signature = SimulatorCrypto.base64URLDecode(parts[2])
        else {
            return "A JSON web token could not be decoded"
        }
        guard header["alg"] as? String == "RS256" else { return "A JSON web token could not be decoded" }
        guard let pem = appPublicKeyPEM,
            SimulatorCrypto.verifyRS256(
                publicKeyPEM: pem, signingInput: Array("\(parts[0]).\(parts[1])".utf8), signature: signature)
        else {
            return "A JSON web token could not be decoded"
        }
        let nowSeconds = now.timeIntervalSince1970
        guard let iat = (claims["iat"] as? NSNumber)?.doubleValue else {
            return "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued"
        }
        guard let exp = (claims["exp"] as? NSNumber)?.doubleValue else {
            return
                "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires"
        }
        if iat > nowSeconds + 60 {
            return "'Issued at' claim ('iat') must be an Integer representing a time in the past"
        }
        if exp <= nowSeconds {
            return
                "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires"
        }
        if exp > nowSeconds + 610 { return "'Expiration time' claim ('exp') is too far in the future" }
        let iss: String? = (claims["iss"] as? String) ?? (claims["iss"] as? NSNumber).map { String($0.intValue) }
        guard let iss, iss == String(appID) || iss == appClientID else {
            return "'Issuer' claim ('iss') must match a GitHub App"
        }
        return nil
    }

    func appRoute(_ method: String, _ segs: [String], _ request: HTTPRequest) -> HTTPResponse {
        let permissions: [String: String] = [
            "contents": "write", "pull_requests": "write", "issues": "write", "checks": "read",
            "statuses": "read", "metadata": "read", "members": "read",
        ]
        let installation: [String: Any] = [
            "id": installationIDValue, "app_id": appID, "app_slug": "ai-operator", "target_type": "Organization",
            "account": userJSON(installationAccount), "repository_selection": "all", "permissions": permissions,
            "events": ["check_run", "check_suite", "issue_comment", "pull_request", "pull_request_review", "status"],
            "suspended_at": NSNull(), "created_at": "2024-01-01T00:00:00Z", "updated_at": "2024-01-01T00:00:00Z",
            "access_tokens_url": "\(api)/app/installations/\(installationIDValue)/access_tokens",
        ]
        switch (method, segs.count) {
        case ("GET", 1):
            return SimJSON.response(
                200,
                [
                    "id": appID, "slug": "ai-operator", "node_id": "A_\(appID)", "name": "ai-operator",
                    "client_id": SimJSON.orNull(appClientID), "owner": userJSON(installationAccount),
                    "permissions": permissions, "events": installation["events"]!,
                    "created_at": "2024-01-01T00:00:00Z", "updated_at": "2024-01-01T00:00:00Z",
                ])
        case ("GET", 2) where segs[1] == "installations":
            return page([installation], request)
        case ("GET", 3) where segs[1] == "installations":
            return segs[2] == String(installationIDValue) ? SimJSON.response(200, installation) : Self.notFound
        case ("POST", 4) where segs[1] == "installations" && segs[3] == "access_tokens":
            guard segs[2] == String(installationIDValue) else { return Self.notFound }
            let token = "ghs_" + String(SimulatorCrypto.hex(SimulatorCrypto.randomBytes(18)).prefix(36))
            let expires = now.addingTimeInterval(tokenLifetime)
            installationTokens[token] = InstallationToken(token: token, expiresAt: expires)
            return SimJSON.response(
                201,
                [
                    "token": token, "expires_at": Self.iso(expires), "permissions": permissions,
                    "repository_selection": "all",
                ])
        case ("GET", 4) where segs[0] == "repos":
            return repos["\(segs[1])/\(segs[2])".lowercased()] != nil
                ? SimJSON.response(200, installation) : Self.notFound
        default:
            return Self.notFound
        }
    }
}
