/// Argo CD API client (read only: get and list applications; never sync).
public final class ArgoCDClient: Sendable {
    public let baseURL: String
    private let token: Secret
    private let context: ClientContext

    public init(baseURL: String, token: Secret, context: ClientContext) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.token = token
        self.context = context
        context.redactor.add(token)
    }

    /// `GET /api/v1/applications?selector=` (a Kubernetes label selector such as `ai-operator.enabled=true`).
    ///
    /// - Parameter fields: only these paths of each item (Argo CD's `fields` parameter, e.g.
    ///   `items.metadata.name`): a poll of thousands of apps then decodes a fraction of them.
    public func listApplications(
        selector: String? = nil, project: String? = nil,
        fields: [String]? = nil
    ) async throws -> [ArgoApplication] {
        struct List: Decodable { let items: [ArgoApplication]? }
        return try await call(
            "argocd.listApplications",
            path: URLPath("/api/v1/applications").query("selector", selector).query("projects", project)
                .query("fields", fields.map { $0.joined(separator: ",") }),
            parameters: ["selector": selector ?? "", "project": project ?? ""],
            decode: { try ClientJSON.decode(List.self, $0.body).items ?? [] },
            summarize: { "\($0.count) applications" })
    }

    /// `GET /api/v1/applications/{name}` (cached object, no refresh). `name` must be a DNS-1123
    /// subdomain and `appNamespace` a DNS-1123 label, or nothing is sent.
    public func getApplication(name: String, appNamespace: String? = nil) async throws -> ArgoApplication {
        try await call(
            "argocd.getApplication",
            path: URLPath("/api/v1/applications").segment(name, as: .applicationName)
                .query("appNamespace", appNamespace, as: .namespace),
            parameters: ["name": name],
            decode: { try ClientJSON.decode(ArgoApplication.self, $0.body) },
            summarize: { "\($0.healthStatus) \($0.syncRevision ?? "-")" })
    }

    private func call<T: Sendable>(
        _ name: String, path: URLPath, parameters: [String: String],
        decode: @escaping @Sendable (OutboundResponse) throws -> T,
        summarize: @escaping @Sendable (T) -> String
    ) async throws -> T {
        let target = Result(catching: { [baseURL] in baseURL + (try path.resolved(call: name)) })
        let token = self.token
        let userAgent = context.userAgent
        return try await context.perform(
            CallDescription<T>(
                name: name, parameters: parameters,
                request: {
                    OutboundRequest(
                        method: "GET", url: try target.get(),
                        headers: [
                            ("Accept", "application/json"), ("User-Agent", userAgent),
                            ("Authorization", "Bearer \(token.value)"),
                        ])
                },
                classify: ServiceClassifier.classify, decode: decode, summarize: { v, _ in summarize(v) }))
    }
}
