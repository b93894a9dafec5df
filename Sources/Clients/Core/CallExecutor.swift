import Foundation

/// One logical call: its audit name, its parameters (no secrets), how to build each attempt's
/// request, how to classify and decode the answer.
struct CallDescription<T: Sendable>: Sendable {
    var name: String
    var parameters: [String: String]
    /// Builds the request of one attempt (credentials are fetched per attempt).
    var request: @Sendable () async throws -> OutboundRequest
    /// nil for a success; otherwise the failure's code and message.
    var classify: @Sendable (OutboundResponse) -> FailureClass?
    var decode: @Sendable (OutboundResponse) throws -> T
    /// A short text for the record's `response` (default: `HTTP <status>`).
    var summarize: (@Sendable (T, OutboundResponse) -> String)? = nil
    /// Called on a 401: refresh the credential; true if a retry makes sense.
    var refreshCredentials: (@Sendable () async -> Bool)? = nil
    /// Sees every answer (rate-limit budget).
    var observe: (@Sendable (OutboundResponse) -> Void)? = nil
    /// Turns a final HTTP failure into a success (e.g. a 405 on a merge of a PR that is
    /// already merged); returns the value and the record's response text.
    var recover: (@Sendable (FailureClass) async -> (T, String)?)? = nil
}

extension ClientContext {
    /// Runs a call with the retry rules of SPEC section 12 and records it once, whatever happens.
    func perform<T: Sendable>(_ call: CallDescription<T>) async throws -> T {
        let clock = ContinuousClock()
        let started = clock.now
        let startedAt = sleeper.now()
        var retries = 0
        var networkRetries = 0
        var rateLimitRetried = false
        var authRetried = false
        var lastStatus: Int?

        func finish(_ result: String, _ response: String?) {
            let elapsed = clock.now - started
            recorder.record(
                CallRecord(
                    name: call.name, parameters: call.parameters, result: result, response: response,
                    durationMs: elapsed.milliseconds, retryCount: retries, httpStatus: lastStatus,
                    startedAt: startedAt))
        }
        func fail(_ code: APIErrorCode, _ message: String) -> APIError {
            let final = code == .unauthorized ? APIErrorCode.permissionDenied : code
            let clean = recorder.redactor.redact(message)
            finish(final.rawValue, clean)
            return APIError(code: final, call: call.name, status: lastStatus, message: clean)
        }

        while true {
            let failure: FailureClass
            var rateLimitedResponse: OutboundResponse?
            do {
                let request = try await call.request()
                let response = try await transport.send(request)
                lastStatus = response.status
                call.observe?(response)
                if let classified = call.classify(response) {
                    failure = classified
                    if classified.code == .rateLimitExceeded { rateLimitedResponse = response }
                } else {
                    let value: T
                    do {
                        value = try call.decode(response)
                    } catch let apiError as APIError {
                        throw fail(apiError.code, apiError.message)
                    } catch {
                        throw fail(.validationError, "unexpected response body: \(error)")
                    }
                    finish("ok", call.summarize?(value, response) ?? "HTTP \(response.status)")
                    return value
                }
            } catch let transportError as TransportError {
                switch transportError.kind {
                case .cancelled: throw failAndCancel(fail)
                case .responseTooLarge, .invalidRequest: throw fail(.validationError, transportError.description)
                default: failure = FailureClass(code: .networkError, message: transportError.description)
                }
            } catch is CancellationError {
                throw failAndCancel(fail)
            } catch let apiError as APIError {
                // Raised while building the request (minting a token: that call already
                // retried and was recorded on its own; a refused write). Not retried again.
                throw fail(apiError.code, apiError.message)
            }

            // Decide whether to try again.
            switch failure.code {
            case .unauthorized where !authRetried:
                authRetried = true
                if let refresh = call.refreshCredentials, await refresh() {
                    retries += 1
                    continue
                }
                throw fail(.permissionDenied, failure.message)
            case .rateLimitExceeded where !rateLimitRetried:
                rateLimitRetried = true
                let wait =
                    rateLimitedResponse.map { retryPolicy.rateLimitWait($0, now: sleeper.now()) }
                    ?? retryPolicy.defaultRateLimitWait
                guard wait <= retryPolicy.maxRateLimitWait else {
                    throw fail(
                        .rateLimitExceeded,
                        failure.message
                            + " (reset in \(Int(wait.seconds)) s, beyond the \(Int(retryPolicy.maxRateLimitWait.seconds)) s limit)"
                    )
                }
                recorder.warn("\(call.name): rate limited, waiting \(wait.seconds) s before one more try")
                do { try await sleeper.sleep(for: wait) } catch { throw failAndCancel(fail) }
                retries += 1
                continue
            case .networkError where networkRetries < retryPolicy.networkBackoff.count:
                let wait = retryPolicy.networkBackoff[networkRetries]
                networkRetries += 1
                do { try await sleeper.sleep(for: wait) } catch { throw failAndCancel(fail) }
                retries += 1
                continue
            default:
                if let recover = call.recover, let (value, summary) = await recover(failure) {
                    finish("ok", summary)
                    return value
                }
                throw fail(failure.code, failure.message)
            }
        }
    }

    private func failAndCancel(_ fail: (APIErrorCode, String) -> APIError) -> CancellationError {
        _ = fail(.networkError, "cancelled")
        return CancellationError()
    }
}
