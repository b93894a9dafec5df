import Audit
import Clients
import Foundation
import RollbackCore

/// The engine's audit writer over the hash-chained `AuditLog`. Appends (a write and an fsync)
/// run on a dedicated queue, never on Swift's cooperative pool; `record` returns once the
/// entries are durable.
final class AuditAdapter: AuditWriting, AuditReading, CallSink, @unchecked Sendable {
    // Safe: `log` is thread-safe; the queue only serializes blocking file work; `closed` is
    // only touched on `queue`.
    let log: AuditLog
    private let queue = DispatchQueue(label: "ai-operator.audit")
    private var closed = false
    let version = OperatorVersion.current

    init(log: AuditLog) { self.log = log }

    func record(_ items: [AuditItem], at: Date) async throws {
        let entries = items.map(entry)
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, Error>) in
            queue.async { [self] in
                guard !closed else {
                    c.resume(throwing: AuditClosedError())
                    return
                }
                do {
                    try log.append(entries)
                    c.resume()
                } catch { c.resume(throwing: error) }
            }
        }
    }

    /// Shutdown: waits until every append queued so far is written, and refuses later ones
    /// (steps then perform nothing; a call cut short by the shutdown is not recorded).
    /// Without it the process exited while an append was still hashing on the queue, and
    /// OpenSSL's exit-time cleanup crashed it (SIGSEGV/SIGILL instead of exit 0 on SIGTERM).
    func close() { queue.sync { closed = true } }

    /// Removes audit files past retention (whole files), on the audit queue.
    func prune(now: Date) async throws -> [String] {
        try await withCheckedThrowingContinuation { c in
            queue.async { [log] in c.resume(with: Result { try log.prune(now: now) }) }
        }
    }

    func entryLines(correlationId: String) throws -> [String] {
        try log.entries(correlationId: correlationId).map(\.jsonLine)
    }

    /// Every external call (through the clients' recorder) becomes an `MCP_CALL` entry. The
    /// correlation id comes from the task that made the call.
    func record(_ call: CallRecord) {
        let entry = AuditEntry(
            mcpCall: call.name, parameters: call.parameters, result: call.result, response: call.response,
            durationMs: call.durationMs, retryCount: call.retryCount, httpStatus: call.httpStatus,
            correlationId: CallScope.correlationId, version: version, app: CallScope.app)
        queue.async { [self] in
            guard !closed else { return }
            _ = try? log.append([entry])
        }
    }

    private func entry(_ item: AuditItem) -> AuditEntry {
        switch item {
        case .step(let record, let app):
            return AuditEntry(record: record, app: app.name, environment: app.info.environment, version: version)
        case .domainEvent(let event):
            var meta = [
                "subject": event.subject, "type": event.kind.rawValue, "eventVersion": event.version,
                "app_name": event.app,
                "environment": event.environment.rawValue,
            ]
            if let from = event.from { meta["from"] = from.rawValue }
            if let to = event.to { meta["to"] = to.rawValue }
            return AuditEntry(
                version: version, correlationId: event.correlationId, level: .info, actionType: .fsmTransition,
                actor: AuditEntry.actor(version: version),
                reasoning:
                    "Domain event \(event.kind.rawValue) recorded for \(event.app) (subject \(event.subject); no event bus is configured).",
                metadata: meta)
        }
    }
}

struct AuditClosedError: Error, CustomStringConvertible {
    var description: String { "the audit log is closed (shutting down)" }
}

/// Which attempt an external call belongs to, for its audit entry.
enum CallScope {
    @TaskLocal static var correlationId: String?
    @TaskLocal static var app: String?
}
