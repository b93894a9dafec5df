import Foundation
import HTTPServer

/// The HTTP surface of the GitHub simulator: credentials, the rate-limit budget, ETags, and the
/// dispatch of each request to the routes of its resource (the `GitHubRoutes+*.swift` files).
extension GitHubSimulator {
    enum Credential { case none, invalid, token, installation, jwt }

    func ghHandle(_ request: HTTPRequest) -> HTTPResponse {
        withState { handleLocked(request) }
    }

    private func credential(_ request: HTTPRequest) -> (Credential, String) {
        guard let auth = request.header("authorization") else { return (.none, "") }
        let parts = auth.split(separator: " ", maxSplits: 1)
        guard parts.count == 2 else { return (.invalid, "") }
        let scheme = parts[0].lowercased()
        let value = String(parts[1]).trimmingCharacters(in: .whitespaces)
        guard scheme == "bearer" || scheme == "token" else { return (.invalid, "") }
        if staticTokens.contains(value) { return (.token, value) }
        if let installationToken = installationTokens[value] {
            return (
                !installationToken.revoked && installationToken.expiresAt > now ? .installation : .invalid, value
            )
        }
        if scheme == "bearer" && value.split(separator: ".").count == 3 { return (.jwt, value) }
        return (.invalid, value)
    }

    private func handleLocked(_ request: HTTPRequest) -> HTTPResponse {
        let segs = request.path.split(separator: "/").map { SimJSON.decode($0) }
        let method = request.method == "HEAD" ? "GET" : request.method
        let (cred, value) = credential(request)
        let appEndpoint = segs.first == "app" || (segs.count == 4 && segs[0] == "repos" && segs[3] == "installation")
        if appEndpoint {
            guard cred == .jwt else {
                return Self.ghError(
                    401,
                    cred == .installation || cred == .token
                        ? "A JSON web token could not be decoded" : "Bad credentials")
            }
            if let problem = verifyJWT(value) { return Self.ghError(401, problem) }
            return appRoute(method, segs, request)
        }
        switch cred {
        case .none: return Self.ghError(401, "Requires authentication")
        case .invalid, .jwt: return Self.ghError(401, "Bad credentials")
        case .token, .installation: break
        }
        if now >= rateLimit.reset { rateLimit = (rateLimit.limit, rateLimit.limit, now.addingTimeInterval(3600), 0) }
        if segs == ["rate_limit"] {
            let core: [String: Any] = [
                "limit": rateLimit.limit, "remaining": rateLimit.remaining, "used": rateLimit.used,
                "reset": Int(rateLimit.reset.timeIntervalSince1970), "resource": "core",
            ]
            return SimJSON.response(200, ["resources": ["core": core], "rate": core])
        }
        if rateLimit.remaining <= 0 {
            return Self.ghError(
                403,
                "API rate limit exceeded for installation ID \(installationIDValue). If you reach out to GitHub Support for help, please include the request ID.",
                docs: "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api")
        }
        var response = route(method, segs, request)
        if method == "GET", response.status == 200 {
            let etag = "W/\"\(SimulatorCrypto.sha256Hex(response.body))\""
            response.headers.append(("ETag", etag))
            if let ifNoneMatch = request.header("if-none-match"), Self.etagMatches(ifNoneMatch, etag) {
                return HTTPResponse(status: 304, headers: [("ETag", etag)], body: [])
            }
        }
        rateLimit.remaining -= 1
        rateLimit.used += 1
        return response
    }

    static func etagMatches(_ header: String, _ etag: String) -> Bool {
        func strip(_ tag: Substring) -> Substring {
            let trimmed = tag.trimmingCharacters(in: .whitespaces)
            return Substring(trimmed.hasPrefix("W/") ? String(trimmed.dropFirst(2)) : trimmed)
        }
        let mine = strip(Substring(etag))
        return header.split(separator: ",").contains {
            strip($0) == mine || $0.trimmingCharacters(in: .whitespaces) == "*"
        }
    }

    func ghDecorate(_ response: HTTPResponse, _ request: HTTPRequest) -> HTTPResponse {
        guard response.status != 0 else { return response }
        var decorated = response
        let budget = withState { rateLimit }
        func add(_ name: String, _ value: String) {
            if !decorated.headers.contains(where: { $0.0.lowercased() == name }) {
                decorated.headers.append((name, value))
            }
        }
        add("x-ratelimit-limit", String(budget.limit))
        add("x-ratelimit-remaining", String(max(0, budget.remaining)))
        add("x-ratelimit-reset", String(Int(budget.reset.timeIntervalSince1970)))
        add("x-ratelimit-used", String(budget.used))
        add("x-ratelimit-resource", "core")
        add("x-github-api-version-selected", "2022-11-28")
        add("x-github-media-type", "github.v3; format=json")
        add("x-github-request-id", SimulatorCrypto.hex(SimulatorCrypto.randomBytes(6)).uppercased())
        return decorated
    }

    // MARK: - Routing

    private func route(_ method: String, _ segs: [String], _ request: HTTPRequest) -> HTTPResponse {
        if segs.count == 6, segs[0] == "orgs", segs[2] == "teams", segs[4] == "memberships", method == "GET" {
            guard let membership = teams["\(segs[1].lowercased())/\(segs[3].lowercased())"]?[segs[5].lowercased()]
            else {
                return Self.notFound
            }
            return SimJSON.response(
                200,
                [
                    "url": "\(api)/orgs/\(segs[1])/teams/\(segs[3])/memberships/\(segs[5])",
                    "role": membership.role, "state": membership.state,
                ])
        }
        if segs.count == 5, segs[0] == "orgs", segs[2] == "teams", segs[4] == "members", method == "GET" {
            // Active members only (an invitation still pending is not listed), filtered by `role`.
            guard let members = teams["\(segs[1].lowercased())/\(segs[3].lowercased())"] else { return Self.notFound }
            let role = request.query["role"] ?? "all"
            let listed = members.filter { $0.value.state == "active" && (role == "all" || $0.value.role == role) }
            return page(listed.keys.sorted().map { userJSON($0) }, request)
        }
        if segs.count == 2, segs[0] == "users", method == "GET" { return SimJSON.response(200, userJSON(segs[1])) }
        guard segs.count >= 3, segs[0] == "repos" else { return Self.notFound }
        let key = "\(segs[1])/\(segs[2])".lowercased()
        guard let repo = repos[key] else { return Self.notFound }
        let rest = Array(segs.dropFirst(3))
        let body = SimJSON.parse(request.body)
        let obj = body as? [String: Any] ?? [:]
        let query = request.query

        switch (method, rest.first ?? "") {
        case ("GET", "") where rest.isEmpty:
            return SimJSON.response(200, repoJSON(repo))
        case (_, "git"):
            return gitRoute(method, key, Array(rest.dropFirst()), obj)
        case ("GET", "branches") where rest.count >= 2:
            let name = rest.dropFirst().joined(separator: "/")
            guard let sha = repo.branches[name] else { return Self.ghError(404, "Branch not found") }
            return SimJSON.response(
                200,
                [
                    "name": name, "commit": commitJSON(repo, repo.commits[sha]!),
                    "protected": repo.protection[name] != nil,
                    "_links": [
                        "self": "\(api)/repos/\(repo.fullName)/branches/\(name)",
                        "html": "\(Self.web)/\(repo.fullName)/tree/\(name)",
                    ],
                ])
        case ("GET", "branches"):
            let list: [Any] = repo.branches.keys.sorted().map {
                [
                    "name": $0, "commit": ["sha": repo.branches[$0]!, "url": ""],
                    "protected": repo.protection[$0] != nil,
                ]
            }
            return page(list, request)
        case ("GET", "contents"):
            return getContents(key, rest.dropFirst().joined(separator: "/"), ref: query["ref"])
        case ("PUT", "contents") where rest.count >= 2:
            return putContents(key, rest.dropFirst().joined(separator: "/"), obj)
        case ("GET", "commits") where rest.count == 1:
            return listCommits(key, request)
        case ("GET", "commits") where rest.count >= 3 && rest.last == "status":
            return combinedStatus(key, rest.dropFirst().dropLast().joined(separator: "/"), request)
        case ("GET", "commits") where rest.count >= 3 && rest.last == "statuses":
            guard let sha = resolve(key, rest.dropFirst().dropLast().joined(separator: "/")) else {
                return Self.notFound
            }
            return page(repo.statuses.filter { $0.sha == sha }.reversed().map { statusJSON(key, $0) }, request)
        case ("GET", "commits") where rest.count >= 3 && rest.last == "check-runs":
            return checkRuns(key, rest.dropFirst().dropLast().joined(separator: "/"), request)
        case ("GET", "commits") where rest.count >= 2:
            let ref = rest.dropFirst().joined(separator: "/")
            guard let sha = resolve(key, ref), let commit = repo.commits[sha] else {
                return Self.ghError(422, "No commit found for SHA: \(ref)")
            }
            return SimJSON.response(200, commitJSON(repo, commit, files: true))
        case ("POST", "statuses") where rest.count == 2:
            guard let sha = resolve(key, rest[1]) else {
                return Self.ghError(422, "No commit found for SHA: \(rest[1])")
            }
            guard let state = obj["state"] as? String, ["error", "failure", "pending", "success"].contains(state) else {
                return Self.validation(
                    "Status", field: "state", code: "custom", message: "state is not included in the list")
            }
            addStatus(
                key, sha: sha, context: obj["context"] as? String ?? "default", state: state,
                description: obj["description"] as? String, targetURL: obj["target_url"] as? String)
            return SimJSON.response(201, statusJSON(key, repos[key]!.statuses.last!))
        case ("GET", "compare") where rest.count >= 2:
            return compareRoute(key, rest.dropFirst().joined(separator: "/"))
        case (_, "pulls"):
            return pullsRoute(method, key, Array(rest.dropFirst()), obj, request)
        case (_, "issues"):
            return issuesRoute(method, key, Array(rest.dropFirst()), body, request)
        case ("GET", "labels") where rest.count == 1:
            return page(repo.labels.keys.sorted().map { labelJSON(repo, $0) }, request)
        default:
            return Self.notFound
        }
    }
}
