import Foundation

/// The GitHub REST client (API version 2022-11-28). Authenticates with a token or as a GitHub
/// App installation; maps errors to SPEC section 12 codes; retries per the context's policy;
/// uses ETags on GETs; tracks the rate-limit budget; records every call; reads every list
/// whole, page by page (`GitHubClient+Paging.swift`). Writes to contents and refs are refused
/// unless the branch is a `rollback/*` branch.
public final class GitHubClient: Sendable {
    public let baseURL: String
    public let rateLimit: RateLimitMonitor
    let context: ClientContext
    let auth: Auth
    let etags: ETagCache
    /// The most items one list read accepts; a longer list fails the read (never a partial answer).
    public let maxListItems: Int

    enum Auth: Sendable {
        case token(Secret)
        case app(AppTokenProvider)
    }

    /// The default cap of one list read (issue 14: lists are read whole or not at all).
    public static let defaultMaxListItems = 1000

    /// The prefix of the only branches this client writes to.
    public static let writableBranchPrefix = "rollback/"

    public init(
        baseURL: String = "https://api.github.com", credentials: GitHubCredentials, context: ClientContext,
        rateLimit: RateLimitMonitor = RateLimitMonitor(), etagCacheSize: Int = 1000,
        maxListItems: Int = GitHubClient.defaultMaxListItems
    ) throws {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.maxListItems = max(1, maxListItems)
        self.context = context
        self.rateLimit = rateLimit
        self.etags = ETagCache(capacity: etagCacheSize)
        switch credentials {
        case .token(let token):
            context.redactor.add(token)
            auth = .token(token)
        case .app(let app):
            auth = .app(try AppTokenProvider(credentials: app, baseURL: self.baseURL, context: context))
        }
    }

    /// Installation-token exchanges so far (App credentials only).
    public var tokenExchanges: Int {
        get async {
            if case .app(let provider) = auth { return await provider.exchanges }
            return 0
        }
    }

    static func standardHeaders(userAgent: String) -> [(String, String)] {
        [
            ("Accept", "application/vnd.github+json"),
            ("X-GitHub-Api-Version", "2022-11-28"),
            ("User-Agent", userAgent),
        ]
    }

    /// Maps a non-success answer to a SPEC code (protocols §3.16 for 403 vs rate limit).
    @Sendable static func classify(_ response: OutboundResponse) -> FailureClass? {
        if (200..<300).contains(response.status) || response.status == 304 { return nil }
        let apiMessage = ClientJSON.message(response.body) ?? ""
        let message = "HTTP \(response.status)" + (apiMessage.isEmpty ? "" : ": \(apiMessage)")
        let code: APIErrorCode
        switch response.status {
        case 401: code = .unauthorized
        case 403, 429:
            let throttled =
                response.status == 429 || response.header("retry-after") != nil
                || response.header("x-ratelimit-remaining") == "0"
                || apiMessage.lowercased().contains("rate limit")
            code = throttled ? .rateLimitExceeded : .permissionDenied
        case 404, 410: code = .notFound
        case 409: code = .conflict
        case 422: code = apiMessage.lowercased().contains("already exist") ? .conflict : .validationError
        case 500...: code = .networkError
        default: code = .validationError
        }
        return FailureClass(code: code, message: message)
    }

    /// Checks a branch is one this client may write to: a valid branch name under `rollback/`.
    func requireWritable(_ branch: String, call: String) throws {
        let branchName = branch.hasPrefix("refs/heads/") ? String(branch.dropFirst("refs/heads/".count)) : branch
        guard branchName.hasPrefix(Self.writableBranchPrefix), branchName.count > Self.writableBranchPrefix.count,
            URLValueKind.branchProblem(branchName) == nil
        else {
            throw APIError(
                code: .validationError, call: call,
                message:
                    "refusing to write to branch '\(URLValueError.preview(of: branchName))': only valid \(Self.writableBranchPrefix)* branch names are writable"
            )
        }
    }

    /// `/repos/{owner}/{name}` of a GitHub `owner/name`, each part validated.
    static func repoPath(_ repo: String) -> URLPath {
        URLPath("/repos").repository(repo)
    }

    /// One GitHub call: headers, auth (refreshed once on 401), ETag for GETs, classification,
    /// JSON decoding, recording.
    func send<T: Decodable & Sendable>(
        _ name: String,
        method: String = "GET",
        path: URLPath,
        body: [UInt8]? = nil,
        parameters: [String: String],
        as type: T.Type = T.self,
        useETag: Bool? = nil,
        classify: (@Sendable (OutboundResponse) -> FailureClass?)? = nil,
        summarize: (@Sendable (T) -> String)? = nil,
        recover: (@Sendable (FailureClass) async -> (T, String)?)? = nil
    ) async throws -> T {
        try await sendRaw(
            name, method: method, path: path, body: body, parameters: parameters,
            useETag: useETag, classify: classify,
            decode: { try ClientJSON.decode(T.self, $0.body) },
            summarize: summarize, recover: recover)
    }

    func sendRaw<T: Sendable>(
        _ name: String,
        method: String = "GET",
        path: URLPath,
        body: [UInt8]? = nil,
        parameters: [String: String],
        useETag: Bool? = nil,
        classify: (@Sendable (OutboundResponse) -> FailureClass?)? = nil,
        decode: @escaping @Sendable (OutboundResponse) throws -> T,
        summarize: (@Sendable (T) -> String)? = nil,
        recover: (@Sendable (FailureClass) async -> (T, String)?)? = nil
    ) async throws -> T {
        // A refused value fails the call inside `perform` (recorded, never retried, nothing sent).
        let target = Result(catching: { [baseURL] in baseURL + (try path.resolved(call: name)) })
        return try await sendRaw(
            name, method: method, url: target, body: body, parameters: parameters, useETag: useETag,
            classify: classify, decode: decode, summarize: summarize, recover: recover)
    }

    /// As above, to a full URL already checked (a next-page link on the API's own origin).
    func sendRaw<T: Sendable>(
        _ name: String,
        method: String = "GET",
        url target: Result<String, any Error>,
        body: [UInt8]? = nil,
        parameters: [String: String],
        useETag: Bool? = nil,
        classify: (@Sendable (OutboundResponse) -> FailureClass?)? = nil,
        decode: @escaping @Sendable (OutboundResponse) throws -> T,
        summarize: (@Sendable (T) -> String)? = nil,
        recover: (@Sendable (FailureClass) async -> (T, String)?)? = nil
    ) async throws -> T {
        let url = (try? target.get()) ?? baseURL
        let conditional = useETag ?? (method == "GET")
        let etags = self.etags
        let auth = self.auth
        let userAgent = context.userAgent
        let lastToken = LastToken()
        // The cache entry the request was sent with, so a 304 decodes exactly that body.
        let sentWith = LastEntry()
        return try await context.perform(
            CallDescription<T>(
                name: name,
                parameters: parameters,
                request: {
                    let url = try target.get()
                    var headers = Self.standardHeaders(userAgent: userAgent)
                    let token: Secret
                    switch auth {
                    case .token(let fixedToken): token = fixedToken
                    case .app(let provider): token = try await provider.token()
                    }
                    lastToken.set(token)
                    headers.append(("Authorization", "Bearer \(token.value)"))
                    if body != nil { headers.append(("Content-Type", "application/json")) }
                    if conditional, let entry = etags.entry(for: url) {
                        sentWith.set(entry)
                        headers.append(("If-None-Match", entry.etag))
                    } else {
                        sentWith.set(nil)
                    }
                    return OutboundRequest(method: method, url: url, headers: headers, body: body)
                },
                classify: { response in
                    if response.status == 304 && sentWith.get() == nil {
                        return FailureClass(code: .validationError, message: "HTTP 304 without a conditional request")
                    }
                    return (classify ?? Self.classify)(response)
                },
                decode: { received in
                    var response = received
                    if received.status == 304, let entry = sentWith.get() {
                        // The cached page keeps its own pagination links.
                        response.body = entry.body
                        if let link = entry.link { response.headers["link"] = link }
                    } else if conditional, (200..<300).contains(received.status), let etag = received.header("etag") {
                        etags.store(url, etag: etag, body: received.body, link: received.header("link"))
                    }
                    return try decode(response)
                },
                summarize: { value, response in
                    let summary = summarize?(value) ?? "HTTP \(response.status)"
                    return response.status == 304 ? "\(summary) (not modified)" : summary
                },
                refreshCredentials: {
                    guard case .app(let provider) = auth else { return false }
                    await provider.invalidate(rejected: lastToken.get())
                    return true
                },
                observe: { [rateLimit] r in rateLimit.observe(r) },
                recover: recover
            ))
    }
}

/// Small lock-protected cells used by request closures that run once per attempt.
final class LastToken: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Secret?
    func set(_ newValue: Secret?) {
        lock.lock()
        value = newValue
        lock.unlock()
    }
    func get() -> Secret? {
        lock.lock()
        defer { lock.unlock() }
        return value
    }
}

final class LastEntry: @unchecked Sendable {
    private let lock = NSLock()
    private var value: ETagCache.Entry?
    func set(_ newValue: ETagCache.Entry?) {
        lock.lock()
        value = newValue
        lock.unlock()
    }
    func get() -> ETagCache.Entry? {
        lock.lock()
        defer { lock.unlock() }
        return value
    }
}

/// For calls whose answer body is not needed.
public struct EmptyResponse: Decodable, Sendable {
    public init() {}
    public init(from decoder: any Decoder) throws {}
}
