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
        if let servicesRange = webhookURL.value.range(of: "/services/") {
            context.redactor.add(Secret(String(webhookURL.value[servicesRange.upperBound...])))
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
                classify: { response in
                    if response.status == 200 { return nil }
                    let text = String(response.text.prefix(100))
                    var failure =
                        ServiceClassifier.classify(response) ?? FailureClass(code: .validationError, message: "")
                    failure.message = "HTTP \(response.status): \(text)"
                    return failure
                },
                decode: { _ in EmptyResponse() },
                summarize: { _, response in response.text.prefix(20).description }))
    }
}
