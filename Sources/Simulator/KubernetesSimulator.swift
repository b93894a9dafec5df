import Foundation
import HTTPServer

/// A Kubernetes API server slice: `GET /apis/apps/v1/namespaces/{ns}/deployments/{name}` and
/// `GET /api/v1/namespaces/{ns}/pods?labelSelector=...`, with `Status` objects for errors and a
/// bearer token that can be rotated (the old one then gets 401, as a projected token would).
public final class KubernetesSimulator: SimulatedService, @unchecked Sendable {
    public struct ContainerState: Sendable {
        public var name: String
        public var ready: Bool
        public var restartCount: Int
        /// `state.waiting.reason`, e.g. `CrashLoopBackOff`, `ImagePullBackOff`; nil when running.
        public var waitingReason: String?
        public var waitingMessage: String?
        /// `state.terminated.reason` / exit code (when the container is terminated).
        public var terminatedReason: String?
        public var exitCode: Int?
        public var image: String
        public init(
            name: String = "app", ready: Bool = true, restartCount: Int = 0, waitingReason: String? = nil,
            waitingMessage: String? = nil, terminatedReason: String? = nil, exitCode: Int? = nil,
            image: String = "registry.example.com/app:latest"
        ) {
            self.name = name
            self.ready = ready
            self.restartCount = restartCount
            self.waitingReason = waitingReason
            self.waitingMessage = waitingMessage
            self.terminatedReason = terminatedReason
            self.exitCode = exitCode
            self.image = image
        }
    }

    public struct Pod: Sendable {
        public var name: String
        public var labels: [String: String]
        /// `Pending`, `Running`, `Succeeded`, `Failed`, `Unknown`.
        public var phase: String
        public var containers: [ContainerState]
        public var unschedulable: Bool
        public init(
            name: String, labels: [String: String] = [:], phase: String = "Running",
            containers: [ContainerState] = [ContainerState()], unschedulable: Bool = false
        ) {
            self.name = name
            self.labels = labels
            self.phase = phase
            self.containers = containers
            self.unschedulable = unschedulable
        }

        /// A running, ready pod.
        public static func healthy(_ name: String) -> Pod { Pod(name: name) }
        /// A pod whose container waits in `CrashLoopBackOff` after `restarts` restarts.
        public static func crashLooping(_ name: String, restarts: Int = 5) -> Pod {
            Pod(
                name: name,
                containers: [
                    ContainerState(
                        ready: false, restartCount: restarts, waitingReason: "CrashLoopBackOff",
                        waitingMessage: "back-off 5m0s restarting failed container=app")
                ])
        }
    }

    public struct Deployment: Sendable {
        public var namespace: String
        public var name: String
        public var desired: Int
        public var replicas: Int
        public var available: Int
        public var ready: Int
        public var updated: Int
        public var generation: Int
        public var observedGeneration: Int
        public var paused: Bool
        public var progressDeadlineExceeded: Bool
        public var revision: Int
        public var labels: [String: String]
    }

    // Safe: all mutable state is guarded by `lock`.
    private let lock = NSLock()
    private var deployments: [String: Deployment] = [:]
    private var pods: [String: [Pod]] = [:]
    private var tokens: Set<String>
    private var forbiddenNamespaces: Set<String> = []
    private let created = Date()

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
        for var p in newPods {
            p.labels["app"] = p.labels["app"] ?? app
            list.append(p)
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
            guard let d = deployments["\(ns)/\(name)"] else {
                return Self.status(
                    404, "NotFound", "deployments.apps \"\(name)\" not found",
                    details: ["name": name, "group": "apps", "kind": "deployments"])
            }
            return SimJSON.response(200, deploymentJSON(d))
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
            let items = (pods[ns] ?? []).filter { p in selector.allSatisfy { $0(p.labels) } }.map {
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

    /// Equality-based selectors: `k=v`, `k==v`, `k!=v`, `k`, `!k`, and `k in (a,b)`.
    static func parseSelector(_ s: String) -> [([String: String]) -> Bool]? {
        var out: [([String: String]) -> Bool] = []
        var terms: [String] = []
        var depth = 0
        var cur = ""
        for c in s {
            if c == "(" { depth += 1 } else if c == ")" { depth -= 1 }
            if c == "," && depth == 0 {
                terms.append(cur)
                cur = ""
            } else {
                cur.append(c)
            }
        }
        if !cur.isEmpty { terms.append(cur) }
        for raw in terms {
            let t = raw.trimmingCharacters(in: .whitespaces)
            if t.isEmpty { continue }
            if let r = t.range(of: "!=") {
                let k = t[..<r.lowerBound].trimmingCharacters(in: .whitespaces)
                let v = t[r.upperBound...].trimmingCharacters(in: .whitespaces)
                out.append { $0[k] != v }
            } else if let r = t.range(of: "==") ?? t.range(of: "=") {
                let k = t[..<r.lowerBound].trimmingCharacters(in: .whitespaces)
                let v = t[r.upperBound...].trimmingCharacters(in: .whitespaces)
                out.append { $0[k] == v }
            } else if let r = t.range(of: " notin ") ?? t.range(of: " in ") {
                let k = t[..<r.lowerBound].trimmingCharacters(in: .whitespaces)
                let set = Set(
                    t[r.upperBound...].trimmingCharacters(in: CharacterSet(charactersIn: "() "))
                        .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
                let negate = t.contains(" notin ")
                out.append { labels in
                    negate ? !set.contains(labels[k] ?? "\u{0}") : labels[k].map(set.contains) ?? false
                }
            } else if t.hasPrefix("!") {
                let k = String(t.dropFirst())
                out.append { $0[k] == nil }
            } else {
                guard t.allSatisfy({ $0.isLetter || $0.isNumber || "-_./".contains($0) }) else { return nil }
                out.append { $0[t] != nil }
            }
        }
        return out
    }

    private func ts(_ d: Date) -> String {
        d.formatted(Date.ISO8601FormatStyle(timeZone: TimeZone(identifier: "UTC")!))
    }

    private func deploymentJSON(_ d: Deployment) -> [String: Any] {
        let now = ts(Date())
        let born = ts(created)
        var conditions: [[String: Any]] = []
        let availableOK =
            d.available >= d.desired || d.available > 0 && d.desired - d.available <= max(1, d.desired / 4)
        conditions.append([
            "type": "Available", "status": availableOK ? "True" : "False",
            "reason": availableOK ? "MinimumReplicasAvailable" : "MinimumReplicasUnavailable",
            "message": availableOK
                ? "Deployment has minimum availability." : "Deployment does not have minimum availability.",
            "lastUpdateTime": now, "lastTransitionTime": now,
        ])
        let rsName = "\(d.name)-\(SimulatorCrypto.sha1Hex(Array("\(d.name)\(d.revision)".utf8)).prefix(10))"
        if d.progressDeadlineExceeded {
            conditions.append([
                "type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded",
                "message": "ReplicaSet \"\(rsName)\" has timed out progressing.", "lastUpdateTime": now,
                "lastTransitionTime": now,
            ])
        } else if d.paused {
            conditions.append([
                "type": "Progressing", "status": "Unknown", "reason": "DeploymentPaused",
                "message": "Deployment is paused", "lastUpdateTime": now, "lastTransitionTime": now,
            ])
        } else {
            let done = d.updated >= d.desired && d.available >= d.updated
            conditions.append([
                "type": "Progressing", "status": "True",
                "reason": done ? "NewReplicaSetAvailable" : "ReplicaSetUpdated",
                "message": done
                    ? "ReplicaSet \"\(rsName)\" has successfully progressed."
                    : "ReplicaSet \"\(rsName)\" is progressing.",
                "lastUpdateTime": now, "lastTransitionTime": born,
            ])
        }
        var status: [String: Any] = ["observedGeneration": d.observedGeneration, "conditions": conditions]
        // omitempty: zero counts are absent, as in the real API.
        if d.replicas > 0 { status["replicas"] = d.replicas }
        if d.updated > 0 { status["updatedReplicas"] = d.updated }
        if d.ready > 0 { status["readyReplicas"] = d.ready }
        if d.available > 0 { status["availableReplicas"] = d.available }
        if d.replicas - d.available > 0 { status["unavailableReplicas"] = d.replicas - d.available }
        var spec: [String: Any] = [
            "replicas": d.desired, "progressDeadlineSeconds": 600, "revisionHistoryLimit": 10,
            "selector": ["matchLabels": ["app": d.name]],
            "strategy": ["type": "RollingUpdate", "rollingUpdate": ["maxUnavailable": "25%", "maxSurge": "25%"]],
            "template": [
                "metadata": ["labels": ["app": d.name]],
                "spec": ["containers": [["name": "app", "image": "registry.example.com/\(d.name):latest"]]],
            ],
        ]
        if d.paused { spec["paused"] = true }
        return [
            "kind": "Deployment", "apiVersion": "apps/v1",
            "metadata": [
                "name": d.name, "namespace": d.namespace, "uid": uuid(d.namespace + "/" + d.name),
                "resourceVersion": String(10_000 + d.generation), "generation": d.generation,
                "creationTimestamp": born, "labels": d.labels,
                "annotations": ["deployment.kubernetes.io/revision": String(d.revision)],
            ],
            "spec": spec, "status": status,
        ]
    }

    private func podJSON(_ p: Pod, namespace: String) -> [String: Any] {
        let now = ts(Date())
        let statuses: [[String: Any]] = p.containers.map { c in
            var state: [String: Any]
            if let r = c.waitingReason {
                var w: [String: Any] = ["reason": r]
                if let m = c.waitingMessage { w["message"] = m }
                state = ["waiting": w]
            } else if let r = c.terminatedReason {
                state = ["terminated": ["reason": r, "exitCode": c.exitCode ?? 1, "startedAt": now, "finishedAt": now]]
            } else {
                state = ["running": ["startedAt": now]]
            }
            var s: [String: Any] = [
                "name": c.name, "ready": c.ready, "restartCount": c.restartCount, "image": c.image,
                "imageID": "", "started": c.waitingReason == nil && c.terminatedReason == nil, "state": state,
            ]
            if c.restartCount > 0 {
                s["lastState"] = [
                    "terminated": ["reason": "Error", "exitCode": c.exitCode ?? 1, "startedAt": now, "finishedAt": now]
                ]
            } else {
                s["lastState"] = [String: Any]()
            }
            return s
        }
        let allReady = p.phase == "Running" && p.containers.allSatisfy { $0.ready }
        var conditions: [[String: Any]] = [
            ["type": "Initialized", "status": "True", "lastTransitionTime": now],
            ["type": "Ready", "status": allReady ? "True" : "False", "lastTransitionTime": now],
            ["type": "ContainersReady", "status": allReady ? "True" : "False", "lastTransitionTime": now],
        ]
        conditions.append(
            p.unschedulable
                ? [
                    "type": "PodScheduled", "status": "False", "reason": "Unschedulable",
                    "message": "0/3 nodes are available: 3 Insufficient cpu.", "lastTransitionTime": now,
                ]
                : ["type": "PodScheduled", "status": "True", "lastTransitionTime": now])
        var status: [String: Any] = ["phase": p.phase, "conditions": conditions, "qosClass": "Burstable"]
        if !p.unschedulable {
            status["containerStatuses"] = statuses
            status["startTime"] = now
        }
        return [
            "metadata": [
                "name": p.name, "namespace": namespace, "labels": p.labels, "uid": uuid(namespace + "/" + p.name),
                "creationTimestamp": ts(created),
            ],
            "spec": ["containers": p.containers.map { ["name": $0.name, "image": $0.image] }],
            "status": status,
        ]
    }

    private func uuid(_ seed: String) -> String {
        let h = Array(SimulatorCrypto.sha1Hex(Array(seed.utf8)))
        return
            "\(String(h[0..<8]))-\(String(h[8..<12]))-\(String(h[12..<16]))-\(String(h[16..<20]))-\(String(h[20..<32]))"
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
            var r = Self.status(
                status, "TooManyRequests",
                "the server has received too many requests and has asked us to try again later")
            if let retryAfter { r.headers.append(("Retry-After", String(retryAfter))) }
            return r
        case .unauthorized: return Self.status(401, "Unauthorized", "Unauthorized")
        case .delay, .drop, .stall: return .dropConnection
        }
    }
}
