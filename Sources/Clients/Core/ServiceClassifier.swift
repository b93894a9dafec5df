/// The error mapping of Argo CD, Kubernetes, Prometheus and Slack (no service-specific codes):
/// 401 ⇒ `UNAUTHORIZED` (refresh then `PERMISSION_DENIED`), 403 ⇒ `PERMISSION_DENIED`,
/// 404 ⇒ `NOT_FOUND`, 409 ⇒ `CONFLICT`, 429 ⇒ `RATE_LIMIT_EXCEEDED`, 5xx ⇒ `NETWORK_ERROR`
/// (retried), other 4xx ⇒ `VALIDATION_ERROR`.
enum ServiceClassifier {
    @Sendable static func classify(_ response: OutboundResponse) -> FailureClass? {
        if (200..<300).contains(response.status) { return nil }
        let apiMessage = ClientJSON.message(response.body) ?? String(response.text.prefix(200))
        let message = "HTTP \(response.status)" + (apiMessage.isEmpty ? "" : ": \(apiMessage)")
        let code: APIErrorCode
        switch response.status {
        case 401: code = .unauthorized
        case 403: code = .permissionDenied
        case 404, 410: code = .notFound
        case 409: code = .conflict
        case 429: code = .rateLimitExceeded
        case 500...: code = .networkError
        default: code = .validationError
        }
        return FailureClass(code: code, message: message)
    }
}
