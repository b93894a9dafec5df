import Foundation
import HTTPServer

/// CI as a commit reports it: the combined status of its statuses, and its check runs (both
/// paginated inside their wrapping object, as GitHub does).
extension GitHubSimulator {
    func combinedStatus(_ key: String, _ ref: String, _ request: HTTPRequest) -> HTTPResponse {
        let repo = repos[key]!
        guard let sha = resolve(key, ref) else { return Self.ghError(404, "No commit found for SHA: \(ref)") }
        let statuses = latestStatuses(key, sha)
        return page(
            statuses.map { statusJSON(key, $0) }, request, under: "statuses",
            in: [
                "state": combinedState(statuses), "sha": sha, "total_count": statuses.count,
                "repository": repoJSON(repo), "commit_url": "\(api)/repos/\(repo.fullName)/commits/\(sha)",
                "url": "\(api)/repos/\(repo.fullName)/commits/\(sha)/status",
            ])
    }

    func checkRuns(_ key: String, _ ref: String, _ request: HTTPRequest) -> HTTPResponse {
        guard let sha = resolve(key, ref) else { return Self.ghError(422, "No commit found for SHA: \(ref)") }
        var runs =
            request.query["filter"] == "all" ? repos[key]!.checkRuns.filter { $0.sha == sha } : latestRuns(key, sha)
        if let checkName = request.query["check_name"] { runs = runs.filter { $0.name == checkName } }
        if let status = request.query["status"] { runs = runs.filter { $0.status == status } }
        return page(
            runs.map { checkRunJSON(key, $0) }, request, under: "check_runs", in: ["total_count": runs.count])
    }
}
