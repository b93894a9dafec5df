import Foundation

/// The audit record of one external call (SPEC section 14, `mcpCall`). Parameters never hold
/// secrets; every text field has passed through the redactor.
public struct CallRecord: Sendable, Codable, Equatable {
    public var name: String
    public var parameters: [String: String]
    /// `ok`, or the error code (`NOT_FOUND`, ...).
    public var result: String
    /// A short summary of the answer (e.g. `#12`, `HTTP 304 (cached)`), or the error message.
    public var response: String?
    public var durationMs: Int
    public var retryCount: Int
    public var httpStatus: Int?
    public var startedAt: Date

    public var succeeded: Bool { result == "ok" }
}

/// Where call records go (the Operator's audit log; an in-memory one for tests).
public protocol CallSink: Sendable {
    func record(_ call: CallRecord)
}

/// The call metrics of SPEC section 15: `ai_operator_mcp_call_duration_seconds{call_name}`
/// and `ai_operator_mcp_call_errors_total{call_name,error_code}`.
public protocol CallMetrics: Sendable {
    func observeDuration(callName: String, seconds: Double)
    func countError(callName: String, errorCode: String)
}

public final class InMemoryCallSink: CallSink, @unchecked Sendable {
    // Safe: `items` is guarded by `lock`.
    private let lock = NSLock()
    private var items: [CallRecord] = []
    public init() {}
    public func record(_ call: CallRecord) {
        lock.lock()
        items.append(call)
        lock.unlock()
    }
    public var records: [CallRecord] {
        lock.lock()
        defer { lock.unlock() }
        return items
    }
    public func records(named name: String) -> [CallRecord] { records.filter { $0.name == name } }
    public func removeAll() {
        lock.lock()
        items.removeAll()
        lock.unlock()
    }
}

/// The one place every client call is recorded: to the sink, to the metrics, and (warnings)
/// to the log hook, all redacted.
public final class CallRecorder: Sendable {
    public let redactor: SecretRedactor
    private let sink: (any CallSink)?
    private let metrics: (any CallMetrics)?
    private let log: (@Sendable (String) -> Void)?

    public init(
        sink: (any CallSink)? = nil, metrics: (any CallMetrics)? = nil, redactor: SecretRedactor = SecretRedactor(),
        log: (@Sendable (String) -> Void)? = nil
    ) {
        self.sink = sink
        self.metrics = metrics
        self.redactor = redactor
        self.log = log
    }

    func record(_ call: CallRecord) {
        var clean = call
        clean.parameters = call.parameters.mapValues(redactor.redact)
        clean.response = call.response.map(redactor.redact)
        sink?.record(clean)
        metrics?.observeDuration(callName: call.name, seconds: Double(call.durationMs) / 1000)
        if !call.succeeded { metrics?.countError(callName: call.name, errorCode: call.result) }
    }

    /// A warning for the operator's log (secrets removed).
    func warn(_ message: String) {
        log?(redactor.redact(message))
    }
}
