import Foundation

/// The Kubernetes objects the simulator serves, as tests script them: Deployments, and Pods
/// with the state of each container.
extension KubernetesSimulator {
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
}
