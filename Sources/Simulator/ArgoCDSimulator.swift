import Foundation
import HTTPServer

/// An Argo CD API server slice: `GET /api/v1/applications` (with `selector`, `projects`,
/// `name`, `repo`) and `GET /api/v1/applications/{name}`, grpc-gateway error bodies
/// (`{"error","code","message"}`), bearer-token checks (401 unknown token, 403 token without
/// the `applications, get` permission). Health, sync revision and history are scripted.
public final class ArgoCDSimulator: SimulatedService, @unchecked Sendable {
    public struct Source: Sendable {
        public var repoURL: String
        public var path: String
        public var targetRevision: String
        public init(repoURL: String, path: String, targetRevision: String) {
            self.repoURL = repoURL
            self.path = path
            self.targetRevision = targetRevision
        }
    }

    public struct HistoryEntry: Sendable {
        public var id: Int
        public var revision: String
        public var deployedAt: Date
        public var deployStartedAt: Date
        public var source: Source
    }

    public struct Application: Sendable {
        public var name: String
        public var namespace: String = "argocd"
        public var project: String = "default"
        public var labels: [String: String] = [:]
        public var annotations: [String: String] = [:]
        /// One source, or several (then `spec.sources` is served instead of `spec.source`).
        public var sources: [Source]
        public var destinationNamespace: String
        public var destinationServer: String = "https://kubernetes.default.svc"
        public var healthStatus: String = "Healthy"
        public var healthMessage: String?
        public var syncStatus: String = "Synced"
        public var syncRevision: String
        public var history: [HistoryEntry] = []
        public var revisionHistoryLimit: Int = 10
        public var operationPhase: String? = "Succeeded"
        public var generation = 1

        public init(
            name: String, sources: [Source], destinationNamespace: String, syncRevision: String? = nil,
            labels: [String: String] = [:], annotations: [String: String] = [:]
        ) {
            self.name = name
            self.sources = sources
            self.destinationNamespace = destinationNamespace
            self.syncRevision = syncRevision ?? sources.first?.targetRevision ?? ""
            self.labels = labels
            self.annotations = annotations
        }
    }

    // Safe: all mutable state is guarded by `lock`.
    private let lock = NSLock()
    private var apps: [String: Application] = [:]
    private var order: [String] = []
    private var tokens: Set<String>
    private var readOnlyNone: Set<String> = []
    private var resourceVersion = 1000

    /// `token`: the accepted bearer token (nil: no authentication).
    public init(token: String? = "argocd-token", address: String = "127.0.0.1:0") {
        tokens = token.map { [$0] } ?? []
        super.init(address: address)
    }

    public func setTokens(_ accepted: Set<String>) {
        lock.lock()
        tokens = accepted
        lock.unlock()
    }
    /// Only `paths` (each a list of keys) of `object`, nested as they were.
    static func select(_ paths: [[String]], from object: [String: Any]) -> [String: Any] {
        var out: [String: Any] = [:]
        for path in paths {
            guard let key = path.first, let value = object[key] else { continue }
            if path.count == 1 {
                out[key] = value
            } else if let child = value as? [String: Any] {
                let picked = select([Array(path.dropFirst())], from: child)
                guard !picked.isEmpty else { continue }
                var merged = out[key] as? [String: Any] ?? [:]
                merged.merge(picked) { existing, incoming in
                    if let existingObject = existing as? [String: Any], let incomingObject = incoming as? [String: Any]
                    {
                        return existingObject.merging(incomingObject) { $1 }
                    }
                    return incoming
                }
                out[key] = merged
            }
        }
        return out
    }

    /// A token that authenticates but has no `applications, get` permission (answers 403).
    public func addTokenWithoutPermission(_ token: String) {
        lock.lock()
        readOnlyNone.insert(token)
        lock.unlock()
    }

    /// Creates or replaces an application.
    public func setApplication(_ app: Application) {
        lock.lock()
        if apps[app.name] == nil { order.append(app.name) }
        apps[app.name] = app
        resourceVersion += 1
        lock.unlock()
    }

    /// Convenience: a single-source app deploying `targetRevision` of `repoURL` at `path`.
    @discardableResult
    public func setApplication(
        name: String, labels: [String: String] = [:], annotations: [String: String] = [:],
        repoURL: String, path: String = ".", targetRevision: String, namespace: String,
        project: String = "default", health: String = "Healthy", syncRevision: String? = nil
    ) -> Application {
        var app = Application(
            name: name, sources: [Source(repoURL: repoURL, path: path, targetRevision: targetRevision)],
            destinationNamespace: namespace, syncRevision: syncRevision, labels: labels, annotations: annotations)
        app.project = project
        app.healthStatus = health
        setApplication(app)
        return app
    }

    public func removeApplication(_ name: String) {
        lock.lock()
        apps[name] = nil
        order.removeAll { $0 == name }
        resourceVersion += 1
        lock.unlock()
    }

    public func application(_ name: String) -> Application? {
        lock.lock()
        defer { lock.unlock() }
        return apps[name]
    }

    /// Edits an application in place (no-op when it does not exist).
    public func update(_ name: String, _ change: (inout Application) -> Void) {
        lock.lock()
        if var app = apps[name] {
            change(&app)
            app.generation += 1
            apps[name] = app
            resourceVersion += 1
        }
        lock.unlock()
    }

    /// `Healthy`, `Progressing`, `Degraded`, `Suspended`, `Missing`, `Unknown`.
    public func setHealth(app: String, status: String, message: String? = nil) {
        update(app) {
            $0.healthStatus = status
            $0.healthMessage = message
        }
    }

    /// `status.sync.revision` (and `Synced`/`OutOfSync`).
    public func setSyncRevision(app: String, revision: String, status: String = "Synced") {
        update(app) {
            $0.syncRevision = revision
            $0.syncStatus = status
        }
    }

    /// Sets `spec.source.targetRevision` (first source).
    public func setTargetRevision(app: String, revision: String) {
        update(app) { if !$0.sources.isEmpty { $0.sources[0].targetRevision = revision } }
    }

    /// Appends a deploy to `status.history` (next id, truncated to `revisionHistoryLimit`).
    public func appendHistory(app: String, revision: String, deployedAt: Date = Date()) {
        update(app) { application in
            let id = (application.history.last?.id ?? -1) + 1
            var source = application.sources.first ?? Source(repoURL: "", path: "", targetRevision: revision)
            source.targetRevision = revision
            application.history.append(
                HistoryEntry(
                    id: id, revision: revision, deployedAt: deployedAt,
                    deployStartedAt: deployedAt.addingTimeInterval(-20), source: source))
            if application.history.count > application.revisionHistoryLimit {
                application.history.removeFirst(application.history.count - application.revisionHistoryLimit)
            }
        }
    }

    /// A "sync" as the controller would do it: revision deployed, history appended, Synced.
    public func deploy(app: String, revision: String, at: Date = Date(), health: String? = nil) {
        appendHistory(app: app, revision: revision, deployedAt: at)
        update(app) { application in
            if !application.sources.isEmpty { application.sources[0].targetRevision = revision }
            application.syncRevision = revision
            application.syncStatus = "Synced"
            if let health { application.healthStatus = health }
        }
    }

    // MARK: - HTTP

    public override func handle(_ request: HTTPRequest) -> HTTPResponse {
        lock.lock()
        defer { lock.unlock() }
        let parts = request.path.split(separator: "/").map { SimJSON.decode($0) }
        guard parts.count >= 3, parts[0] == "api", parts[1] == "v1" else {
            return .text(404, "404 page not found\n")
        }
        if !tokens.isEmpty || !readOnlyNone.isEmpty {
            let auth = request.header("authorization") ?? ""
            let token = auth.hasPrefix("Bearer ") ? String(auth.dropFirst(7)) : nil
            if token == nil { return Self.error(401, 16, "no session information") }
            if let presented = token, readOnlyNone.contains(presented) {
                return Self.error(403, 7, "permission denied")
            }
            guard let presented = token, tokens.contains(presented) else {
                return Self.error(401, 16, "invalid session: token signature is invalid")
            }
        }
        guard parts[2] == "applications" else { return Self.error(404, 5, "Not Found") }
        guard request.method == "GET" || request.method == "HEAD" else {
            return Self.error(
                403, 7,
                "permission denied: applications, \(request.method == "DELETE" ? "delete" : "update"), sub-resource not allowed"
            )
        }
        let projects = (request.query["projects"] ?? request.query["project"]).map {
            Set($0.split(separator: ",").map(String.init))
        }
        if parts.count == 3 {
            guard let selector = KubernetesSimulator.parseSelector(request.query["selector"] ?? "") else {
                return Self.error(400, 3, "error parsing the selector: invalid selector")
            }
            var items: [[String: Any]] = []
            for name in order {
                guard let app = apps[name] else { continue }
                if let wantedName = request.query["name"], !wantedName.isEmpty, wantedName != app.name { continue }
                if let wantedProjects = projects, !wantedProjects.isEmpty, !wantedProjects.contains(app.project) {
                    continue
                }
                if let repo = request.query["repo"], !repo.isEmpty, !app.sources.contains(where: { $0.repoURL == repo })
                {
                    continue
                }
                guard selector.allSatisfy({ $0(app.labels) }) else { continue }
                items.append(appJSON(app))
            }
            if let fields = request.query["fields"], !fields.isEmpty {
                // Like the real server's forwarder: keep only the requested `items.` paths.
                let paths = fields.split(separator: ",").compactMap { field -> [String]? in
                    let parts = field.split(separator: ".").map(String.init)
                    return parts.first == "items" && parts.count > 1 ? Array(parts.dropFirst()) : nil
                }
                items = items.map { Self.select(paths, from: $0) }
            }
            return SimJSON.response(200, ["metadata": ["resourceVersion": String(resourceVersion)], "items": items])
        }
        if parts.count == 4 {
            let name = parts[3]
            guard let app = apps[name] else {
                return Self.error(404, 5, "applications.argoproj.io \"\(name)\" not found")
            }
            if let wantedProjects = projects, !wantedProjects.isEmpty, !wantedProjects.contains(app.project) {
                return Self.error(403, 7, "permission denied")
            }
            return SimJSON.response(200, appJSON(app))
        }
        if parts.count == 5, parts[4] == "resource-tree", let app = apps[parts[3]] {
            return SimJSON.response(
                200,
                [
                    "nodes": [
                        [
                            "group": "apps", "version": "v1", "kind": "Deployment",
                            "namespace": app.destinationNamespace, "name": app.name,
                            "health": ["status": app.healthStatus, "message": app.healthMessage ?? ""],
                        ]
                    ],
                    "hosts": [Any](),
                ])
        }
        return Self.error(404, 5, "Not Found")
    }

    private func timestamp(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(timeZone: TimeZone(identifier: "UTC")!))
    }

    private func sourceJSON(_ source: Source) -> [String: Any] {
        ["repoURL": source.repoURL, "path": source.path, "targetRevision": source.targetRevision]
    }

    private func appJSON(_ app: Application) -> [String: Any] {
        var spec: [String: Any] = [
            "project": app.project,
            "destination": ["server": app.destinationServer, "namespace": app.destinationNamespace],
            "syncPolicy": ["automated": ["prune": true, "selfHeal": true]],
        ]
        if app.sources.count == 1 {
            spec["source"] = sourceJSON(app.sources[0])
        } else {
            spec["sources"] = app.sources.map(sourceJSON)
        }
        var health: [String: Any] = ["status": app.healthStatus, "lastTransitionTime": timestamp(Date())]
        if let message = app.healthMessage { health["message"] = message }
        var sync: [String: Any] = ["status": app.syncStatus]
        var comparedTo: [String: Any] = [
            "destination": ["server": app.destinationServer, "namespace": app.destinationNamespace]
        ]
        if app.sources.count == 1 {
            sync["revision"] = app.syncRevision
            comparedTo["source"] = sourceJSON(app.sources[0])
        } else {
            sync["revisions"] = app.sources.map { _ in app.syncRevision }
            comparedTo["sources"] = app.sources.map(sourceJSON)
        }
        sync["comparedTo"] = comparedTo
        var status: [String: Any] = [
            "health": health, "sync": sync,
            "history": app.history.map { entry -> [String: Any] in
                [
                    "id": entry.id, "revision": entry.revision, "deployedAt": timestamp(entry.deployedAt),
                    "deployStartedAt": timestamp(entry.deployStartedAt),
                    "source": sourceJSON(entry.source), "initiatedBy": ["automated": true],
                ]
            },
            "reconciledAt": timestamp(Date()),
            "resourceHealthSource": "appTree",
            "resources": [
                [
                    "group": "apps", "version": "v1", "kind": "Deployment", "namespace": app.destinationNamespace,
                    "name": app.name, "status": app.syncStatus,
                ]
            ],
            "summary": ["images": ["registry.example.com/\(app.name):\(String(app.syncRevision.prefix(7)))"]],
        ]
        if let phase = app.operationPhase {
            let last = app.history.last
            status["operationState"] =
                [
                    "phase": phase, "message": phase == "Succeeded" ? "successfully synced (all tasks run)" : phase,
                    "startedAt": timestamp(last?.deployStartedAt ?? Date()),
                    "finishedAt": timestamp(last?.deployedAt ?? Date()),
                    "operation": ["sync": ["revision": app.syncRevision], "initiatedBy": ["automated": true]],
                    "syncResult": ["revision": app.syncRevision, "source": app.sources.first.map(sourceJSON) ?? [:]],
                ] as [String: Any]
        }
        return [
            "metadata": [
                "name": app.name, "namespace": app.namespace, "labels": app.labels, "annotations": app.annotations,
                "resourceVersion": String(resourceVersion), "generation": app.generation,
                "uid": String(SimulatorCrypto.sha1Hex(Array(app.name.utf8)).prefix(8)) + "-argo",
                "creationTimestamp": timestamp(Date(timeIntervalSince1970: 1_700_000_000)),
            ],
            "spec": spec,
            "status": status,
        ]
    }

    /// grpc-gateway `runtimeError`: `error`, `code` (gRPC code), `message`, `details`.
    static func error(_ http: Int, _ grpc: Int, _ message: String) -> HTTPResponse {
        SimJSON.response(http, ["error": message, "code": grpc, "message": message, "details": [Any]()])
    }

    public override func faultResponse(_ action: FaultAction, _ request: HTTPRequest) -> HTTPResponse {
        switch action {
        case .status(let code):
            return Self.error(code, code == 503 ? 14 : (code == 504 ? 4 : 13), "injected fault \(code)")
        case .rateLimit(let status, let retryAfter, _):
            var response = Self.error(status, 8, "too many requests")
            if let retryAfter { response.headers.append(("Retry-After", String(retryAfter))) }
            return response
        case .unauthorized: return Self.error(401, 16, "invalid session: token has invalid claims: token is expired")
        case .delay, .drop, .stall: return .dropConnection
        }
    }
}
