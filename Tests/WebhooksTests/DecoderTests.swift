import Foundation
import RollbackCore
import Testing

@testable import Webhooks

/// The repository root, found from this file's path (Tests/WebhooksTests/<file>).
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()

func sample(_ relativePath: String) throws -> [UInt8] {
    let url = repositoryRoot.appendingPathComponent("webhooks/samples").appendingPathComponent(relativePath)
    return Array(try Data(contentsOf: url))
}

private let repo = "acme/guestbook-deploy"
private let sha = "d6fde92930d4715a2b49857d24b940956b26d2d3"
private let branch = "rollback/guestbook-d6fde92"

@Suite struct GitHubEventDecoderFixtureTests {
    @Test(
        arguments: [
            (
                "check_suite", "check_suite-completed.json",
                DecodedGitHubEvent.signal(
                    .checkCompleted(
                        .init(
                            kind: .suite, repository: repo, headSHA: sha, headBranch: branch,
                            name: nil, conclusion: .success, pullRequests: [42])))
            ),
            (
                "check_suite", "check_suite-completed-fork-null-branch.json",
                .signal(
                    .checkCompleted(
                        .init(
                            kind: .suite, repository: repo, headSHA: sha, headBranch: nil,
                            name: nil, conclusion: .stale, pullRequests: [])))
            ),
            (
                "check_run", "check_run-completed.json",
                .signal(
                    .checkCompleted(
                        .init(
                            kind: .run, repository: repo, headSHA: sha, headBranch: branch,
                            name: "ci/build", conclusion: .failure, pullRequests: [42])))
            ),
            (
                "check_run", "check_run-completed-unknown-conclusion.json",
                .signal(
                    .checkCompleted(
                        .init(
                            kind: .run, repository: repo, headSHA: sha, headBranch: branch,
                            name: "ci/lint", conclusion: .failure, pullRequests: [42])))
            ),
            (
                "check_run", "check_run-completed-skipped-no-suite.json",
                .signal(
                    .checkCompleted(
                        .init(
                            kind: .run, repository: repo, headSHA: sha, headBranch: nil,
                            name: "ci/deploy-preview", conclusion: .skipped, pullRequests: [])))
            ),
            (
                "status", "status-success.json",
                .signal(.commitStatus(.init(repository: repo, sha: sha, context: "ci/jenkins", state: .success)))
            ),
            (
                "status", "status-error.json",
                .signal(.commitStatus(.init(repository: repo, sha: sha, context: "security/scan", state: .error)))
            ),
            (
                "pull_request", "pull_request-closed.json",
                .signal(
                    .pullRequest(
                        .init(
                            repository: repo, number: 42, action: .closed, merged: true, headRef: branch,
                            headSHA: sha, baseRef: "main", sender: "octocat")))
            ),
            (
                "pull_request", "pull_request-closed-unmerged.json",
                .signal(
                    .pullRequest(
                        .init(
                            repository: repo, number: 42, action: .closed, merged: false, headRef: branch,
                            headSHA: sha, baseRef: "main", sender: "octocat")))
            ),
            (
                "pull_request", "pull_request-synchronize.json",
                .signal(
                    .pullRequest(
                        .init(
                            repository: repo, number: 42, action: .synchronize, merged: false, headRef: branch,
                            headSHA: "1c8b2a0e4b6f3d5a7c9e0f1a2b3c4d5e6f708192", baseRef: "main", sender: "octocat")))
            ),
            (
                "pull_request", "pull_request-ready_for_review.json",
                .signal(
                    .pullRequest(
                        .init(
                            repository: repo, number: 57, action: .other, merged: false,
                            headRef: "feature/faster-cache",
                            headSHA: "1c8b2a0e4b6f3d5a7c9e0f1a2b3c4d5e6f708192", baseRef: "main", sender: "octocat")))
            ),
            (
                "pull_request_review", "pull_request_review-submitted.json",
                .signal(
                    .review(.init(repository: repo, pullNumber: 42, state: .approved, reviewer: "alice", commitID: sha))
                )
            ),
            (
                "pull_request_review", "pull_request_review-submitted-no-commit-id.json",
                .signal(
                    .review(
                        .init(
                            repository: repo, pullNumber: 42, state: .changesRequested, reviewer: "alice", commitID: nil
                        )))
            ),
            (
                "pull_request_review", "pull_request_review-dismissed.json",
                .signal(
                    .review(
                        .init(repository: repo, pullNumber: 42, state: .dismissed, reviewer: "alice", commitID: sha)))
            ),
            (
                "issue_comment", "issue_comment-created.json",
                .signal(
                    .comment(
                        .init(
                            repository: repo, issueNumber: 42, isPullRequest: true, commentID: 3_950_000_001,
                            author: "alice", authorIsBot: false, body: "APPROVE — checked the dashboards ✓")))
            ),
            (
                "issue_comment", "issue_comment-created-plain-issue.json",
                .signal(
                    .comment(
                        .init(
                            repository: repo, issueNumber: 43, isPullRequest: false, commentID: 3_950_000_002,
                            author: "ai-operator[bot]", authorIsBot: true,
                            body: "Automatic rollback stopped: CI failed on the rollback PR.")))
            ),
            (
                "installation", "installation-created.json",
                .signal(.installation(.init(action: "created", installationID: 41_234_567, account: "acme")))
            ),
            (
                "installation", "installation-deleted.json",
                .signal(.installation(.init(action: "deleted", installationID: 41_234_567, account: nil)))
            ),
            ("ping", "ping.json", .ping),
            (
                "check_suite", "check_suite-requested.json",
                .ignored(reason: "check_suite action 'requested' is not handled")
            ),
            ("check_run", "check_run-created.json", .ignored(reason: "check_run action 'created' is not handled")),
            (
                "pull_request_review", "pull_request_review-edited.json",
                .ignored(reason: "pull_request_review action 'edited' is not handled")
            ),
            (
                "issue_comment", "issue_comment-edited.json",
                .ignored(reason: "issue_comment action 'edited' is not handled")
            ),
            (
                "issue_comment", "issue_comment-deleted.json",
                .ignored(reason: "issue_comment action 'deleted' is not handled")
            ),
            ("workflow_run", "workflow_run-completed.json", .ignored(reason: "event 'workflow_run' is not handled")),
            (
                "check_run", "check_run-completed-wrong-type.json",
                .malformed(reason: "wrong type at check_run.head_sha")
            ),
            ("status", "status-missing-sha.json", .malformed(reason: "missing field sha")),
            (
                "issue_comment", "issue_comment-created-missing-user.json",
                .malformed(reason: "missing field comment.user")
            ),
        ] as [(String, String, DecodedGitHubEvent)])
    func fixture(event: String, file: String, expected: DecodedGitHubEvent) throws {
        let body = try sample("github/" + file)
        // Every fixture is strict JSON and is what ingress would accept.
        let scan = JSONScan.validate(body, member: "action")
        #expect(scan.isValid && scan.topLevelIsObject)
        #expect(GitHubEventDecoder.decode(event: event, body: body) == expected)
    }

    @Test func everyFixtureIsCoveredByTheTable() throws {
        let dir = repositoryRoot.appendingPathComponent("webhooks/samples/github")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".json") }
        #expect(files.count == 28)
        // The action extracted at ingress equals the payload's `action` for every fixture.
        for file in files {
            let body = try sample("github/" + file)
            let object = try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any]
            #expect(JSONScan.validate(body, member: "action").member == object?["action"] as? String, "\(file)")
        }
    }
}

@Suite struct GitHubEventDecoderEdgeTests {
    private func json(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test func conclusionPolicy() {
        #expect(GitHubEventDecoder.checkConclusion("success") == .success)
        #expect(GitHubEventDecoder.checkConclusion("SUCCESS") == .success)
        #expect(GitHubEventDecoder.checkConclusion("timed_out") == .timedOut)
        #expect(GitHubEventDecoder.checkConclusion("action_required") == .actionRequired)
        #expect(GitHubEventDecoder.checkConclusion(nil) == .pending)
        for unknown in ["startup_failure", "", "succeeded", "success ", "passed"] {
            #expect(GitHubEventDecoder.checkConclusion(unknown) == .failure)
            #expect(!GitHubEventDecoder.checkConclusion(unknown).passed)
        }
        #expect(GitHubEventDecoder.statusState("weird") == .error)
        #expect(GitHubEventDecoder.statusState("Success") == .success)
        #expect(GitHubEventDecoder.reviewState("APPROVED") == .approved)
        #expect(GitHubEventDecoder.reviewState("pending") == .other)
    }

    @Test func completedWithNullConclusionIsPending() {
        let body = json(
            #"{"action":"completed","repository":{"full_name":"a/b"},"check_suite":{"head_sha":"abc","head_branch":null,"conclusion":null,"pull_requests":null}}"#
        )
        #expect(
            GitHubEventDecoder.decode(event: "check_suite", body: body)
                == .signal(
                    .checkCompleted(
                        .init(
                            kind: .suite, repository: "a/b", headSHA: "abc", headBranch: nil,
                            name: nil, conclusion: .pending, pullRequests: []))))
    }

    @Test func statusFallsBackToNameForTheRepository() {
        let body = json(#"{"sha":"abc","name":"a/b","context":"ci","state":"pending"}"#)
        #expect(
            GitHubEventDecoder.decode(event: "status", body: body)
                == .signal(.commitStatus(.init(repository: "a/b", sha: "abc", context: "ci", state: .pending))))
        #expect(
            GitHubEventDecoder.decode(event: "status", body: json(#"{"sha":"abc","context":"ci","state":"pending"}"#))
                == .malformed(reason: "missing field repository.full_name"))
    }

    @Test func malformedBodies() {
        #expect(
            GitHubEventDecoder.decode(event: "ping", body: json("not json"))
                == .malformed(reason: "body is not valid JSON: invalid literal at byte 1"))
        #expect(
            GitHubEventDecoder.decode(event: "check_run", body: json(#"{"action":"completed",}"#))
                == .malformed(reason: "body is not valid JSON: trailing comma at byte 22"))
        #expect(
            GitHubEventDecoder.decode(event: "ping", body: json("[1]"))
                == .malformed(reason: "body is not a JSON object"))
        #expect(
            GitHubEventDecoder.decode(event: "check_run", body: json("{}"))
                == .malformed(reason: "missing field action"))
        #expect(
            GitHubEventDecoder.decode(event: "check_run", body: json(#"{"action":7}"#))
                == .malformed(reason: "wrong type at action"))
        #expect(
            GitHubEventDecoder.decode(event: "pull_request", body: json(#"{"action":"closed","number":1.5}"#))
                == .malformed(reason: "a value does not fit its field (number not an integer or out of range)"))
        #expect(
            GitHubEventDecoder.decode(
                event: "check_suite",
                body: json(
                    #"{"action":"completed","repository":{"full_name":"a/b"},"check_suite":{"head_sha":"x","pull_requests":[{"id":1}]}}"#
                ))
                == .malformed(reason: "missing field check_suite.pull_requests[0].number"))
        #expect(
            GitHubEventDecoder.decode(
                event: "issue_comment",
                body: json(
                    #"{"action":"created","repository":{"full_name":"a/b"},"issue":{"number":1,"pull_request":"yes"},"comment":{"id":1,"body":"x","user":{"login":"u"}}}"#
                ))
                == .malformed(reason: "wrong type at issue.pull_request"))
    }

    @Test func reasonsDoNotQuoteValuesAndStayShort() {
        let secretish = "ghp_" + String(repeating: "A", count: 36)
        let body = json(
            #"{"action":"completed","repository":{"full_name":"a/b"},"check_run":{"name":"n","head_sha":["\#(secretish)"]}}"#
        )
        guard case .malformed(let reason) = GitHubEventDecoder.decode(event: "check_run", body: body) else {
            Issue.record("expected malformed")
            return
        }
        #expect(!reason.contains(secretish))
        let long = String(repeating: "x", count: 10_000)
        guard case .ignored(let eventReason) = GitHubEventDecoder.decode(event: long, body: json("{}")) else {
            Issue.record("expected ignored")
            return
        }
        #expect(eventReason.count < 100)
        guard
            case .ignored(let actionReason) = GitHubEventDecoder.decode(
                event: "check_run", body: json(#"{"action":"\#(long)\n"}"#))
        else {
            Issue.record("expected ignored")
            return
        }
        #expect(actionReason.count < 120 && !actionReason.contains("\n"))
    }

    /// Mutated fixtures and random bytes never trap; invalid JSON is always `.malformed`.
    @Test func neverCrashesOnMutatedFixtures() throws {
        let dir = repositoryRoot.appendingPathComponent("webhooks/samples/github")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".json") }
            .sorted()
        var gen = JSONGenerator(rng: SplitMix64(seed: 0xDEC0DE))
        var outcomes: [String: Int] = [:]
        for file in files {
            let original = try sample("github/" + file)
            for _ in 0..<25 {
                let body = gen.mutate(original)
                for event in [
                    "check_suite", "check_run", "status", "pull_request", "pull_request_review",
                    "issue_comment", "installation", "ping",
                ] {
                    let decoded = GitHubEventDecoder.decode(event: event, body: body)
                    switch decoded {
                    case .signal: outcomes["signal", default: 0] += 1
                    case .ping: outcomes["ping", default: 0] += 1
                    case .ignored: outcomes["ignored", default: 0] += 1
                    case .malformed: outcomes["malformed", default: 0] += 1
                    }
                    if !JSONScan.validate(body).isValid {
                        guard case .malformed = decoded else {
                            Issue.record("\(file) \(event): invalid JSON not malformed")
                            continue
                        }
                    }
                }
            }
        }
        #expect(outcomes["signal", default: 0] > 0 && outcomes["malformed", default: 0] > 0, "\(outcomes)")
    }
}

@Suite struct ArgoCDNotificationDecoderTests {
    private func decode(_ text: String) -> Result<ArgoCDNotification, ArgoCDNotificationError> {
        ArgoCDNotificationDecoder.decode(body: Array(text.utf8))
    }

    @Test func samples() throws {
        #expect(
            try ArgoCDNotificationDecoder.decode(body: sample("argocd/on-health-degraded.json")).get()
                == ArgoCDNotification(
                    app: "guestbook", trigger: "on-health-degraded", health: "Degraded",
                    revision: "9049f1265b7d61be4a8904a9a27120d2064dab3b"))
        #expect(
            try ArgoCDNotificationDecoder.decode(body: sample("argocd/on-sync-succeeded.json")).get()
                == ArgoCDNotification(
                    app: "guestbook", trigger: "on-sync-succeeded", health: "Progressing", revision: nil))
    }

    @Test func optionalMembers() throws {
        #expect(try decode(#"{"app":"web"}"#).get() == ArgoCDNotification(app: "web"))
        #expect(
            try decode(#"{"app":"web","trigger":null,"health":7,"revision":{"a":1},"extra":[1,2]}"#).get()
                == ArgoCDNotification(app: "web"))
        #expect(
            try decode(#"{"app":"w\u00e9b","health":"Degraded"}"#).get()
                == ArgoCDNotification(app: "wéb", health: "Degraded"))
    }

    @Test func refusals() {
        #expect(decode("") == .failure(.notJSON(.init(reason: .empty, offset: 0))))
        #expect(decode(#"{"app":"web",}"#) == .failure(.notJSON(.init(reason: .trailingComma, offset: 13))))
        #expect(decode(#"["web"]"#) == .failure(.notAnObject))
        #expect(decode(#""web""#) == .failure(.notAnObject))
        #expect(decode(#"{"name":"web"}"#) == .failure(.missingApp))
        #expect(decode(#"{"app":null}"#) == .failure(.appNotString))
        #expect(decode(#"{"app":{"name":"web"}}"#) == .failure(.appNotString))
        #expect(decode(#"{"app":""}"#) == .failure(.emptyApp))
        #expect(ArgoCDNotificationError.appNotString.description == "\"app\" is not a string")
    }
}
