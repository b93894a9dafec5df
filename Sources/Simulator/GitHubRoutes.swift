import Foundation
import HTTPServer

/// The HTTP surface of the GitHub simulator.
extension GitHubSimulator {
    static let docs = "https://docs.github.com/rest"

    static func ghError(
        _ status: Int, _ message: String, errors: [[String: Any]]? = nil, docs: String = docs,
        headers: [(String, String)] = []
    ) -> HTTPResponse {
        var body: [String: Any] = ["message": message, "documentation_url": docs, "status": String(status)]
        if let errors { body["errors"] = errors }
        return SimJSON.response(status, body, headers: headers)
    }

    static func validation(_ resource: String, field: String? = nil, code: String, message: String? = nil)
        -> HTTPResponse
    {
        var e: [String: Any] = ["resource": resource, "code": code]
        if let field { e["field"] = field }
        if let message { e["message"] = message }
        return ghError(
            422, "Validation Failed", errors: [e],
            docs: "https://docs.github.com/rest/pulls/pulls#create-a-pull-request")
    }

    static let notFound = ghError(404, "Not Found")

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
        if let t = installationTokens[value] {
            return (!t.revoked && t.expiresAt > now ? .installation : .invalid, value)
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
            if let inm = request.header("if-none-match"), Self.etagMatches(inm, etag) {
                return HTTPResponse(status: 304, headers: [("ETag", etag)], body: [])
            }
        }
        rateLimit.remaining -= 1
        rateLimit.used += 1
        return response
    }

    static func etagMatches(_ header: String, _ etag: String) -> Bool {
        func strip(_ s: Substring) -> Substring {
            let t = s.trimmingCharacters(in: .whitespaces)
            return Substring(t.hasPrefix("W/") ? String(t.dropFirst(2)) : t)
        }
        let mine = strip(Substring(etag))
        return header.split(separator: ",").contains {
            strip($0) == mine || $0.trimmingCharacters(in: .whitespaces) == "*"
        }
    }

    func ghDecorate(_ response: HTTPResponse, _ request: HTTPRequest) -> HTTPResponse {
        guard response.status != 0 else { return response }
        var r = response
        let rl = withState { rateLimit }
        func add(_ k: String, _ v: String) {
            if !r.headers.contains(where: { $0.0.lowercased() == k }) { r.headers.append((k, v)) }
        }
        add("x-ratelimit-limit", String(rl.limit))
        add("x-ratelimit-remaining", String(max(0, rl.remaining)))
        add("x-ratelimit-reset", String(Int(rl.reset.timeIntervalSince1970)))
        add("x-ratelimit-used", String(rl.used))
        add("x-ratelimit-resource", "core")
        add("x-github-api-version-selected", "2022-11-28")
        add("x-github-media-type", "github.v3; format=json")
        add("x-github-request-id", SimulatorCrypto.hex(SimulatorCrypto.randomBytes(6)).uppercased())
        return r
    }

    func ghFault(_ action: FaultAction, _ request: HTTPRequest) -> HTTPResponse {
        switch action {
        case .status(let code):
            let msg =
                [
                    500: "Server Error", 502: "Server Error", 503: "Service Unavailable",
                    504:
                        "We couldn't respond to your request in time. Sorry about that. Please try resubmitting your request and contact us if the problem persists.",
                ][code] ?? "Error \(code)"
            return Self.ghError(code, msg)
        case .rateLimit(let status, let retryAfter, let resetIn):
            var headers: [(String, String)] = []
            if let retryAfter { headers.append(("retry-after", String(retryAfter))) }
            if let resetIn {
                let limit = withState { rateLimit.limit }
                headers += [
                    ("x-ratelimit-limit", String(limit)), ("x-ratelimit-remaining", "0"),
                    ("x-ratelimit-used", String(limit)),
                    ("x-ratelimit-reset", String(Int(Date().timeIntervalSince1970) + resetIn)),
                ]
            }
            let message =
                resetIn != nil && retryAfter == nil
                ? "API rate limit exceeded for installation ID \(withState { installationIDValue })."
                : "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
            return Self.ghError(
                status, message, docs: "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api",
                headers: headers)
        case .unauthorized: return Self.ghError(401, "Bad credentials")
        case .delay, .drop, .stall: return .dropConnection
        }
    }

    // MARK: - GitHub App

    /// nil when the App JWT is acceptable, else GitHub's complaint.
    func verifyJWT(_ jwt: String) -> String? {
        let parts = jwt.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let headerBytes = SimulatorCrypto.base64URLDecode(parts[0]),
            let header = SimJSON.object(headerBytes), let claimBytes = SimulatorCrypto.base64URLDecode(parts[1]),
            let claims = SimJSON.object(claimBytes), let sig = SimulatorCrypto.base64URLDecode(parts[2])
        else {
            return "A JSON web token could not be decoded"
        }
        guard header["alg"] as? String == "RS256" else { return "A JSON web token could not be decoded" }
        guard let pem = appPublicKeyPEM,
            SimulatorCrypto.verifyRS256(
                publicKeyPEM: pem, signingInput: Array("\(parts[0]).\(parts[1])".utf8), signature: sig)
        else {
            return "A JSON web token could not be decoded"
        }
        let t = now.timeIntervalSince1970
        guard let iat = (claims["iat"] as? NSNumber)?.doubleValue else {
            return "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued"
        }
        guard let exp = (claims["exp"] as? NSNumber)?.doubleValue else {
            return
                "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires"
        }
        if iat > t + 60 { return "'Issued at' claim ('iat') must be an Integer representing a time in the past" }
        if exp <= t {
            return
                "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires"
        }
        if exp > t + 610 { return "'Expiration time' claim ('exp') is too far in the future" }
        let iss: String? = (claims["iss"] as? String) ?? (claims["iss"] as? NSNumber).map { String($0.intValue) }
        guard let iss, iss == String(appID) || iss == appClientID else {
            return "'Issuer' claim ('iss') must match a GitHub App"
        }
        return nil
    }

    private func appRoute(_ method: String, _ segs: [String], _ request: HTTPRequest) -> HTTPResponse {
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
            return SimJSON.response(200, [installation])
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

    // MARK: - Routing

    private func route(_ method: String, _ segs: [String], _ request: HTTPRequest) -> HTTPResponse {
        if segs.count == 6, segs[0] == "orgs", segs[2] == "teams", segs[4] == "memberships", method == "GET" {
            guard let m = teams["\(segs[1].lowercased())/\(segs[3].lowercased())"]?[segs[5].lowercased()] else {
                return Self.notFound
            }
            return SimJSON.response(
                200,
                [
                    "url": "\(api)/orgs/\(segs[1])/teams/\(segs[3])/memberships/\(segs[5])",
                    "role": m.role, "state": m.state,
                ])
        }
        if segs.count == 2, segs[0] == "users", method == "GET" { return SimJSON.response(200, userJSON(segs[1])) }
        guard segs.count >= 3, segs[0] == "repos" else { return Self.notFound }
        let key = "\(segs[1])/\(segs[2])".lowercased()
        guard let repo = repos[key] else { return Self.notFound }
        let rest = Array(segs.dropFirst(3))
        let body = SimJSON.parse(request.body)
        let obj = body as? [String: Any] ?? [:]
        let q = request.query

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
            return getContents(key, rest.dropFirst().joined(separator: "/"), ref: q["ref"])
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
            guard let sha = resolve(key, ref), let c = repo.commits[sha] else {
                return Self.ghError(422, "No commit found for SHA: \(ref)")
            }
            return SimJSON.response(200, commitJSON(repo, c, files: true))
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

    /// Paginates a JSON array: `per_page` (default 30, max 100), `page`, and a `Link` header.
    func page(_ items: [Any], _ request: HTTPRequest) -> HTTPResponse {
        let perPage = min(100, max(1, Int(request.query["per_page"] ?? "") ?? 30))
        let pageNo = max(1, Int(request.query["page"] ?? "") ?? 1)
        let start = min(items.count, (pageNo - 1) * perPage)
        let slice = Array(items[start..<min(items.count, start + perPage)])
        let last = max(1, (items.count + perPage - 1) / perPage)
        var links: [String] = []
        func url(_ p: Int) -> String {
            var q = request.query
            q["page"] = String(p)
            q["per_page"] = String(perPage)
            let qs = q.keys.sorted().map {
                "\($0)=\(q[$0]!.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~:"))) ?? "")"
            }
            return "<\(api)\(request.path)?\(qs.joined(separator: "&"))>"
        }
        if pageNo > 1 {
            links.append("\(url(pageNo - 1)); rel=\"prev\"")
            links.append("\(url(1)); rel=\"first\"")
        }
        if pageNo < last {
            links.append("\(url(pageNo + 1)); rel=\"next\"")
            links.append("\(url(last)); rel=\"last\"")
        }
        return SimJSON.response(200, slice, headers: links.isEmpty ? [] : [("Link", links.joined(separator: ", "))])
    }

    var writer: Person {
        Person(name: botLoginValue, email: "\(botLoginValue)@users.noreply.github.com", login: botLoginValue)
    }

    // MARK: git refs

    private func gitRoute(_ method: String, _ key: String, _ rest: [String], _ obj: [String: Any]) -> HTTPResponse {
        let repo = repos[key]!
        switch (method, rest.first ?? "") {
        case ("GET", "ref") where rest.count >= 3 && rest[1] == "heads":
            let b = rest.dropFirst(2).joined(separator: "/")
            guard let sha = repo.branches[b] else { return Self.notFound }
            return SimJSON.response(200, refJSON(repo, b, sha))
        case ("GET", "refs"):
            let prefix = rest.dropFirst().joined(separator: "/")
            let matches = repo.branches.keys.sorted().filter { ("heads/" + $0).hasPrefix(prefix) }
            if prefix.hasPrefix("heads/"), let sha = repo.branches[String(prefix.dropFirst(6))] {
                return SimJSON.response(200, refJSON(repo, String(prefix.dropFirst(6)), sha))
            }
            if matches.isEmpty { return Self.notFound }
            return SimJSON.response(200, matches.map { refJSON(repo, $0, repo.branches[$0]!) })
        case ("POST", "refs") where rest.count == 1:
            guard let ref = obj["ref"] as? String, let sha = obj["sha"] as? String else {
                return Self.ghError(422, "Invalid request.\n\n\"ref\", \"sha\" weren't supplied.")
            }
            guard ref.hasPrefix("refs/"), ref.filter({ $0 == "/" }).count >= 2 else {
                return Self.ghError(422, "Reference name is invalid")
            }
            guard ref.hasPrefix("refs/heads/") else { return Self.ghError(422, "Reference name is invalid") }
            let b = String(ref.dropFirst("refs/heads/".count))
            if repo.branches[b] != nil { return Self.ghError(422, "Reference already exists") }
            guard repo.commits[sha] != nil else { return Self.ghError(422, "Object does not exist") }
            moveBranch(repo: key, branch: b, to: sha)
            return SimJSON.response(
                201, refJSON(repo, b, sha), headers: [("Location", "\(api)/repos/\(repo.fullName)/git/\(ref)")])
        case ("PATCH", "refs") where rest.count >= 3 && rest[1] == "heads":
            let b = rest.dropFirst(2).joined(separator: "/")
            guard let current = repo.branches[b] else { return Self.ghError(422, "Reference does not exist") }
            guard let sha = obj["sha"] as? String else {
                return Self.ghError(422, "Invalid request.\n\n\"sha\" wasn't supplied.")
            }
            guard repo.commits[sha] != nil else { return Self.ghError(422, "Object does not exist") }
            if repo.protection[b] != nil {
                return Self.ghError(
                    422, "Protected branch update failed for refs/heads/\(b).",
                    docs: "https://docs.github.com/articles/about-protected-branches")
            }
            let force = obj["force"] as? Bool ?? false
            if !force && !ancestors(key, sha).contains(current) {
                return Self.ghError(422, "Update is not a fast forward")
            }
            moveBranch(repo: key, branch: b, to: sha)
            return SimJSON.response(200, refJSON(repo, b, sha))
        case ("DELETE", "refs") where rest.count >= 3 && rest[1] == "heads":
            let b = rest.dropFirst(2).joined(separator: "/")
            guard repo.branches[b] != nil else { return Self.ghError(422, "Reference does not exist") }
            if repo.protection[b] != nil || b == repo.defaultBranch {
                return Self.ghError(422, "Cannot delete a protected branch")
            }
            repos[key]!.branches[b] = nil
            return HTTPResponse(status: 204)
        case ("GET", "commits") where rest.count == 2:
            guard let c = repo.commits[rest[1]] else { return Self.notFound }
            return SimJSON.response(
                200,
                [
                    "sha": c.sha, "message": c.message, "author": personJSON(c.author, c.date),
                    "committer": personJSON(c.committer, c.date), "tree": ["sha": c.treeSHA],
                    "parents": c.parents.map { ["sha": $0] },
                ])
        case ("GET", "blobs") where rest.count == 2:
            for c in repo.commits.values {
                if let content = c.tree.values.first(where: { GitObjects.blobSHA($0) == rest[1] }) {
                    return SimJSON.response(
                        200,
                        [
                            "sha": rest[1], "size": content.count, "encoding": "base64",
                            "content": Self.wrappedBase64(content),
                            "url": "\(api)/repos/\(repo.fullName)/git/blobs/\(rest[1])",
                        ])
                }
            }
            return Self.notFound
        default:
            return Self.notFound
        }
    }

    // MARK: contents

    /// Base64 with a line break after every 60 characters, as GitHub sends it.
    static func wrappedBase64(_ bytes: [UInt8]) -> String {
        let b64 = Array(Data(bytes).base64EncodedString().utf8)
        var out: [UInt8] = []
        var i = 0
        while i < b64.count {
            out += b64[i..<min(b64.count, i + 60)]
            out.append(10)
            i += 60
        }
        return String(decoding: out, as: UTF8.self)
    }

    private func contentEntry(_ repo: Repo, _ path: String, _ bytes: [UInt8], ref: String, withContent: Bool)
        -> [String: Any]
    {
        let sha = GitObjects.blobSHA(bytes)
        let name = path.split(separator: "/").last.map(String.init) ?? path
        let url = "\(api)/repos/\(repo.fullName)/contents/\(path)?ref=\(ref)"
        let html = "\(Self.web)/\(repo.fullName)/blob/\(ref)/\(path)"
        let git = "\(api)/repos/\(repo.fullName)/git/blobs/\(sha)"
        var e: [String: Any] = [
            "type": "file", "name": name, "path": path, "sha": sha, "size": bytes.count, "url": url,
            "html_url": html, "git_url": git,
            "download_url": "https://raw.githubusercontent.com/\(repo.fullName)/\(ref)/\(path)",
            "_links": ["self": url, "git": git, "html": html],
        ]
        if withContent {
            e["content"] = Self.wrappedBase64(bytes)
            e["encoding"] = "base64"
        }
        return e
    }

    private func getContents(_ key: String, _ path: String, ref: String?) -> HTTPResponse {
        let repo = repos[key]!
        let refName = ref ?? repo.defaultBranch
        guard let sha = resolve(key, refName), let tree = repo.commits[sha]?.tree else {
            return Self.ghError(404, "No commit found for the ref \(refName)")
        }
        if let bytes = tree[path] {
            return SimJSON.response(200, contentEntry(repo, path, bytes, ref: refName, withContent: true))
        }
        let prefix = path.isEmpty ? "" : path + "/"
        var entries: [String: [String: Any]] = [:]
        for (p, bytes) in tree where p.hasPrefix(prefix) {
            let rel = p.dropFirst(prefix.count)
            if let slash = rel.firstIndex(of: "/") {
                let dir = prefix + rel[..<slash]
                entries[dir] = [
                    "type": "dir", "name": String(rel[..<slash]), "path": dir, "size": 0,
                    "sha": SimulatorCrypto.sha1Hex(Array("tree \(dir) \(sha)".utf8)),
                    "url": "\(api)/repos/\(repo.fullName)/contents/\(dir)?ref=\(refName)",
                ]
            } else {
                entries[p] = contentEntry(repo, p, bytes, ref: refName, withContent: false)
            }
        }
        if entries.isEmpty { return Self.notFound }
        return SimJSON.response(200, entries.keys.sorted().map { entries[$0]! })
    }

    private func putContents(_ key: String, _ path: String, _ obj: [String: Any]) -> HTTPResponse {
        let repo = repos[key]!
        guard let message = obj["message"] as? String else {
            return Self.ghError(422, "Invalid request.\n\n\"message\" wasn't supplied.")
        }
        guard let content64 = obj["content"] as? String else {
            return Self.ghError(422, "Invalid request.\n\n\"content\" wasn't supplied.")
        }
        guard let data = Data(base64Encoded: content64.filter { !$0.isWhitespace }) else {
            return Self.ghError(422, "content is not valid Base64")
        }
        let branch = obj["branch"] as? String ?? repo.defaultBranch
        guard let head = repo.branches[branch], let current = repo.commits[head] else {
            return Self.ghError(404, "Branch \(branch) not found")
        }
        if repo.protection[branch] != nil {
            return Self.ghError(
                409, "Could not update file: Changes must be made through a pull request.",
                docs: "https://docs.github.com/articles/about-protected-branches")
        }
        let existing = current.tree[path]
        let given = obj["sha"] as? String
        if let existing {
            guard let given else { return Self.ghError(422, "Invalid request.\n\n\"sha\" wasn't supplied.") }
            if given != GitObjects.blobSHA(existing) { return Self.ghError(409, "\(path) does not match \(given)") }
        }
        var tree = current.tree
        tree[path] = Array(data)
        var author = writer
        if let a = obj["author"] as? [String: Any], let n = a["name"] as? String, let e = a["email"] as? String {
            author = Person(name: n, email: e)
        }
        var committer = author
        if let a = obj["committer"] as? [String: Any], let n = a["name"] as? String, let e = a["email"] as? String {
            committer = Person(name: n, email: e)
        }
        let c = makeCommit(
            tree: tree, parents: [head], message: message, author: author, date: now, committer: committer)
        repos[key]!.commits[c.sha] = c
        moveBranch(repo: key, branch: branch, to: c.sha)
        let r = repos[key]!
        var commit = commitJSON(r, c)["commit"] as! [String: Any]
        commit["sha"] = c.sha
        commit["node_id"] = "C_\(c.sha.prefix(12))"
        commit["html_url"] = "\(Self.web)/\(r.fullName)/commit/\(c.sha)"
        commit["parents"] = c.parents.map {
            [
                "sha": $0, "url": "\(api)/repos/\(r.fullName)/git/commits/\($0)",
                "html_url": "\(Self.web)/\(r.fullName)/commit/\($0)",
            ]
        }
        return SimJSON.response(
            existing == nil ? 201 : 200,
            ["content": contentEntry(r, path, Array(data), ref: branch, withContent: false), "commit": commit])
    }

    // MARK: commits, compare, CI

    private func listCommits(_ key: String, _ request: HTTPRequest) -> HTTPResponse {
        let repo = repos[key]!
        let start = request.query["sha"] ?? repo.defaultBranch
        guard let sha = resolve(key, start) else { return Self.ghError(404, "No commit found for SHA: \(start)") }
        var list = history(key, from: sha)
        if let s = request.query["since"], let d = Timestamp.parse(s) { list = list.filter { $0.date >= d } }
        if let u = request.query["until"], let d = Timestamp.parse(u) { list = list.filter { $0.date <= d } }
        if let a = request.query["author"] { list = list.filter { $0.author.login == a || $0.author.email == a } }
        if let path = request.query["path"] {
            list = list.filter { c in c.tree[path] != c.parents.first.flatMap { repo.commits[$0]?.tree[path] } }
        }
        return page(list.map { commitJSON(repo, $0) }, request)
    }

    private func compareRoute(_ key: String, _ basehead: String) -> HTTPResponse {
        let repo = repos[key]!
        guard let r = basehead.range(of: "...") else { return Self.notFound }
        let baseRef = String(basehead[..<r.lowerBound])
        let headRef = String(basehead[r.upperBound...])
        guard let base = resolve(key, baseRef), let head = resolve(key, headRef) else { return Self.notFound }
        let cmp = compare(key, base: base, head: head)
        guard let mb = cmp.mergeBase else {
            return Self.ghError(404, "No common ancestor between \(baseRef) and \(headRef).")
        }
        let files = fileChanges(repo.commits[mb]?.tree ?? [:], repo.commits[head]?.tree ?? [:])
        return SimJSON.response(
            200,
            [
                "url": "\(api)/repos/\(repo.fullName)/compare/\(basehead)",
                "html_url": "\(Self.web)/\(repo.fullName)/compare/\(basehead)",
                "permalink_url":
                    "\(Self.web)/\(repo.fullName)/compare/\(repo.owner):\(base.prefix(7))...\(repo.owner):\(head.prefix(7))",
                "diff_url": "\(Self.web)/\(repo.fullName)/compare/\(basehead).diff",
                "patch_url": "\(Self.web)/\(repo.fullName)/compare/\(basehead).patch",
                "base_commit": commitJSON(repo, repo.commits[base]!),
                "merge_base_commit": commitJSON(repo, repo.commits[mb]!),
                "status": cmp.status, "ahead_by": cmp.ahead.count, "behind_by": cmp.behindBy,
                "total_commits": cmp.ahead.count,
                "commits": cmp.ahead.prefix(250).map { commitJSON(repo, $0) }, "files": files,
            ])
    }

    private func combinedStatus(_ key: String, _ ref: String, _ request: HTTPRequest) -> HTTPResponse {
        let repo = repos[key]!
        guard let sha = resolve(key, ref) else { return Self.ghError(404, "No commit found for SHA: \(ref)") }
        let statuses = latestStatuses(key, sha)
        return SimJSON.response(
            200,
            [
                "state": combinedState(statuses), "statuses": statuses.map { statusJSON(key, $0) },
                "sha": sha, "total_count": statuses.count, "repository": repoJSON(repo),
                "commit_url": "\(api)/repos/\(repo.fullName)/commits/\(sha)",
                "url": "\(api)/repos/\(repo.fullName)/commits/\(sha)/status",
            ])
    }

    private func checkRuns(_ key: String, _ ref: String, _ request: HTTPRequest) -> HTTPResponse {
        guard let sha = resolve(key, ref) else { return Self.ghError(422, "No commit found for SHA: \(ref)") }
        var runs =
            request.query["filter"] == "all" ? repos[key]!.checkRuns.filter { $0.sha == sha } : latestRuns(key, sha)
        if let n = request.query["check_name"] { runs = runs.filter { $0.name == n } }
        if let s = request.query["status"] { runs = runs.filter { $0.status == s } }
        let perPage = min(100, max(1, Int(request.query["per_page"] ?? "") ?? 30))
        let pageNo = max(1, Int(request.query["page"] ?? "") ?? 1)
        let slice = runs.dropFirst((pageNo - 1) * perPage).prefix(perPage)
        return SimJSON.response(200, ["total_count": runs.count, "check_runs": slice.map { checkRunJSON(key, $0) }])
    }

    // MARK: pulls

    private func pullsRoute(
        _ method: String, _ key: String, _ rest: [String], _ obj: [String: Any], _ request: HTTPRequest
    ) -> HTTPResponse {
        let repo = repos[key]!
        if rest.isEmpty {
            if method == "GET" {
                let state = request.query["state"] ?? "open"
                var list = repo.issues.values.filter { $0.pull != nil && (state == "all" || $0.state == state) }
                if let head = request.query["head"] {
                    let branch = head.contains(":") ? String(head.split(separator: ":", maxSplits: 1)[1]) : head
                    let owner = head.contains(":") ? String(head.split(separator: ":")[0]) : repo.owner
                    list = list.filter { $0.pull!.headRef == branch && owner.lowercased() == repo.owner.lowercased() }
                }
                if let base = request.query["base"] { list = list.filter { $0.pull!.baseRef == base } }
                let asc = request.query["direction"] == "asc"
                list.sort { asc ? $0.number < $1.number : $0.number > $1.number }
                return page(list.map { prJSON(key, $0.number, detail: false) }, request)
            }
            guard method == "POST" else { return Self.notFound }
            guard var head = obj["head"] as? String else {
                return Self.validation("PullRequest", field: "head", code: "missing_field")
            }
            guard let base = obj["base"] as? String else {
                return Self.validation("PullRequest", field: "base", code: "missing_field")
            }
            if head.contains(":") { head = String(head.split(separator: ":", maxSplits: 1)[1]) }
            guard let headSHA = repo.branches[head] else {
                return Self.validation("PullRequest", field: "head", code: "invalid")
            }
            guard let baseSHA = repo.branches[base] else {
                return Self.validation("PullRequest", field: "base", code: "invalid")
            }
            if repo.issues.values.contains(where: {
                $0.state == "open" && $0.pull?.headRef == head && $0.pull?.baseRef == base
            }) {
                return Self.validation(
                    "PullRequest", code: "custom", message: "A pull request already exists for \(repo.owner):\(head).")
            }
            if compare(key, base: baseSHA, head: headSHA).ahead.isEmpty {
                return Self.validation("PullRequest", code: "custom", message: "No commits between \(base) and \(head)")
            }
            let title = obj["title"] as? String ?? head
            let n = openPull(
                key, head: head, base: base, title: title, body: obj["body"] as? String, user: botLoginValue,
                draft: obj["draft"] as? Bool ?? false)
            return SimJSON.response(
                201, prJSON(key, n, detail: true),
                headers: [("Location", "\(api)/repos/\(repo.fullName)/pulls/\(n)")])
        }
        guard let n = Int(rest[0]), let issue = repo.issues[n], issue.pull != nil else { return Self.notFound }
        switch (method, rest.count > 1 ? rest[1] : "") {
        case ("GET", ""):
            return SimJSON.response(200, prJSON(key, n, detail: true, consumeRead: true))
        case ("PATCH", ""):
            if let t = obj["title"] as? String { repos[key]!.issues[n]!.title = t }
            if let b = obj["body"] as? String { repos[key]!.issues[n]!.body = b }
            if let b = obj["base"] as? String {
                guard repo.branches[b] != nil else {
                    return Self.validation("PullRequest", field: "base", code: "invalid")
                }
                repos[key]!.issues[n]!.pull!.baseRef = b
            }
            if let s = obj["state"] as? String {
                guard s == "open" || s == "closed" else {
                    return Self.validation("PullRequest", field: "state", code: "invalid")
                }
                if issue.pull!.merged && s == "open" {
                    return Self.validation("PullRequest", field: "state", code: "invalid")
                }
                setIssueState(key, n, s, by: botLoginValue)
            }
            repos[key]!.issues[n]!.updatedAt = now
            return SimJSON.response(200, prJSON(key, n, detail: true))
        case ("GET", "reviews"):
            return page(issue.pull!.reviews.map { reviewJSON(key, n, $0, webhook: false) }, request)
        case ("POST", "reviews"):
            let event = (obj["event"] as? String ?? "COMMENT").uppercased()
            let state =
                ["APPROVE": "APPROVED", "REQUEST_CHANGES": "CHANGES_REQUESTED", "COMMENT": "COMMENTED"][event]
                ?? "PENDING"
            let rv = Review(
                id: newID(), user: botLoginValue, state: state,
                commitID: obj["commit_id"] as? String ?? pullHeadSHA(key, issue),
                body: obj["body"] as? String ?? "", submittedAt: now)
            repos[key]!.issues[n]!.pull!.reviews.append(rv)
            if state != "PENDING" { queueReviewEvent(key, n, rv) }
            return SimJSON.response(200, reviewJSON(key, n, rv, webhook: false))
        case ("GET", "merge"):
            return issue.pull!.merged ? HTTPResponse(status: 204) : Self.notFound
        case ("PUT", "merge"):
            let methodName = obj["merge_method"] as? String ?? "merge"
            guard ["merge", "squash", "rebase"].contains(methodName) else {
                return Self.validation("PullRequest", field: "merge_method", code: "invalid")
            }
            switch performMerge(
                key, n, method: methodName, title: obj["commit_title"] as? String,
                message: obj["commit_message"] as? String, by: botLoginValue,
                expectedSHA: obj["sha"] as? String, enforce: true)
            {
            case .success(let sha):
                return SimJSON.response(
                    200, ["sha": sha, "merged": true, "message": "Pull Request successfully merged"])
            case .failure(let code, let message):
                return Self.ghError(
                    code, message, docs: "https://docs.github.com/rest/pulls/pulls#merge-a-pull-request")
            }
        case ("GET", "commits"):
            let cmp = compare(key, base: pullBaseSHA(key, issue), head: pullHeadSHA(key, issue))
            return page(cmp.ahead.map { commitJSON(repo, $0) }, request)
        case ("GET", "files"):
            let base = pullBaseSHA(key, issue)
            let head = pullHeadSHA(key, issue)
            let mb = mergeBase(key, base, head).flatMap { repo.commits[$0]?.tree } ?? [:]
            return page(fileChanges(mb, repo.commits[head]?.tree ?? [:]), request)
        default:
            return Self.notFound
        }
    }

    // MARK: issues

    private func labelNames(_ body: Any?) -> [String]? {
        func names(_ a: [Any]) -> [String] {
            a.compactMap { ($0 as? String) ?? (($0 as? [String: Any])?["name"] as? String) }
        }
        if let a = body as? [Any] { return names(a) }
        if let o = body as? [String: Any], let a = o["labels"] as? [Any] { return names(a) }
        return nil
    }

    private func issuesRoute(_ method: String, _ key: String, _ rest: [String], _ body: Any?, _ request: HTTPRequest)
        -> HTTPResponse
    {
        let repo = repos[key]!
        let obj = body as? [String: Any] ?? [:]
        if rest.isEmpty {
            if method == "GET" {
                let state = request.query["state"] ?? "open"
                var list = repo.issues.values.filter { state == "all" || $0.state == state }
                if let labels = request.query["labels"], !labels.isEmpty {
                    let want = labels.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
                    list = list.filter { i in want.allSatisfy { w in i.labels.contains { $0.lowercased() == w } } }
                }
                if let creator = request.query["creator"] {
                    list = list.filter { $0.user.lowercased() == creator.lowercased() }
                }
                if let s = request.query["since"], let d = Timestamp.parse(s) {
                    list = list.filter { $0.updatedAt >= d }
                }
                let asc = request.query["direction"] == "asc"
                list.sort { asc ? $0.number < $1.number : $0.number > $1.number }
                return page(list.map { issueJSON(key, $0.number) }, request)
            }
            guard method == "POST" else { return Self.notFound }
            guard let title = obj["title"] as? String, !title.isEmpty else {
                return Self.validation("Issue", field: "title", code: "missing_field")
            }
            let n = createIssueLocked(
                key, title: title, body: obj["body"] as? String, user: botLoginValue,
                labels: labelNames(obj["labels"].map { ["labels": $0] }) ?? [])
            if let a = obj["assignees"] as? [String] { repos[key]!.issues[n]!.assignees = a }
            return SimJSON.response(
                201, issueJSON(key, n), headers: [("Location", "\(api)/repos/\(repo.fullName)/issues/\(n)")])
        }
        guard let n = Int(rest[0]), repo.issues[n] != nil else { return Self.notFound }
        switch (method, rest.count > 1 ? rest[1] : "") {
        case ("GET", ""):
            return SimJSON.response(200, issueJSON(key, n))
        case ("PATCH", ""):
            if let t = obj["title"] as? String { repos[key]!.issues[n]!.title = t }
            if let b = obj["body"] as? String { repos[key]!.issues[n]!.body = b }
            if let l = labelNames(obj["labels"].map { ["labels": $0] }) {
                repos[key]!.issues[n]!.labels = []
                for x in l { addLabel(key, n, x) }
            }
            if let a = obj["assignees"] as? [String] { repos[key]!.issues[n]!.assignees = a }
            if let s = obj["state"] as? String {
                guard s == "open" || s == "closed" else {
                    return Self.validation("Issue", field: "state", code: "invalid")
                }
                setIssueState(key, n, s, by: botLoginValue)
                if let reason = obj["state_reason"] as? String { repos[key]!.issues[n]!.stateReason = reason }
            }
            repos[key]!.issues[n]!.updatedAt = now
            return SimJSON.response(200, issueJSON(key, n))
        case ("GET", "comments"):
            var list = repo.issues[n]!.comments
            if let s = request.query["since"], let d = Timestamp.parse(s) { list = list.filter { $0.updatedAt >= d } }
            return page(list.map { commentJSON(key, n, $0) }, request)
        case ("POST", "comments"):
            guard let text = obj["body"] as? String, !text.isEmpty else {
                return Self.validation("IssueComment", field: "body", code: "missing_field")
            }
            let c = addCommentLocked(key, n, user: botLoginValue, body: text)!
            return SimJSON.response(
                201, commentJSON(key, n, c),
                headers: [("Location", "\(api)/repos/\(repo.fullName)/issues/comments/\(c.id)")])
        case ("GET", "labels"):
            return page(repo.issues[n]!.labels.map { labelJSON(repos[key]!, $0) }, request)
        case ("POST", "labels"), ("PUT", "labels"):
            guard let names = labelNames(body) else {
                return Self.validation("Label", field: "labels", code: "invalid")
            }
            if method == "PUT" { repos[key]!.issues[n]!.labels = [] }
            for l in names { addLabel(key, n, l) }
            if repo.issues[n]!.pull != nil, !names.isEmpty {
                queuePullEvent(key, n, action: "labeled", extra: ["label": labelJSON(repos[key]!, names[0])])
            }
            return SimJSON.response(200, repos[key]!.issues[n]!.labels.map { labelJSON(repos[key]!, $0) })
        case ("DELETE", "labels") where rest.count == 3:
            guard let i = repos[key]!.issues[n]!.labels.firstIndex(where: { $0.lowercased() == rest[2].lowercased() })
            else {
                return Self.ghError(404, "Label does not exist")
            }
            repos[key]!.issues[n]!.labels.remove(at: i)
            return SimJSON.response(200, repos[key]!.issues[n]!.labels.map { labelJSON(repos[key]!, $0) })
        default:
            return Self.notFound
        }
    }
}
