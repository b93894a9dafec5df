import Foundation

/// Slack incoming webhook. The webhook URL is itself a credential: it is registered with the
/// redactor and never recorded. Any answer but 200 is a failure (429 waits `Retry-After`).
public final class SlackClient: Sendable {
    private let webhookURL: Secret
    private let context: ClientContext

    public init(webhookURL: Secret, context: ClientContext) {
        self.webhookURL = webhookURL
        self.context = context
        context.redactor.add(webhookURL)
        // The path part alone (T…/B…/secret) is just as secret.
        if let r = webhookURL.value.range(of: "/services/") {
            context.redactor.add(Secret(String(webhookURL.value[r.upperBound...])))
        }
    }

    /// Posts `{"text": text}`.
    public func post(text: String) async throws {
        struct Body: Encodable { let text: String }
        try await post(json: ClientJSON.encode(Body(text: text)))
    }

    /// Posts a JSON payload (`text`, `blocks`, ...).
    public func post(json: [UInt8]) async throws {
        let url = webhookURL.value
        let userAgent = context.userAgent
        _ = try await context.perform(
            CallDescription<EmptyResponse>(
                name: "slack.postMessage",
                parameters: ["bytes": String(json.count)],
                request: {
                    OutboundRequest(
                        method: "POST", url: url,
                        headers: [("Content-Type", "application/json"), ("User-Agent", userAgent)], body: json)
                },
                classify: { r in
                    if r.status == 200 { return nil }
                    let text = String(r.text.prefix(100))
                    var f = ServiceClassifier.classify(r) ?? FailureClass(code: .validationError, message: "")
                    f.message = "HTTP \(r.status): \(text)"
                    return f
                },
                decode: { _ in EmptyResponse() },
                summarize: { _, r in r.text.prefix(20).description }))
    }
}
