import Foundation

/// Plays Argo CD's application controller for the demo and end-to-end tests: it watches the
/// GitOps manifest of each tracked app on its branch, and when `targetRevision` changes (a
/// rollback PR was merged) it syncs the app to that revision. The app's health after a sync
/// is scripted: revisions in `healthy` come up `Healthy` with all replicas available, others
/// stay `Degraded` with crash-looping pods.
public final class ArgoCDController: @unchecked Sendable {
    // Safe: `tracked` and `timer` are only touched under `lock`.
    public struct Tracked: Sendable {
        public var app: String
        public var repo: String
        public var branch: String
        public var path: String
        public var namespace: String
        public var healthy: Set<String>
        public var replicas: Int
    }

    let github: GitHubSimulator
    let argocd: ArgoCDSimulator
    let kubernetes: KubernetesSimulator
    private let lock = NSLock()
    private var tracked: [String: Tracked] = [:]
    private var timer: DispatchSourceTimer?
    private let queue = DispatchQueue(label: "simulator.argocd-controller")
    /// Syncs performed: (app, revision).
    public private(set) var syncs: [(String, String)] {
        get {
            lock.lock()
            defer { lock.unlock() }
            return _syncs
        }
        set {
            lock.lock()
            _syncs = newValue
            lock.unlock()
        }
    }
    private var _syncs: [(String, String)] = []

    public init(github: GitHubSimulator, argocd: ArgoCDSimulator, kubernetes: KubernetesSimulator) {
        self.github = github
        self.argocd = argocd
        self.kubernetes = kubernetes
    }

    /// Tracks the app of a seeded scenario; its good revisions are the healthy ones.
    public func track(_ s: SimulatorSuite.RollbackScenario, replicas: Int = 3) {
        track(
            Tracked(
                app: s.app, repo: s.gitopsRepo, branch: s.envBranch, path: s.manifestPath, namespace: s.namespace,
                healthy: Set(s.goodRevisions), replicas: replicas))
    }

    public func track(_ t: Tracked) {
        lock.lock()
        tracked[t.app] = t
        lock.unlock()
    }

    /// Reconciles every `interval` seconds on a background queue until `stop()`.
    public func start(interval: Double = 0.05) {
        let t = DispatchSource.makeTimerSource(queue: queue)
        t.schedule(deadline: .now(), repeating: interval)
        t.setEventHandler { [weak self] in self?.reconcile() }
        lock.lock()
        timer = t
        lock.unlock()
        t.resume()
    }

    public func stop() {
        lock.lock()
        let t = timer
        timer = nil
        lock.unlock()
        t?.cancel()
    }

    /// One reconciliation pass (also callable directly).
    public func reconcile() {
        lock.lock()
        let all = Array(tracked.values)
        lock.unlock()
        for t in all {
            guard let text = github.file(repo: t.repo, path: t.path, ref: t.branch),
                let wanted = Self.targetRevision(in: text),
                let app = argocd.application(t.app), app.syncRevision != wanted
            else { continue }
            let good = t.healthy.contains(wanted)
            argocd.deploy(app: t.app, revision: wanted, at: Date(), health: good ? "Healthy" : "Degraded")
            if good {
                kubernetes.setDeployment(
                    namespace: t.namespace, name: t.app, desired: t.replicas, available: t.replicas)
                kubernetes.setPods(
                    namespace: t.namespace, app: t.app,
                    pods: (0..<t.replicas).map { .healthy("\(t.app)-synced-\(wanted.prefix(5))-\($0)") })
            }
            syncs.append((t.app, wanted))
        }
    }

    /// The first `targetRevision:` value in a manifest.
    static func targetRevision(in text: String) -> String? {
        for line in text.split(separator: "\n") {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard trimmed.hasPrefix("targetRevision:") else { continue }
            var v = trimmed.dropFirst("targetRevision:".count).trimmingCharacters(in: .whitespaces)
            if let hash = v.range(of: " #") { v = String(v[..<hash.lowerBound]) }
            return v.trimmingCharacters(in: CharacterSet(charactersIn: "\"' \r"))
        }
        return nil
    }
}
