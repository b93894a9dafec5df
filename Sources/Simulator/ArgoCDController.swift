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
    public func track(_ scenario: SimulatorSuite.RollbackScenario, replicas: Int = 3) {
        track(
            Tracked(
                app: scenario.app, repo: scenario.gitopsRepo, branch: scenario.envBranch, path: scenario.manifestPath,
                namespace: scenario.namespace, healthy: Set(scenario.goodRevisions), replicas: replicas))
    }

    public func track(_ trackedApp: Tracked) {
        lock.lock()
        tracked[trackedApp.app] = trackedApp
        lock.unlock()
    }

    /// Reconciles every `interval` seconds on a background queue until `stop()`.
    public func start(interval: Double = 0.05) {
        let source = DispatchSource.makeTimerSource(queue: queue)
        source.schedule(deadline: .now(), repeating: interval)
        source.setEventHandler { [weak self] in self?.reconcile() }
        lock.lock()
        timer = source
        lock.unlock()
        source.resume()
    }

    public func stop() {
        lock.lock()
        let running = timer
        timer = nil
        lock.unlock()
        running?.cancel()
    }

    /// One reconciliation pass (also callable directly).
    public func reconcile() {
        lock.lock()
        let all = Array(tracked.values)
        lock.unlock()
        for entry in all {
            guard let text = github.file(repo: entry.repo, path: entry.path, ref: entry.branch),
                let wanted = Self.targetRevision(in: text),
                let app = argocd.application(entry.app), app.syncRevision != wanted
            else { continue }
            let good = entry.healthy.contains(wanted)
            argocd.deploy(app: entry.app, revision: wanted, at: Date(), health: good ? "Healthy" : "Degraded")
            if good {
                kubernetes.setDeployment(
                    namespace: entry.namespace, name: entry.app, desired: entry.replicas, available: entry.replicas)
                kubernetes.setPods(
                    namespace: entry.namespace, app: entry.app,
                    pods: (0..<entry.replicas).map { .healthy("\(entry.app)-synced-\(wanted.prefix(5))-\($0)") })
            }
            syncs.append((entry.app, wanted))
        }
    }

    /// The first `targetRevision:` value in a manifest.
    static func targetRevision(in text: String) -> String? {
        for line in text.split(separator: "\n") {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard trimmed.hasPrefix("targetRevision:") else { continue }
            var value = trimmed.dropFirst("targetRevision:".count).trimmingCharacters(in: .whitespaces)
            if let hash = value.range(of: " #") { value = String(value[..<hash.lowerBound]) }
            return value.trimmingCharacters(in: CharacterSet(charactersIn: "\"' \r"))
        }
        return nil
    }
}
