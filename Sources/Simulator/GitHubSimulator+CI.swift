import Foundation

/// Scripting CI: check runs, commit statuses, and check runs that complete by themselves on new
/// branch heads (each with the webhooks GitHub would send).
extension GitHubSimulator {
    /// Creates or updates the check run `name` for `sha`. When it completes, a `check_run`
    /// `completed` webhook is sent, and a `check_suite` `completed` one once every run of the
    /// suite is completed.
    @discardableResult
    public func setCheckRun(
        repo: String, sha: String, name: String, status: String = "completed",
        conclusion: String? = "success", summary: String? = nil
    ) -> Int {
        withState {
            let key = repo.lowercased()
            guard var repository = repos[key] else { preconditionFailure("no repository \(repo)") }
            let fullSHA = resolve(key, sha) ?? sha
            let suite = repository.suiteIDs[fullSHA] ?? newID()
            repository.suiteIDs[fullSHA] = suite
            let id: Int
            if let index = repository.checkRuns.lastIndex(where: { $0.sha == fullSHA && $0.name == name }) {
                repository.checkRuns[index].status = status
                repository.checkRuns[index].conclusion = status == "completed" ? conclusion : nil
                repository.checkRuns[index].completedAt = status == "completed" ? now : nil
                repository.checkRuns[index].summary = summary ?? repository.checkRuns[index].summary
                id = repository.checkRuns[index].id
            } else {
                id = newID()
                repository.checkRuns.append(
                    CheckRun(
                        id: id, suiteID: suite, sha: fullSHA, name: name, status: status,
                        conclusion: status == "completed" ? conclusion : nil, startedAt: now,
                        completedAt: status == "completed" ? now : nil, appSlug: "github-actions", summary: summary))
            }
            repos[key] = repository
            if status == "completed", let run = repository.checkRuns.first(where: { $0.id == id }) {
                queueCheckRunEvent(key, run)
                let runs = repository.checkRuns.filter { $0.sha == fullSHA }
                if runs.allSatisfy({ $0.status == "completed" }) { queueCheckSuiteEvent(key, sha: fullSHA, runs: runs) }
            }
            return id
        }
    }

    /// Adds a commit status (legacy Statuses API); sends a `status` webhook.
    public func setCommitStatus(
        repo: String, sha: String, context: String, state: String,
        description: String? = nil, targetURL: String? = nil
    ) {
        withState {
            let key = repo.lowercased()
            let fullSHA = resolve(key, sha) ?? sha
            addStatus(
                key, sha: fullSHA, context: context, state: state, description: description, targetURL: targetURL)
        }
    }

    /// CI that runs by itself: every new head of a branch starting with `branchPrefix` gets an
    /// `in_progress` check run `name`, completed with `conclusion` `delay` seconds later (with
    /// its `check_run` / `check_suite` webhooks).
    public func setAutoCheckRun(
        branchPrefix: String = "rollback/", name: String = "ci", conclusion: String = "success", delay: Double = 0.5
    ) {
        // Setting a rule replaces the one for the same prefix and check name (one run per name).
        withState {
            autoChecks.removeAll { $0.prefix == branchPrefix && $0.name == name }
            autoChecks.append((branchPrefix, name, conclusion, delay))
        }
    }

    /// Called under the lock when a branch moves.
    func startAutoChecks(_ key: String, branch: String, sha: String) {
        guard let repository = repos[key] else { return }
        for rule in autoChecks where branch.hasPrefix(rule.prefix) {
            // The live list: a run this loop already started counts (two rules, one name).
            guard !repos[key]!.checkRuns.contains(where: { $0.sha == sha && $0.name == rule.name }) else { continue }
            let suite = repos[key]!.suiteIDs[sha] ?? newID()
            repos[key]!.suiteIDs[sha] = suite
            repos[key]!.checkRuns.append(
                CheckRun(
                    id: newID(), suiteID: suite, sha: sha, name: rule.name, status: "in_progress",
                    conclusion: nil, startedAt: now, completedAt: nil, appSlug: "github-actions", summary: nil))
            let fullName = repository.fullName
            let name = rule.name
            let conclusion = rule.conclusion
            DispatchQueue.global().asyncAfter(deadline: .now() + rule.delay) { [weak self] in
                self?.setCheckRun(repo: fullName, sha: sha, name: name, status: "completed", conclusion: conclusion)
            }
        }
    }
}
