import Clients
import Foundation
import Logging
import RollbackCore

/// Reads the `targetRevision` the rollback edit would change: the same source
/// `ManifestEditor` picks (`spec.source`, or the `spec.sources` entry whose `repoURL`
/// matches), so the reader and the writer can never disagree.
public enum ManifestReader {
    public static func targetRevision(in text: String, repoURL: String?) throws(ManifestEditor.EditError) -> String {
        // A dry-run edit to a placeholder revision; only the value it found is kept.
        try ManifestEditor.setTargetRevision(in: text, to: "0", repoURL: repoURL).previousValue
    }
}

extension EffectRunner {
    /// SPEC 6. Reads Argo CD (sync revision, history), the manifest on the environment branch,
    /// and the source repository's commits; plans the candidates; then gathers facts
    /// candidate by candidate (compare, then CI, then uptime, each only when the previous one
    /// passed) and stops at the first winner.
    ///
    /// Returns nil (no event) when a read that the choice depends on fails after the
    /// clients' retries: a choice made on missing facts could wrongly say "no candidate".
    /// The core's `CANDIDATE_SEARCH_TIMEOUT` then aborts with `NO_CANDIDATE`; the failure is
    /// logged with the call and code. A compare answering 404 (no common ancestor) is a
    /// fact, `diverged`; Prometheus failures are "no metrics" by the SPEC.
    func searchCandidates(currentRevision expected: String?, app: MonitoredApp) async -> RollbackEvent? {
        let info = app.info
        let configuration = settings.configuration
        let now = clock()
        do {
            async let argoRead = argocd.getApplication(name: app.name)
            async let fileRead = github.getFile(
                repo: info.manifestRepository, path: info.manifestPath, ref: info.baseBranch)
            let argo = try await argoRead
            let file = try await fileRead
            // The manifest must be this app's before anything is built on it (SPEC 19): a label or
            // annotation pointing at another app's manifest ends the attempt here.
            if let refusal = settings.configuration.writePolicy.refusal(
                manifest: ManifestIdentity.read(file.text), for: info, argoNamespace: app.argoNamespace)
            {
                logger.error(
                    "the write policy refused the app's manifest",
                    metadata: ["app": "\(app.name)", "rule": "\(refusal.rule)", "value": "\(refusal.value)"])
                return .policyDenied(refusal)
            }

            let sourceIndex = argo.sources.firstIndex { Self.sameRepo($0.repoURL, app.sourceRepoURL) }
            let synced: String? = {
                if let index = sourceIndex, let revisions = argo.status?.sync?.revisions, index < revisions.count {
                    return revisions[index]
                }
                return argo.syncRevision
            }()
            guard let current = synced ?? expected else {
                logger.warning("candidate search: Argo CD reports no synced revision", metadata: ["app": "\(app.name)"])
                return nil
            }
            let manifestRevision: String
            do {
                manifestRevision = try ManifestReader.targetRevision(in: file.text, repoURL: app.sourceRepoURL)
            } catch {
                logFailure("searchCandidates", error, app: app, level: .error, ["path": "\(info.manifestPath)"])
                return nil
            }
            // The attempt started on `expected`; if Argo CD now runs something else, someone
            // is mid-change: report the mismatch rather than roll back from a moved target.
            if let expected, expected != current {
                return .candidateSearchFinished(
                    CandidateSelection(
                        outcome: .revisionMismatch, currentRevision: current,
                        winner: nil, considered: []))
            }
            let history: [DeployedRevision] = argo.history.compactMap { entry in
                let sha: String? = {
                    if let index = sourceIndex, let revisions = entry.revisions, index < revisions.count {
                        return revisions[index]
                    }
                    return entry.revision ?? entry.revisions?.first
                }()
                guard let sha, let at = entry.deployedAt else { return nil }
                return DeployedRevision(sha: sha, deployedAt: at)
            }
            var facts = CandidateFacts(
                currentRevision: current, manifestRevision: manifestRevision, history: history,
                commits: [], ancestry: [:], ci: [:], uptime: [:])
            guard current == manifestRevision else {
                return .candidateSearchFinished(CandidateSelector.select(facts, now: now, configuration: configuration))
            }
            let commits = try await github.listCommits(
                repo: app.sourceRepository, from: current,
                since: now.addingTimeInterval(-configuration.candidateMaxAge),
                perPage: min(100, configuration.maxCandidates + 1))
            facts.commits = commits.map {
                CommitInfo(sha: $0.sha, message: $0.message, author: $0.authorName ?? "unknown", date: $0.date ?? now)
            }
            let plan = CandidateSelector.plan(
                history: facts.history, commits: facts.commits, currentRevision: current,
                now: now, configuration: configuration)
            var selection = CandidateSelector.select(facts, now: now, configuration: configuration)
            for candidate in plan {
                let ancestry: AncestryStatus
                do {
                    let comparison = try await github.compare(
                        repo: app.sourceRepository, base: current, head: candidate.sha)
                    ancestry = AncestryStatus(rawValue: comparison.status) ?? .diverged
                } catch let apiError as APIError where apiError.code == .notFound {
                    ancestry = .diverged  // no common ancestor (or an unknown commit): never an ancestor
                }
                facts.ancestry[candidate.sha] = ancestry
                if ancestry == .behind {
                    let report = try await ciReport(repo: app.sourceRepository, sha: candidate.sha)
                    facts.ci[candidate.sha] = report
                    if report.verdict == .passed {
                        facts.uptime[candidate.sha] = await uptime(
                            app: app, sha: candidate.sha, at: candidate.uptimeEvaluatedAt)
                    }
                }
                selection = CandidateSelector.select(facts, now: now, configuration: configuration)
                if selection.outcome == .found { break }
            }
            logger.info(
                "candidate search finished",
                metadata: [
                    "app": "\(app.name)", "outcome": "\(selection.outcome.rawValue)",
                    "winner": "\(selection.winner?.sha ?? "-")", "considered": "\(selection.considered.count)",
                ])
            return .candidateSearchFinished(selection)
        } catch {
            logFailure("searchCandidates", error, app: app, level: .error)
            return Self.hardFailure(error)
        }
    }

    /// `avg_over_time(up{app="<app>",revision="<sha>"}[24h])` at the end of the deployed
    /// period. The threshold is applied by the core, not in the query: with `>= 0.99` in the
    /// query an unstable revision would answer "no data" and be mistaken for "no metrics".
    func uptime(app: MonitoredApp, sha: String, at: Date) async -> UptimeFact {
        guard let prometheus else { return .noMetrics }
        let query = "avg_over_time(up{app=\"\(Self.promLabel(app.name))\",revision=\"\(Self.promLabel(sha))\"}[24h])"
        switch await prometheus.instantQuery(query, at: at) {
        case .value(let average) where average.isFinite: return .value(average)
        case .value, .noData: return .noMetrics
        case .unreachable(let why):
            logger.warning(
                "uptime query failed; treating as no metrics",
                metadata: [
                    "app": "\(app.name)", "call": "prometheus.query", "error_code": "NETWORK_ERROR",
                    "message": "\(why)",
                ])
            return .noMetrics
        }
    }

    static func promLabel(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
    }

    /// Repository URLs compared without a trailing `/` or `.git`, case-insensitive.
    static func sameRepo(_ first: String?, _ second: String) -> Bool {
        func normalized(_ url: String) -> String {
            var url = url.lowercased()
            while url.hasSuffix("/") { url.removeLast() }
            if url.hasSuffix(".git") { url.removeLast(4) }
            return url
        }
        guard let first else { return false }
        return normalized(first) == normalized(second)
    }
}
