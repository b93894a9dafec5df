/// A Deployment's replica counts and rollout conditions (protocols §6.2; a missing count is 0).
public struct DeploymentStatus: Sendable, Equatable {
    public let namespace: String
    public let name: String
    /// `spec.replicas` (API default 1).
    public let desiredReplicas: Int
    public let replicas: Int
    public let availableReplicas: Int
    public let readyReplicas: Int
    public let updatedReplicas: Int
    public let generation: Int
    public let observedGeneration: Int
    public let paused: Bool
    /// Progressing condition with reason `ProgressDeadlineExceeded`: the rollout failed.
    public let progressDeadlineExceeded: Bool
    /// `spec.selector.matchLabels`, as a label selector string (`app=x,tier=y`).
    public let selector: String?
    /// `deployment.kubernetes.io/revision`.
    public let revision: String?
}

/// One pod, summarised for degradation details.
public struct PodSummary: Sendable, Equatable {
    public let name: String
    /// `Pending`, `Running`, `Succeeded`, `Failed`, `Unknown`.
    public let phase: String
    /// The first container waiting reason (`CrashLoopBackOff`, `ImagePullBackOff`, ...), or the
    /// `Unschedulable` reason of the `PodScheduled` condition.
    public let waitingReason: String?
    public let waitingMessage: String?
    public let restarts: Int
    public let ready: Bool
}

struct DeploymentWire: Decodable {
    struct Meta: Decodable {
        let name: String
        let namespace: String?
        let generation: Int?
        let annotations: [String: String]?
    }
    struct Selector: Decodable { let matchLabels: [String: String]? }
    struct Spec: Decodable {
        let replicas: Int?
        let paused: Bool?
        let selector: Selector?
    }
    struct Condition: Decodable {
        let type: String
        let status: String?
        let reason: String?
    }
    struct Status: Decodable {
        let replicas: Int?, availableReplicas: Int?, readyReplicas: Int?, updatedReplicas: Int?,
            observedGeneration: Int?
        let conditions: [Condition]?
    }
    let metadata: Meta
    let spec: Spec?
    let status: Status?

    func summary(namespace: String) -> DeploymentStatus {
        let labels = spec?.selector?.matchLabels ?? [:]
        return DeploymentStatus(
            namespace: metadata.namespace ?? namespace, name: metadata.name,
            desiredReplicas: spec?.replicas ?? 1, replicas: status?.replicas ?? 0,
            availableReplicas: status?.availableReplicas ?? 0, readyReplicas: status?.readyReplicas ?? 0,
            updatedReplicas: status?.updatedReplicas ?? 0, generation: metadata.generation ?? 0,
            observedGeneration: status?.observedGeneration ?? 0, paused: spec?.paused ?? false,
            progressDeadlineExceeded: (status?.conditions ?? []).contains {
                $0.type == "Progressing" && $0.reason == "ProgressDeadlineExceeded"
            },
            selector: labels.isEmpty
                ? nil : labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ","),
            revision: metadata.annotations?["deployment.kubernetes.io/revision"])
    }
}

struct PodListWire: Decodable {
    struct Pod: Decodable {
        struct Meta: Decodable { let name: String }
        struct Waiting: Decodable {
            let reason: String?
            let message: String?
        }
        struct State: Decodable { let waiting: Waiting? }
        struct ContainerStatus: Decodable {
            let ready: Bool?
            let restartCount: Int?
            let state: State?
        }
        struct Condition: Decodable {
            let type: String
            let status: String?
            let reason: String?
        }
        struct Status: Decodable {
            let phase: String?
            let containerStatuses: [ContainerStatus]?
            let conditions: [Condition]?
        }
        let metadata: Meta
        let status: Status?

        var summary: PodSummary {
            let cs = status?.containerStatuses ?? []
            let waiting = cs.compactMap { $0.state?.waiting }.first { $0.reason != nil }
            let unschedulable = (status?.conditions ?? []).first {
                $0.type == "PodScheduled" && $0.status == "False" && $0.reason != nil
            }
            return PodSummary(
                name: metadata.name, phase: status?.phase ?? "Unknown",
                waitingReason: waiting?.reason ?? unschedulable?.reason,
                waitingMessage: waiting?.message,
                restarts: cs.reduce(0) { $0 + ($1.restartCount ?? 0) },
                ready: !cs.isEmpty && cs.allSatisfy { $0.ready == true })
        }
    }
    let items: [Pod]?
}
