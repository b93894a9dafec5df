import Clients
import Foundation
import Logging
import RollbackCore
import Synchronization

/// What the effect runner needs besides the clients.
public struct EffectSettings: Sendable, Equatable {
    /// `ALERTS_REPO` (`owner/name`): where escalation and security issues are opened.
    public var alertsRepo: String
    /// The operator's own GitHub login (e.g. `ai-operator[bot]`), when known: its reviews are
    /// never approvals and its comments are recognised when looking for one already posted.
    public var operatorLogin: String?
    /// Candidate limits (`maxCandidates`, `candidateMaxAge`) and `minimumUptime`.
    public var configuration: RollbackConfiguration

    public init(alertsRepo: String, operatorLogin: String? = nil, configuration: RollbackConfiguration = .default) {
        self.alertsRepo = alertsRepo
        self.operatorLogin = operatorLogin
        self.configuration = configuration
    }
}

/// Performs the work actions of the rollback state machine against GitHub, Argo CD,
/// Kubernetes, Prometheus and Slack, and reports the results as events.
///
/// Every effect looks before it creates (SPEC 7, 11, 13; issue 5 item 3): running one again
/// after a crash, at any instant, reuses what the first run made and adds nothing visible.
/// Failures are logged with the call name and the SPEC 12 code (never a credential: the
/// clients redact their messages) and turned into the failure event the core expects where
/// there is one.
public final class EffectRunner: EffectPerforming {
    let github: GitHubClient
    let argocd: ArgoCDClient
    let kubernetes: KubernetesClient
    let prometheus: PrometheusClient?
    let slack: SlackClient?
    let approvers: any ApproverChecking
    let settings: EffectSettings
    let clock: @Sendable () -> Date
    let logger: Logger
    /// Reviews already reported with a settled answer (`pr:id:STATE`: the operator's own
    /// review, an authorized approval, a dismissal), so they are not reported again on every
    /// poll. In memory only: after a restart they are reported once more and the core
    /// ignores the repeats.
    let reportedReviews = Mutex<Set<String>>([])
    /// ChatOps comments already reported by a poll (the core applies each once per comment id;
    /// this keeps a stranger's command from being reported on every poll). In memory only.
    let reportedComments = Mutex<Set<Int>>([])

    public init(
        github: GitHubClient, argocd: ArgoCDClient, kubernetes: KubernetesClient, prometheus: PrometheusClient?,
        slack: SlackClient?, approvers: any ApproverChecking, settings: EffectSettings,
        clock: @escaping @Sendable () -> Date = { Date() }, logger: Logger
    ) {
        self.github = github
        self.argocd = argocd
        self.kubernetes = kubernetes
        self.prometheus = prometheus
        self.slack = slack
        self.approvers = approvers
        self.settings = settings
        self.clock = clock
        self.logger = logger
    }

    public func perform(_ action: RollbackAction, app: MonitoredApp, machine: RollbackStateMachine) async
        -> [RollbackEvent]
    {
        switch action {
        case .searchCandidates(let current):
            return await searchCandidates(currentRevision: current, app: app).map { [$0] } ?? []
        case .openPullRequest(let plan):
            return [await openPullRequest(plan, app: app)]
        case .fetchCI(let number, let sha):
            let changes = await pullRequestChanges(prNumber: number, app: app, machine: machine)
            guard changes.isEmpty else { return changes }
            return (await fetchCI(prNumber: number, headSHA: sha, app: app).map { [$0] } ?? [])
                + (await fetchCommands(app: app, machine: machine))
        case .gatherMergeFacts(let number, _):
            return await gatherMergeFacts(prNumber: number, app: app, machine: machine).map { [$0] } ?? []
        case .fetchReviews(let number):
            let changes = await pullRequestChanges(prNumber: number, app: app, machine: machine)
            guard changes.isEmpty else { return changes }
            return await fetchReviews(prNumber: number, app: app, machine: machine)
                + (await fetchCommands(app: app, machine: machine))
        case .merge(let order):
            return [await merge(order, app: app, machine: machine)]
        case .closePullRequest(let number, let comment):
            await closePullRequest(number: number, comment: comment, app: app)
            return []
        case .escalate(let escalation):
            return await escalate(escalation, app: app, machine: machine)
        case .notify(let message):
            await postSlack(message.text, app: app, what: "notification")
            return []
        case .closeEpisodeIssue(let code, let comment):
            await closeEpisodeIssue(code, comment: comment, app: app)
            return []
        case .reply(let commandReply):
            await reply(commandReply, app: app)
            return []
        case .persist, .audit, .publish, .scheduleTimer, .cancelTimer, .recordMetric, .recordQuota, .archiveAttempt:
            // Bookkeeping: the engine's job, not an effect.
            return []
        }
    }

    // MARK: - Shared helpers

    /// The SPEC 12 code of a failure (`UNAUTHORIZED` surfaces as `PERMISSION_DENIED`).
    static func externalCode(_ code: APIErrorCode) -> ExternalErrorCode {
        ExternalErrorCode(rawValue: code.rawValue) ?? .permissionDenied
    }

    /// A failure after the clients' retries, as the core receives it.
    static func failure(_ error: any Error) -> ExternalCallFailure {
        if let apiError = error as? APIError {
            return ExternalCallFailure(
                code: externalCode(apiError.code), message: "\(apiError.call): \(apiError.message)",
                retriesExhausted: true)
        }
        if let editError = error as? ManifestEditor.EditError {
            return ExternalCallFailure(
                code: .validationError, message: "manifest edit: \(editError.description)", retriesExhausted: true)
        }
        if error is CancellationError {
            return ExternalCallFailure(code: .networkError, message: "cancelled", retriesExhausted: false)
        }
        return ExternalCallFailure(code: .validationError, message: "\(error)", retriesExhausted: true)
    }

    /// The event of a read that failed for good (SPEC 12): a permission problem or a value the
    /// clients refused will not heal on the next poll, so the attempt escalates now. Nil for
    /// failures a later poll may get past (network, rate limit, not found, conflicts).
    static func hardFailure(_ error: any Error) -> RollbackEvent? {
        guard let apiError = error as? APIError,
            [.permissionDenied, .unauthorized, .validationError].contains(apiError.code)
        else { return nil }
        return .callFailed(failure(error))
    }

    /// Logs a failed call: the effect, the call name and the error code (messages are
    /// already redacted by the clients).
    func logFailure(
        _ effect: String, _ error: any Error, app: MonitoredApp, level: Logger.Level = .warning,
        _ extra: Logger.Metadata = [:]
    ) {
        var meta: Logger.Metadata = ["effect": "\(effect)", "app": "\(app.name)"]
        if let apiError = error as? APIError {
            meta["call"] = "\(apiError.call)"
            meta["error_code"] = "\(Self.externalCode(apiError.code).rawValue)"
            if let status = apiError.status { meta["http_status"] = "\(status)" }
            meta["message"] = "\(apiError.message)"
        } else {
            meta["error"] = "\(error)"
        }
        meta.merge(extra) { $1 }
        logger.log(level: level, "effect call failed", metadata: meta)
    }

    /// The CI of one commit: its check runs (latest per name) and its combined status.
    func ciReport(repo: String, sha: String) async throws -> CIReport {
        async let runs = github.checkRuns(repo: repo, ref: sha)
        async let combined = github.combinedStatus(repo: repo, ref: sha)
        return Self.report(sha: sha, runs: try await runs, combined: try await combined)
    }

    static func report(sha: String, runs: CheckRunList, combined: CombinedStatus) -> CIReport {
        let checkRuns = runs.checkRuns.map { run -> CIReport.CheckRun in
            guard run.status == "completed" else { return .init(name: run.name, conclusion: nil) }
            // A completed run without a conclusion has not really finished; an unknown
            // conclusion is not one of the passing ones, so it counts as failed.
            let conclusion = run.conclusion.map { CheckConclusion(rawValue: $0) ?? .failure }
            return .init(name: run.name, conclusion: conclusion)
        }
        let statuses = combined.statuses.map {
            CIReport.Status(context: $0.context, state: StatusState(rawValue: $0.state) ?? .pending)
        }
        return CIReport(
            sha: sha, checkRuns: checkRuns, combinedState: StatusState(rawValue: combined.state) ?? .pending,
            statuses: statuses)
    }

    /// The issue or PR number at the end of an `html_url` (`.../issues/12`, `.../pull/7`).
    static func number(fromURL url: String?) -> Int? {
        guard let url, let last = url.split(separator: "/").last else { return nil }
        return Int(last)
    }
}
