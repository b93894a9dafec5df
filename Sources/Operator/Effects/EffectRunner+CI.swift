import Clients
import Foundation
import Logging
import RollbackCore

extension EffectRunner {
    /// The CI of the PR head (check runs + combined status with its statuses, read in
    /// parallel). A failed read gives no event: the core's CI poll timer asks again and
    /// `CI_WAIT_TIMEOUT` bounds the wait.
    func fetchCI(prNumber: Int, headSHA: String, app: MonitoredApp) async -> RollbackEvent? {
        do {
            return .ciReported(try await ciReport(repo: app.info.manifestRepository, sha: headSHA))
        } catch {
            logFailure("fetchCI", error, app: app, ["pr": "\(prNumber)", "sha": "\(headSHA)"])
            return Self.hardFailure(error)
        }
    }

    /// The fresh facts of a merge decision (SPEC 9), read in parallel: Argo CD health,
    /// Deployment replicas, the PR (head, mergeable), the head's CI, the open `ai-operator`
    /// PRs on the base branch.
    ///
    /// Unknown facts are reported as failing values, never as passing ones: Argo CD
    /// unreadable => `Unknown` health; Kubernetes unreadable => `replicas: nil` (I3 FAIL);
    /// head CI unreadable => an empty (pending) report. When the PR itself or the list of
    /// operator PRs cannot be read, `mergeable` is reported `null` (still computing), so the
    /// core re-reads up to `mergeableMaxReads` times before it decides anything, and I7
    /// lists no PR (FAIL). Nothing here can make an invariant pass that is not shown to pass.
    func gatherMergeFacts(prNumber: Int, app: MonitoredApp, machine: RollbackStateMachine) async -> RollbackEvent? {
        let info = app.info
        let repo = info.manifestRepository
        async let argoRead = argocd.getApplication(name: app.name)
        async let deploymentRead = kubernetes.deploymentStatus(namespace: app.namespace, name: app.deployment)
        async let prRead = github.getPullRequest(repo: repo, number: prNumber)
        async let listRead = github.listPullRequests(
            repo: repo, state: "open", base: info.baseBranch, labels: ["ai-operator"])

        var health = ArgoHealthStatus.unknown
        do { health = ArgoHealthStatus(rawValue: try await argoRead.healthStatus) ?? .unknown } catch {
            logFailure("gatherMergeFacts", error, app: app)
        }
        var replicas: ReplicaCounts?
        do {
            let deployment = try await deploymentRead
            replicas = ReplicaCounts(
                desired: deployment.desiredReplicas, available: deployment.availableReplicas,
                ready: deployment.readyReplicas)
        } catch {
            logFailure("gatherMergeFacts", error, app: app)
        }
        var headSHA = machine.attempt?.pullRequest.map { $0.number == prNumber ? $0.headSHA : "" } ?? ""
        var mergeable: Bool?
        var mergeableState: String?
        var prKnown = false
        do {
            let pr = try await prRead
            headSHA = pr.head.sha
            mergeable = pr.mergeable
            mergeableState = pr.mergeableState
            prKnown = true
        } catch {
            logFailure("gatherMergeFacts", error, app: app, ["pr": "\(prNumber)"])
            if let hard = Self.hardFailure(error) { return hard }
        }
        var operatorPRs: [Int] = []
        var listKnown = false
        do {
            operatorPRs = try await listRead.map(\.number).sorted()
            listKnown = true
        } catch {
            logFailure("gatherMergeFacts", error, app: app)
        }
        if !prKnown || !listKnown {
            mergeable = nil
            mergeableState = nil
        }
        guard !headSHA.isEmpty else { return nil }  // nothing known about this PR at all

        let readSHA = headSHA
        async let ciRead = ciReport(repo: repo, sha: readSHA)
        // What the head changes against the base: the operator merges only its own one-line edit.
        async let compareRead = github.compare(repo: repo, base: info.baseBranch, head: readSHA)
        var headCI = CIReport(sha: headSHA, checkRuns: [])
        do { headCI = try await ciRead } catch {
            logFailure("gatherMergeFacts", error, app: app, ["sha": "\(headSHA)"])
        }
        var headChanges: [HeadChange]?
        var headAuthor: String?
        do {
            let comparison = try await compareRead
            headChanges = Self.headChanges(comparison)
            if let head = comparison.commits?.last, head.sha == headSHA {
                headAuthor = head.author?.login ?? head.commit.author?.name
            }
        } catch {
            logFailure("gatherMergeFacts", error, app: app, ["sha": "\(headSHA)"])
        }
        return .mergeFactsGathered(
            MergeFacts(
                prNumber: prNumber, health: health, replicas: replicas, headSHA: headSHA,
                headCI: headCI, openOperatorPRs: operatorPRs, mergeable: mergeable,
                mergeableState: mergeableState, headChanges: headChanges, headAuthor: headAuthor))
    }
}
