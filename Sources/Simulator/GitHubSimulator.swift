import Foundation
import HTTPServer

/// A stateful fake of the GitHub REST API (version 2022-11-28 shapes) and of GitHub's webhook
/// deliveries. Scripted from Swift (repositories, commits, CI, reviews, comments, protection),
/// inspected for assertions, and served over HTTP to the real clients.
public final class GitHubSimulator: SimulatedService, @unchecked Sendable {
    // Safe: every mutable field below is guarded by `lock`; webhook deliveries collected in
    // `outbox` while the lock is held are handed to `webhooks` (itself thread-safe) after unlock.
    let lock = NSLock()
    var repos: [String: Repo] = [:]
    var nextID = 1_000
    var seq = 0
    var staticTokens: Set<String> = []
    var installationTokens: [String: InstallationToken] = [:]
    var appID = 123_456
    var appClientID: String?
    var appPublicKeyPEM: String?
    var installationIDValue = 7_654_321
    var installationAccount = "acme"
    var tokenLifetime: TimeInterval = 3600
    var teams: [String: [String: TeamMembership]] = [:]  // "org/team" -> user -> membership
    var nullReads = 0
    var botLoginValue = "ai-operator[bot]"
    var rateLimit = (limit: 5000, remaining: 5000, reset: Date().addingTimeInterval(3600), used: 0)
    var mergesStore: [MergeRecord] = []
    var outbox: [(event: String, action: String?, payload: [String: Any])] = []
    var clockOffset: TimeInterval = 0
    var autoChecks: [(prefix: String, name: String, conclusion: String, delay: Double)] = []

    /// Webhook deliveries (configure with `configureWebhooks(url:secret:)`).
    public let webhooks = WebhookSender()

    /// `tokens`: personal/static tokens accepted as `Bearer <t>` or `token <t>`.
    public init(tokens: Set<String> = ["ghp_simulator_token"], address: String = "127.0.0.1:0") {
        staticTokens = tokens
        super.init(address: address)
    }

    public override func handle(_ request: HTTPRequest) -> HTTPResponse { ghHandle(request) }
    public override func decorate(_ response: HTTPResponse, _ request: HTTPRequest) -> HTTPResponse {
        ghDecorate(response, request)
    }
    public override func faultResponse(_ action: FaultAction, _ request: HTTPRequest) -> HTTPResponse {
        ghFault(action, request)
    }

    // MARK: - Locking helper

    /// Runs `body` under the lock, then sends the webhooks it queued.
    func withState<T>(_ body: () -> T) -> T {
        lock.lock()
        let result = body()
        let queued = outbox
        outbox = []
        lock.unlock()
        for webhook in queued { webhooks.emit(event: webhook.event, action: webhook.action, payload: webhook.payload) }
        return result
    }

    var now: Date { Date().addingTimeInterval(clockOffset) }

    func newID() -> Int {
        nextID += 1
        return nextID
    }
}
