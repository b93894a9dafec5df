import Foundation

/// Kubernetes API client (read only: Deployments and pods).
public final class KubernetesClient: Sendable {
    public let baseURL: String
    private let context: ClientContext
    private let caFile: String?
    private let fixedToken: Secret?
    private let tokenFile: TokenFileReader?

    public init(baseURL: String, credentials: KubernetesCredentials, caFile: String? = nil, context: ClientContext) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.context = context
        self.caFile = caFile
        switch credentials {
        case .token(let token):
            context.redactor.add(token)
            fixedToken = token
            tokenFile = nil
        case .tokenFile(let path):
            fixedToken = nil
            tokenFile = TokenFileReader(path: path, redactor: context.redactor)
        case .none:
            fixedToken = nil
            tokenFile = nil
        }
    }

    /// The in-cluster API (`https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT`, the
    /// mounted service-account token and CA), or nil outside a cluster.
    public static func inCluster(
        context: ClientContext, environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> KubernetesClient? {
        guard let host = environment["KUBERNETES_SERVICE_HOST"], let port = environment["KUBERNETES_SERVICE_PORT"]
        else { return nil }
        let urlHost = host.contains(":") ? "[\(host)]" : host
        return KubernetesClient(
            baseURL: "https://\(urlHost):\(port)", credentials: .tokenFile(KubernetesCredentials.inClusterTokenFile),
            caFile: KubernetesCredentials.inClusterCAFile, context: context)
    }

    /// Times the token file was (re)read (for tests and diagnostics).
    public var tokenFileReads: Int { tokenFile?.reads ?? 0 }

    /// `GET /apis/apps/v1/namespaces/{ns}/deployments/{name}`: `namespace` must be a DNS-1123
    /// label and `name` a DNS-1123 subdomain, or nothing is sent.
    public func deploymentStatus(namespace: String, name: String) async throws -> DeploymentStatus {
        try await call(
            "kubernetes.getDeployment",
            path: URLPath("/apis/apps/v1/namespaces").segment(namespace, as: .namespace).literal("/deployments")
                .segment(name, as: .deploymentName),
            parameters: ["namespace": namespace, "name": name],
            decode: { try ClientJSON.decode(DeploymentWire.self, $0.body).summary(namespace: namespace) },
            summarize: { "\($0.availableReplicas)/\($0.desiredReplicas) available" })
    }

    /// `GET /api/v1/namespaces/{ns}/pods?labelSelector=`.
    public func podSummaries(namespace: String, labelSelector: String) async throws -> [PodSummary] {
        try await call(
            "kubernetes.listPods",
            path: URLPath("/api/v1/namespaces").segment(namespace, as: .namespace).literal("/pods")
                .query("labelSelector", labelSelector),
            parameters: ["namespace": namespace, "labelSelector": labelSelector],
            decode: { (try ClientJSON.decode(PodListWire.self, $0.body).items ?? []).map(\.summary) },
            summarize: { "\($0.count) pods" })
    }

    /// The pods of a Deployment (by its `matchLabels` selector).
    public func podSummaries(of deployment: DeploymentStatus) async throws -> [PodSummary] {
        guard let selector = deployment.selector else { return [] }
        return try await podSummaries(namespace: deployment.namespace, labelSelector: selector)
    }

    private func call<T: Sendable>(
        _ name: String, path: URLPath, parameters: [String: String],
        decode: @escaping @Sendable (OutboundResponse) throws -> T,
        summarize: @escaping @Sendable (T) -> String
    ) async throws -> T {
        let target = Result(catching: { [baseURL] in baseURL + (try path.resolved(call: name)) })
        let fixed = fixedToken
        let file = tokenFile
        let ca = caFile
        let userAgent = context.userAgent
        return try await context.perform(
            CallDescription<T>(
                name: name, parameters: parameters,
                request: {
                    let url = try target.get()
                    var headers = [("Accept", "application/json"), ("User-Agent", userAgent)]
                    if let token = try fixed ?? file?.token() {
                        headers.append(("Authorization", "Bearer \(token.value)"))
                    }
                    return OutboundRequest(method: "GET", url: url, headers: headers, caFile: ca)
                },
                classify: ServiceClassifier.classify, decode: decode, summarize: { v, _ in summarize(v) },
                refreshCredentials: {
                    // A rotated service-account token: read the file again and retry once.
                    guard let file else { return false }
                    file.invalidate()
                    return true
                }))
    }
}
