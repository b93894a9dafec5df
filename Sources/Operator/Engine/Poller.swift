import Clients
import Foundation
import Logging
import RollbackCore
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Every `POLL_INTERVAL_SEC`: ONE Argo CD list call covers every monitored app; Kubernetes is
/// read only for apps Argo CD reports `Degraded` and apps with an attempt in progress (whose
/// recovery needs replica counts). A failed Argo CD read is never a degraded check: each
/// known app gets an Argo-read-failure observation (SPEC 4).
final class Poller: Sendable {
    let argocd: ArgoCDClient
    let kubernetes: KubernetesClient?
    let engine: Engine
    let resolver: AppResolver
    let interval: Double
    let selector: String?
    let logger: Logger
    /// One "Argo CD unreachable" episode for all apps (SPEC 11).
    let outage = Mutex(ArgoCDOutage())

    init(argocd: ArgoCDClient, kubernetes: KubernetesClient?, engine: Engine, config: OperatorConfig, logger: Logger) {
        self.argocd = argocd
        self.kubernetes = kubernetes
        self.engine = engine
        resolver = AppResolver(config: config)
        interval = config.timing("POLL_INTERVAL_SEC")
        // With named apps the list must include unlabelled ones; otherwise the label narrows it.
        selector = config.monitoredApps.isEmpty ? "ai-operator.enabled=true" : nil
        self.logger = logger
    }

    /// What a poll reads of each application. Argo CD honours these in every 2.x/3.x release,
    /// except `status.sync.revision` (3.5+): an older server omits it, and the revision is then
    /// read from the app itself when an attempt starts.
    static let pollFields = [
        "items.metadata.name", "items.metadata.namespace", "items.metadata.labels", "items.metadata.annotations",
        "items.spec",
        "items.status.health", "items.status.sync.status", "items.status.sync.revision",
    ]

    func run() async {
        while !Task.isCancelled {
            let started = DispatchTime.now().uptimeNanoseconds
            await cycle()
            // A cycle decodes the whole Argo CD list; give the freed memory back to the system
            // so the resident size follows what is live, not the largest list ever decoded.
            _ = mallocTrim(0)
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
            try? await Task.sleep(nanoseconds: UInt64(max(0.001, interval - elapsed) * 1e9))
        }
    }

    /// One poll of every monitored app.
    func cycle() async {
        let apps: [ArgoApplication]
        do {
            apps = try await argocd.listApplications(selector: selector, fields: Self.pollFields)
        } catch {
            logger.warning(
                "Argo CD list failed; no app is judged degraded on this poll", metadata: ["error": "\(error)"])
            for worker in engine.allWorkers { worker.enqueue(.healthChecked(.argoCDDown)) }
            await outageChanged(
                outage.withLock { $0.listFailed(at: engine.core.clock(), configuration: configuration) })
            return
        }
        await outageChanged(outage.withLock { $0.listSucceeded(at: engine.core.clock(), configuration: configuration) })
        var needKubernetes: [(ArgoApplication, MonitoredApp)] = []
        for argoApp in apps {
            guard let monitoredApp = resolver.monitoredApp(argoApp) else {
                if resolver.isMonitored(argoApp) {
                    logger.warning(
                        "monitored app has no usable source repository; skipped", metadata: ["app": "\(argoApp.name)"])
                }
                continue
            }
            if needsKubernetes(argoApp, monitoredApp) {
                needKubernetes.append((argoApp, monitoredApp))
            } else {
                await engine.observe(
                    monitoredApp, AppResolver.observation(argoApp, deployment: nil, pods: [], kubernetesRead: false))
            }
        }
        // Kubernetes reads run concurrently, a few at a time.
        await withTaskGroup(of: Void.self) { group in
            var running = 0
            for (argoApp, monitoredApp) in needKubernetes {
                if running == 8 {
                    await group.next()
                    running -= 1
                }
                group.addTask { await self.check(argoApp, monitoredApp, deliveryID: nil) }
                running += 1
            }
        }
    }

    private var configuration: RollbackConfiguration { engine.core.configuration }

    /// Opens or closes the one Argo CD episode (issue and Slack through the effect runner, which
    /// finds an episode issue already open by its title).
    private func outageChanged(_ change: ArgoCDOutage.Change?) async {
        guard let change else { return }
        let subject = MonitoredApp(
            info: ArgoCDOutage.subject, sourceRepository: "none", sourceRepoURL: "", namespace: "", deployment: "")
        let machine = RollbackStateMachine(app: ArgoCDOutage.subject, seed: 0)
        switch change {
        case .opened:
            logger.error("Argo CD unreachable: its application list failed repeatedly; one episode opened")
            let escalation = ArgoCDOutage.escalation(
                detail: "the Argo CD application list failed \(configuration.argoFailuresBeforeSkip) times in a row; "
                    + "no app is judged degraded while it is unreachable")
            _ = await engine.core.effects.perform(.escalate(escalation), app: subject, machine: machine)
        case .closed:
            logger.notice("Argo CD reachable again; its episode is closed")
            _ = await engine.core.effects.perform(
                .closeEpisodeIssue(
                    .argocdUnreachable,
                    comment: "Argo CD has answered for \(Int(configuration.healthRestorationDuration)) s: resolved."),
                app: subject, machine: machine)
        }
    }

    /// An immediate check of one app (an Argo CD notification named it).
    func checkNow(app name: String, deliveryID: String?) async -> Bool {
        do {
            let argoApp = try await argocd.getApplication(name: name)
            guard let monitoredApp = resolver.monitoredApp(argoApp) else { return false }
            await check(argoApp, monitoredApp, deliveryID: deliveryID)
            return true
        } catch {
            logger.warning("Argo CD read for a notification failed", metadata: ["app": "\(name)", "error": "\(error)"])
            return false
        }
    }

    private func needsKubernetes(_ argoApp: ArgoApplication, _ monitoredApp: MonitoredApp) -> Bool {
        if argoApp.status?.health?.status == ArgoHealthStatus.degraded.rawValue { return true }
        return engine.existingWorker(monitoredApp.name)?.snapshot.machine.state.hasOpenAttempt ?? false
    }

    private func check(_ argoApp: ArgoApplication, _ monitoredApp: MonitoredApp, deliveryID: String?) async {
        var deployment: DeploymentStatus?
        var pods: [PodSummary] = []
        let read = kubernetes != nil && needsKubernetes(argoApp, monitoredApp)
        if let kubernetes, read {
            do {
                let deploymentStatus = try await kubernetes.deploymentStatus(
                    namespace: monitoredApp.namespace, name: monitoredApp.deployment)
                deployment = deploymentStatus
                pods = (try? await kubernetes.podSummaries(of: deploymentStatus)) ?? []
            } catch {
                // SPEC 4: the check then uses Argo CD health alone.
                logger.warning(
                    "Kubernetes read failed; using Argo CD health alone",
                    metadata: ["app": "\(monitoredApp.name)", "error": "\(error)"])
            }
        }
        await engine.observe(
            monitoredApp, AppResolver.observation(argoApp, deployment: deployment, pods: pods, kubernetesRead: read),
            deliveryID: deliveryID)
    }
}

/// glibc's `malloc_trim` (declared in <malloc.h>, which the Glibc module does not export).
@_silgen_name("malloc_trim") func mallocTrim(_ pad: Int) -> Int32
