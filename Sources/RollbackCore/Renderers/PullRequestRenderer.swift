import Foundation

/// The rollback PR's branch, title, labels and body (SPEC 7).
public enum PullRequestRenderer {
    /// `rollback/<app>-<sha7>`
    public static func branch(app: String, targetSHA: String) -> String { "rollback/\(app)-\(ShortSHA.of(targetSHA))" }

    /// `Rollback: <app> to <short sha> (degraded in <env>)`
    public static func title(app: String, targetSHA: String, environment: DeploymentEnvironment) -> String {
        "Rollback: \(app) to \(ShortSHA.of(targetSHA)) (degraded in \(environment.rawValue))"
    }

    /// `ai-operator`, `rollback`, `<env>`
    public static func labels(environment: DeploymentEnvironment) -> [String] {
        ["ai-operator", "rollback", environment.rawValue]
    }

    /// The PR body: correlation id, environment, timestamp; degradation details; target;
    /// the one-line diff; the CI checklist; the merge strategy; where the audit trail is.
    public static func body(
        app: ApplicationInfo, correlationId: String, now: Date, currentRevision: String,
        checks: [HealthCheckRecord], target: Candidate
    ) -> String {
        let last = checks.last?.observation
        var text = """
            ## Automated Rollback

            **Triggered by:** AI DevOps Operator
            **Correlation ID:** \(correlationId)
            **Environment:** \(app.environment.rawValue)
            **Timestamp:** \(TextFormatting.iso8601(now))

            ---

            ### Degradation Details

            - **Application:** \(app.name)
            - **Current Revision:** \(currentRevision)
            - **Argo CD Health:** \(last?.health.rawValue ?? "unknown")\(last?.message.map { " (\(TextFormatting.redact($0)))" } ?? "")
            - **Replica Status:** \(last?.replicas.map { "\($0.available)/\($0.desired) available" } ?? "unknown (Kubernetes read failed)")
            - **Persistence:** Degraded for \(checks.count) consecutive health checks

            | check | time | health | replicas |
            |---|---|---|---|

            """
        for (index, check) in checks.enumerated() {
            let replicas = check.observation.replicas.map { "\($0.available)/\($0.desired)" } ?? "n/a"
            text +=
                "| \(index + 1) | \(TextFormatting.iso8601(check.at)) | \(check.observation.health.rawValue) | \(replicas) |\n"
        }
        let pods = last?.unhealthyPods ?? []
        if !pods.isEmpty {
            text += "\n**Unhealthy pods:**\n"
            for pod in pods { text += "- `\(pod.name)`: \(TextFormatting.redact(pod.reason))\n" }
        }
        let uptime =
            target.uptime.map { "\(Percent.format($0)) uptime over 24h when deployed" }
            ?? "no metrics (uptime: null); stable because CI passed"
        text += """

            ### Rollback Target

            - **Target Revision:** \(target.sha)
            - **Commit Message:** \(target.commit.map { firstLine($0.message) } ?? "unknown")
            - **Commit Author:** \(target.commit?.author ?? "unknown")
            - **Commit Date:** \(target.commit.map { TextFormatting.iso8601($0.date) } ?? "unknown")
            - **Stability Score:** \(uptime)

            ### Changes

            ```diff
            # \(app.manifestPath)
            -    targetRevision: \(currentRevision)
            +    targetRevision: \(target.sha)
            ```

            ### CI Status

            CI checks must pass before merge:
            - [ ] All check runs of the PR head completed successfully
            - [ ] Combined commit status is success (or no statuses)

            ### Merge Strategy


            """
        if app.environment == .staging {
            text += """
                **AUTO-MERGE ENABLED (Staging Environment)**

                This PR will be merged automatically after CI passes, only if all 8 safety invariants hold immediately before the merge:
                - I1_environment: environment is staging
                - I2_health_degraded: Argo CD health is Degraded
                - I3_replica_shortage: available replicas < desired
                - I4_persistence: degraded for 3 consecutive checks
                - I5_stable_previous: target uptime >= 99 % (or no metrics and CI passed)
                - I6_ci_success: CI of the PR head is success
                - I7_no_conflicts: this is the only open ai-operator PR on the base branch
                - I8_branch_protection: GitHub reports the PR mergeable

                """
        } else {
            text += """
                **MANUAL APPROVAL REQUIRED (Production Environment)**

                The operator never merges production on its own. An authorized approver must approve the current head of this PR (review, or comment `APPROVE`); the approval holds for that head SHA only.

                """
        }
        text += """

            ---

            **Audit Log:** `GET /api/v1/rollbacks/\(correlationId)/audit` (correlation ID `\(correlationId)`).
            **Commands (authorized approvers, first word of a comment):** `APPROVE`, `ABORT`, `MANUAL`, `RESET`.

            """
        return text
    }

    static func firstLine(_ message: String) -> String {
        String(message.split(separator: "\n", omittingEmptySubsequences: false).first ?? "")
    }
}
