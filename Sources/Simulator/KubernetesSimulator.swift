import Foundation
import HTTPServer

/// A Kubernetes API server slice: `GET /apis/apps/v1/namespaces/{ns}/deployments/{name}` and
/// `GET /api/v1/namespaces/{ns}/pods?labelSelector=...`, with `Status` objects for errors and a
/// bearer token that can be rotated (the old one then gets 401, as a projected token would).
public final class KubernetesSimulator: SimulatedService, @unchecked Sendable {
    // Safe: all mutable state is guarded by `lock`.
    private let lock = NSLock()
    private var deployments: [String: Deployment] = [:]
    private var pods: [String: [Pod]] = [:]
    private var tokens: Set<String>
    private var forbiddenNamespaces: Set<String> = []
    let created = Date()

    /// `token`: the bearer token the API accepts (nil: no authentication required).
    public init(token: String? = "k8s-sa-token", address: String = "127.0.0.1:0") {
        tokens = token.map { [$0] } ?? []
        super.init(address: address)
    }

    /// From now on only `newToken` is accepted (the old one answers 401).
    public func rotateToken(to newToken: String) {
        lock.lock()
        tokens = [newToken]
        lock.unlock()
    }

    /// Requests for this namespace answer 403 Forbidden (RBAC missing).
    public func forbid(namespace: String) {
        lock.lock()
        forbiddenNamespaces.insert(namespace)
        lock.unlock()
    }

    /// Creates or replaces a Deployment. `updated` defaults to `available`, `replicas` to max(desired, available).
    public func setDeployment(
        namespace: String, name: String, desired: Int, available: Int, ready: Int? = nil,
        updated: Int? = nil, replicas: Int? = nil, paused: Bool = false,
        progressDeadlineExceeded: Bool = false, labels: [String: String]? = nil
    ) {
        lock.lock()
        let key = "\(namespace)/\(name)"
        let old = deployments[key]
        let generation = (old?.generation ?? 0) + 1
        deployments[key] = Deployment(
            namespace: namespace, name: name, desired: desired,
            replicas: replicas ?? max(desired, available), available: available,
            ready: ready ?? available, updated: updated ?? available,
            generation: generation, observedGeneration: generation, paused: paused,
            progressDeadlineExceeded: progressDeadlineExceeded,
            revision: (old?.revision ?? 0) + 1, labels: labels ?? old?.labels ?? ["app": name])
        lock.unlock()
    }

    public func removeDeployment(namespace: String, name: String) {
        lock.lock()
        deployments["\(namespace)/\(name)"] = nil
        lock.unlock()
    }

    public func deployment(namespace: String, name: String) -> Deployment? {
        lock.lock()
        defer { lock.unlock() }
        return deployments["\(namespace)/\(name)"]
    }

    /// Replaces the pods of `app` in `namespace`; each gets the label `app=<app>` (plus its own).
    public func setPods(namespace: String, app: String, pods newPods: [Pod]) {
        lock.lock()
        var list = (pods[namespace] ?? []).filter { $0.labels["app"] != app }
        for var pod in newPods {
            pod.labels["app"] = pod.labels["app"] ?? app
            list.append(pod)
        }
        pods[namespace] = list
        lock.unlock()
    }

    // MARK: - HTTP

    public override func handle(_ request: HTTPRequest) -> HTTPResponse {
        lock.lock()
        defer { lock.unlock() }
        if !tokens.isEmpty {
            let auth = request.header("authorization") ?? ""
            guard auth.hasPrefix("Bearer "), tokens.contains(String(auth.dropFirst(7))) else {
                return Self.status(401, "Unauthorized", "Unauthorized")
            }
        }
        let parts = request.path.split(separator: "/").map { SimJSON.decode($0) }
        guard request.method == "GET" || request.method == "HEAD" else {
            if parts.count >= 4 {
                return Self.status(
                    405, "MethodNotAllowed", "the server does not allow this method on the requested resource")
            }
            return Self.status(404, "NotFound", "the server could not find the requested resource")
        }
        // /apis/apps/v1/namespaces/{ns}/deployments/{name}
        if parts.count == 7, parts[0] == "apis", parts[1] == "apps", parts[2] == "v1", parts[3] == "namespaces",
            parts[5] == "deployments"
        {
            let ns = parts[4]
            let name = parts[6]
            if forbiddenNamespaces.contains(ns) {
                return Self.status(
                    403, "Forbidden",
                    "deployments.apps \"\(name)\" is forbidden: User \"system:serviceaccount:ai-operator:ai-operator\" cannot get resource \"deployments\" in API group \"apps\" in the namespace \"\(ns)\"",
                    details: ["name": name, "group": "apps", "kind": "deployments"])
            }
            guard let deployment = deployments["\(ns)/\(name)"] else {
                return Self.status(
                    404, "NotFound", "deployments.apps \"\(name)\" not found",
                    details: ["name": name, "group": "apps", "kind": "deployments"])
            }
            return SimJSON.response(200, deploymentJSON(deployment))
        }
        // /api/v1/namespaces/{ns}/pods
        if parts.count == 5, parts[0] == "api", parts[1] == "v1", parts[2] == "namespaces", parts[4] == "pods" {
            let ns = parts[3]
            if forbiddenNamespaces.contains(ns) {
                return Self.status(
                    403, "Forbidden",
                    "pods is forbidden: User \"system:serviceaccount:ai-operator:ai-operator\" cannot list resource \"pods\" in API group \"\" in the namespace \"\(ns)\"",
                    details: ["kind": "pods"])
            }
            guard let selector = Self.parseSelector(request.query["labelSelector"] ?? "") else {
                return Self.status(400, "BadRequest", "unable to parse requirement: invalid label selector")
            }
            let items = (pods[ns] ?? []).filter { pod in selector.allSatisfy { $0(pod.labels) } }.map {
                podJSON($0, namespace: ns)
            }
            return SimJSON.response(
                200,
                [
                    "kind": "PodList", "apiVersion": "v1",
                    "metadata": ["resourceVersion": String(1000 + items.count)], "items": items,
                ])
        }
        return Self.status(404, "NotFound", "the server could not find the requested resource")
    }

    static func status(_ code: Int, _ reason: String, _ message: String, details: [String: Any]? = nil) -> HTTPResponse
    {
        var body: [String: Any] = [
            "kind": "Status", "apiVersion": "v1", "metadata": [String: Any](), "status": "Failure",
            "message": message, "reason": reason, "code": code,
        ]
        if let details { body["details"] = details }
        return SimJSON.response(code, body)
    }

    public override func faultResponse(_ action: FaultAction, _ request: HTTPRequest) -> HTTPResponse {
        switch action {
        case .status(let code):
            let reason =
                [500: "InternalError", 503: "ServiceUnavailable", 504: "Timeout", 404: "NotFound", 403: "Forbidden"][
                    code] ?? "InternalError"
            return Self.status(code, reason, "injected fault \(code)")
        case .rateLimit(let status, let retryAfter, _):
            var response = Self.status(
                status, "TooManyRequests",
                "the server has received too many requests and has asked us to try again later")
            if let retryAfter { response.headers.append(("Retry-After", String(retryAfter))) }
            return response
        case .unauthorized: return Self.status(401, "Unauthorized", "Unauthorized")
        case .delay, .drop, .stall: return .dropConnection
        }
    }
}
