// Inputs the ingress and process tests share: the base configuration (no outside service is
// contacted) and a GitHub `check_suite` delivery body.
import Foundation

/// The environment every test configuration starts from (no outside service is contacted
/// by the ingress tests).
func baseEnvironment(dataDir: String, listen: String = "127.0.0.1:0") -> [String: String] {
    [
        "GITHUB_TOKEN": "ghp_test_token_value_1234",
        "GITHUB_WEBHOOK_SECRET": "webhook-secret-for-tests",
        "ARGOCD_URL": "http://127.0.0.1:9",
        "ARGOCD_TOKEN": "argocd-api-token-for-tests",
        "ARGOCD_WEBHOOK_TOKEN": "argocd-webhook-token-for-tests",
        "API_TOKEN": "api-token-for-tests-0123456789",
        "ALERTS_REPO": "acme/alerts",
        "KUBERNETES_API_URL": "http://127.0.0.1:9",
        "DATA_DIR": dataDir,
        "LISTEN_ADDR": listen,
    ]
}

/// A `check_suite` completed delivery for `sha`, padded to about `size` bytes when asked.
func checkSuiteBody(sha: String = "9f2c1d0e7b6a5c4d3e2f1a0b9c8d7e6f5a4b3c2d", padTo size: Int = 0) -> [UInt8] {
    var json = """
        {"action":"completed","check_suite":{"id":1,"head_sha":"\(sha)","head_branch":"rollback/web-abc1234","status":"completed","conclusion":"success","pull_requests":[{"number":7}]},"repository":{"full_name":"acme/gitops"},"sender":{"login":"github-actions[bot]","type":"Bot"}
        """
    if size > json.utf8.count + 20 {
        json += ",\"padding\":\"" + String(repeating: "x", count: size - json.utf8.count - 14) + "\""
    }
    json += "}"
    return Array(json.utf8)
}
