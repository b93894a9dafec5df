// Over real HTTP (SPEC 19): a hostile manifest path, branch, SHA or name never reaches the
// simulators (their request logs stay empty, the refusal is recorded), and valid values,
// slashes and spaces included, still work. (The exact bytes sent are pinned by the unit tests:
// the simulators' HTTP server logs paths already percent-decoded.)
import Clients
import Foundation
import Simulator
import Testing

@Suite("Hostile URL values against the simulators")
struct HostileURLValueTests {
    static let hostilePaths = [
        "../secret.yaml", ".argocd/../../secret.yaml", "/etc/passwd", ".argocd//application.yaml",
        ".argocd\\application.yaml", ".argocd/application.yaml\n", "a\0.yaml", "\u{2025}/secret.yaml",
        ".argocd\u{FF0F}..\u{FF0F}secret.yaml", "%2e%2e/README.md", "..%2f.argocd/application.yaml", "",
    ]
    static let hostileBranches = [
        "../main", "rollback/../main", "..%2fmain", "main branch", "main\nx", "main\0", "-main", "main@{1}",
        "rollback/\u{2025}", "/main", "main/", "%2e%2e", "rollback%2F..%2Fmain",
    ]

    @Test func hostileManifestPathsAndBranchesNeverReachGitHub() async throws {
        let fixture = try GitHubFixture()
        defer { fixture.stop() }
        fixture.sim.clearRequestLog()
        let client = fixture.client
        let repo = GitHubFixture.repo
        for path in Self.hostilePaths {
            let read = await apiError { try await client.getFile(repo: repo, path: path, ref: "main") }
            #expect(read?.code == .validationError, "\(path.debugDescription)")
            let write = await apiError {
                try await client.putFile(
                    repo: repo, path: path, branch: "rollback/checkout-abc1234", content: [1], message: "m", sha: nil)
            }
            #expect(write?.code == .validationError, "\(path.debugDescription)")
            let history = await apiError { try await client.listCommits(repo: repo, path: path) }
            #expect(history?.code == .validationError, "\(path.debugDescription)")
        }
        for branch in Self.hostileBranches {
            let calls: [(String, () async throws -> Void)] = [
                ("getBranch", { _ = try await client.getBranch(repo: repo, branch: branch) }),
                ("getFile", { _ = try await client.getFile(repo: repo, path: GitHubFixture.manifest, ref: branch) }),
                ("compare", { _ = try await client.compare(repo: repo, base: "main", head: branch) }),
                ("listCommits", { _ = try await client.listCommits(repo: repo, from: branch) }),
                ("listPullRequests", { _ = try await client.listPullRequests(repo: repo, head: branch) }),
                ("listPullRequests base", { _ = try await client.listPullRequests(repo: repo, base: branch) }),
            ]
            for (name, call) in calls {
                let failure = await apiError { try await call() }
                #expect(failure?.code == .validationError, "\(name) \(branch.debugDescription)")
            }
        }
        let longSHA = fixture.mainSHA + "0"
        #expect(await apiError { try await client.checkRuns(repo: repo, ref: longSHA) }?.code == .validationError)
        #expect(await apiError { try await client.combinedStatus(repo: repo, ref: "main") }?.code == .validationError)
        #expect(
            await apiError { try await client.getBranch(repo: "acme/..", branch: "main") }?.code == .validationError)
        #expect(
            await apiError { try await client.isActiveTeamMember(org: "acme", team: "sre", user: "../admin") }?.code
                == .validationError)

        #expect(fixture.sim.requestLog.isEmpty, "\(fixture.sim.requestLog.map(\.path))")
        // Each refusal is a recorded call: VALIDATION_ERROR, no retry, no HTTP status.
        let refusals = fixture.harness.sink.records(named: "github.getContents")
        #expect(refusals.count == Self.hostilePaths.count + Self.hostileBranches.count)
        #expect(refusals.allSatisfy { $0.result == "VALIDATION_ERROR" && $0.retryCount == 0 && $0.httpStatus == nil })
    }

    @Test func writesNeedAValidRollbackBranchName() async throws {
        let fixture = try GitHubFixture()
        defer { fixture.stop() }
        fixture.sim.clearRequestLog()
        // Under `rollback/` but not a branch git would accept: the name goes in the body, so the
        // write guard is what refuses it.
        for branch in ["rollback/a b", "rollback/x~1", "rollback/x.lock", "rollback/a\nb", "rollback/x@{0}"] {
            let created = await apiError {
                try await fixture.client.createBranch(repo: GitHubFixture.repo, branch: branch, sha: fixture.mainSHA)
            }
            #expect(created?.code == .validationError, "\(branch.debugDescription)")
            let written = await apiError {
                try await fixture.client.putFile(
                    repo: GitHubFixture.repo, path: GitHubFixture.manifest, branch: branch, content: [1],
                    message: "m", sha: nil)
            }
            #expect(written?.message.contains("refusing to write") == true, "\(branch.debugDescription)")
            #expect(written?.message.contains("\n") == false)
        }
        #expect(fixture.sim.requestLog.isEmpty)
    }

    @Test func validValuesStillWork() async throws {
        let fixture = try GitHubFixture()
        defer { fixture.stop() }
        let client = fixture.client
        let repo = GitHubFixture.repo
        let spaced = "apps/my app/café.yaml"
        let commit = fixture.sim.addCommit(repo: repo, branch: "main", files: [spaced: "spaced\n"], message: "add")
        fixture.sim.clearRequestLog()

        let file = try await client.getFile(repo: repo, path: spaced, ref: "main")
        #expect(file.text == "spaced\n")
        // The simulator's log holds the path as its HTTP server decoded it.
        #expect(fixture.sim.requestLog.last?.path == "/repos/acme/gitops/contents/apps/my app/café.yaml")

        let branch = "rollback/checkout-abc1234"
        _ = try await client.createBranch(repo: repo, branch: branch, sha: commit)
        #expect(try await client.getBranch(repo: repo, branch: branch).sha == commit)
        #expect(fixture.sim.requestLog.last?.path == "/repos/acme/gitops/git/ref/heads/rollback/checkout-abc1234")
        #expect(try await client.getFile(repo: repo, path: spaced, ref: branch).text == "spaced\n")
        #expect(try await client.compare(repo: repo, base: "main", head: branch).status == "identical")
        #expect(fixture.sim.requestLog.last?.path == "/repos/acme/gitops/compare/main...rollback/checkout-abc1234")
        #expect(try await client.listCommits(repo: repo, from: branch).first?.sha == commit)

        // An uppercase SHA is sent lowercased.
        _ = try await client.checkRuns(repo: repo, ref: commit.uppercased())
        #expect(fixture.sim.requestLog.last?.path == "/repos/acme/gitops/commits/\(commit)/check-runs")

    }

    @Test func hostileArgoAndKubernetesNamesNeverReachTheirAPIs() async throws {
        let argo = ArgoCDSimulator(token: "argocd-token")
        try argo.start()
        defer { argo.stop() }
        let kube = KubernetesSimulator(token: "k8s-token")
        try kube.start()
        defer { kube.stop() }
        argo.setApplication(
            name: "checkout", labels: [:], repoURL: "https://github.com/acme/checkout.git",
            targetRevision: "1111111111111111111111111111111111111111", namespace: "shop")
        kube.setDeployment(namespace: "shop", name: "checkout", desired: 1, available: 1)
        let harness = Harness()
        let argoClient = ArgoCDClient(baseURL: argo.baseURL, token: Secret("argocd-token"), context: harness.context)
        let kubeClient = KubernetesClient(
            baseURL: kube.baseURL, credentials: .token(Secret("k8s-token")), context: harness.context)
        argo.clearRequestLog()
        kube.clearRequestLog()

        for name in ["../checkout", "checkout/../x", "Checkout", "check out", "checkout\n", "%2e%2e", "", "\u{2025}"] {
            #expect(await apiError { try await argoClient.getApplication(name: name) }?.code == .validationError)
            #expect(
                await apiError { try await kubeClient.deploymentStatus(namespace: "shop", name: name) }?.code
                    == .validationError)
            #expect(
                await apiError { try await kubeClient.deploymentStatus(namespace: name, name: "checkout") }?.code
                    == .validationError)
        }
        #expect(
            await apiError { try await argoClient.getApplication(name: "checkout", appNamespace: "../argocd") }?.code
                == .validationError)
        #expect(argo.requestLog.isEmpty)
        #expect(kube.requestLog.isEmpty)

        #expect(try await argoClient.getApplication(name: "checkout").name == "checkout")
        #expect(try await kubeClient.deploymentStatus(namespace: "shop", name: "checkout").desiredReplicas == 1)
    }
}
