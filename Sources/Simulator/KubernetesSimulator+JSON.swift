import Foundation

/// The `apps/v1` Deployment and `v1` Pod objects as the API server serves them (status
/// conditions, omitted zero counts, stable uids).
extension KubernetesSimulator {
    private func timestamp(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(timeZone: TimeZone(identifier: "UTC")!))
    }

    func deploymentJSON(_ deployment: Deployment) -> [String: Any] {
        let now = timestamp(Date())
        let born = timestamp(created)
        var conditions: [[String: Any]] = []
        let availableOK =
            deployment.available >= deployment.desired
            || deployment.available > 0 && deployment.desired - deployment.available <= max(1, deployment.desired / 4)
        conditions.append([
            "type": "Available", "status": availableOK ? "True" : "False",
            "reason": availableOK ? "MinimumReplicasAvailable" : "MinimumReplicasUnavailable",
            "message": availableOK
                ? "Deployment has minimum availability." : "Deployment does not have minimum availability.",
            "lastUpdateTime": now, "lastTransitionTime": now,
        ])
        let rsName =
            "\(deployment.name)-\(SimulatorCrypto.sha1Hex(Array("\(deployment.name)\(deployment.revision)".utf8)).prefix(10))"
        if deployment.progressDeadlineExceeded {
            conditions.append([
                "type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded",
                "message": "ReplicaSet \"\(rsName)\" has timed out progressing.", "lastUpdateTime": now,
                "lastTransitionTime": now,
            ])
        } else if deployment.paused {
            conditions.append([
                "type": "Progressing", "status": "Unknown", "reason": "DeploymentPaused",
                "message": "Deployment is paused", "lastUpdateTime": now, "lastTransitionTime": now,
            ])
        } else {
            let done = deployment.updated >= deployment.desired && deployment.available >= deployment.updated
            conditions.append([
                "type": "Progressing", "status": "True",
                "reason": done ? "NewReplicaSetAvailable" : "ReplicaSetUpdated",
                "message": done
                    ? "ReplicaSet \"\(rsName)\" has successfully progressed."
                    : "ReplicaSet \"\(rsName)\" is progressing.",
                "lastUpdateTime": now, "lastTransitionTime": born,
            ])
        }
        var status: [String: Any] = ["observedGeneration": deployment.observedGeneration, "conditions": conditions]
        // omitempty: zero counts are absent, as in the real API.
        if deployment.replicas > 0 { status["replicas"] = deployment.replicas }
        if deployment.updated > 0 { status["updatedReplicas"] = deployment.updated }
        if deployment.ready > 0 { status["readyReplicas"] = deployment.ready }
        if deployment.available > 0 { status["availableReplicas"] = deployment.available }
        if deployment.replicas - deployment.available > 0 {
            status["unavailableReplicas"] = deployment.replicas - deployment.available
        }
        var spec: [String: Any] = [
            "replicas": deployment.desired, "progressDeadlineSeconds": 600, "revisionHistoryLimit": 10,
            "selector": ["matchLabels": ["app": deployment.name]],
            "strategy": ["type": "RollingUpdate", "rollingUpdate": ["maxUnavailable": "25%", "maxSurge": "25%"]],
            "template": [
                "metadata": ["labels": ["app": deployment.name]],
                "spec": ["containers": [["name": "app", "image": "registry.example.com/\(deployment.name):latest"]]],
            ],
        ]
        if deployment.paused { spec["paused"] = true }
        return [
            "kind": "Deployment", "apiVersion": "apps/v1",
            "metadata": [
                "name": deployment.name, "namespace": deployment.namespace,
                "uid": uuid(deployment.namespace + "/" + deployment.name),
                "resourceVersion": String(10_000 + deployment.generation), "generation": deployment.generation,
                "creationTimestamp": born, "labels": deployment.labels,
                "annotations": ["deployment.kubernetes.io/revision": String(deployment.revision)],
            ],
            "spec": spec, "status": status,
        ]
    }

    func podJSON(_ pod: Pod, namespace: String) -> [String: Any] {
        let now = timestamp(Date())
        let statuses: [[String: Any]] = pod.containers.map { container in
            var state: [String: Any]
            if let reason = container.waitingReason {
                var waiting: [String: Any] = ["reason": reason]
                if let message = container.waitingMessage { waiting["message"] = message }
                state = ["waiting": waiting]
            } else if let reason = container.terminatedReason {
                state = [
                    "terminated": [
                        "reason": reason, "exitCode": container.exitCode ?? 1, "startedAt": now, "finishedAt": now,
                    ]
                ]
            } else {
                state = ["running": ["startedAt": now]]
            }
            var containerStatus: [String: Any] = [
                "name": container.name, "ready": container.ready, "restartCount": container.restartCount,
                "image": container.image,
                "imageID": "", "started": container.waitingReason == nil && container.terminatedReason == nil,
                "state": state,
            ]
            if container.restartCount > 0 {
                containerStatus["lastState"] = [
                    "terminated": [
                        "reason": "Error", "exitCode": container.exitCode ?? 1, "startedAt": now, "finishedAt": now,
                    ]
                ]
            } else {
                containerStatus["lastState"] = [String: Any]()
            }
            return containerStatus
        }
        let allReady = pod.phase == "Running" && pod.containers.allSatisfy { $0.ready }
        var conditions: [[String: Any]] = [
            ["type": "Initialized", "status": "True", "lastTransitionTime": now],
            ["type": "Ready", "status": allReady ? "True" : "False", "lastTransitionTime": now],
            ["type": "ContainersReady", "status": allReady ? "True" : "False", "lastTransitionTime": now],
        ]
        conditions.append(
            pod.unschedulable
                ? [
                    "type": "PodScheduled", "status": "False", "reason": "Unschedulable",
                    "message": "0/3 nodes are available: 3 Insufficient cpu.", "lastTransitionTime": now,
                ]
                : ["type": "PodScheduled", "status": "True", "lastTransitionTime": now])
        var status: [String: Any] = ["phase": pod.phase, "conditions": conditions, "qosClass": "Burstable"]
        if !pod.unschedulable {
            status["containerStatuses"] = statuses
            status["startTime"] = now
        }
        return [
            "metadata": [
                "name": pod.name, "namespace": namespace, "labels": pod.labels, "uid": uuid(namespace + "/" + pod.name),
                "creationTimestamp": timestamp(created),
            ],
            "spec": ["containers": pod.containers.map { ["name": $0.name, "image": $0.image] }],
            "status": status,
        ]
    }

    private func uuid(_ seed: String) -> String {
        let hex = Array(SimulatorCrypto.sha1Hex(Array(seed.utf8)))
        return
            "\(String(hex[0..<8]))-\(String(hex[8..<12]))-\(String(hex[12..<16]))-\(String(hex[16..<20]))-\(String(hex[20..<32]))"
    }
}
