import Audit
import Clients
import Foundation
import RollbackCore

/// The engine's audit writer over the hash-chained `AuditLog`. Appends (a write and an fsync)
/// run on a dedicated queue, never on Swift's cooperative pool; `record` returns once the
/// entries are durable.
final class AuditAdapter: AuditWriting, AuditReading, CallSink, @unchecked Sendable {
    // Safe: `log` is thread-safe; the queue only serializes blocking file work.
    let log: AuditLog
    private let queue = DispatchQueue(label: "ai-operator.audit")
    let version = OperatorVersion.current

    init(log: AuditLog) { self.log = log }

    func record(_ items: [AuditItem], at: Date) async throws {
        let entries = items.map(entry)
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, Error>) in
            queue.async { [log] in
                do { try log.append(entries); c.resume() } catch { c.resume(throwing: error) }
            }
        }
    }

    func entryLines(correlationId: String) throws -> [String] {
        try log.entries(correlationId: correlationId).map(\.jsonLine)
    }

    /// Every external call (through the clients' recorder) becomes an `MCP_CALL` entry. The
    /// correlation id comes from the task that made the call.
    func record(_ call: CallRecord) {
        let entry = AuditEntry(mcpCall: call.name, parameters: call.parameters, result: call.result, response: call.response,
                               durationMs: call.durationMs, retryCount: call.retryCount, httpStatus: call.httpStatus,
                               correlationId: CallScope.correlationId, version: version, app: CallScope.app)
        queue.async { [log] in _ = try? log.append([entry]) }
    }

    private func entry(_ item: AuditItem) -> AuditEntry {
        switch item {
        case let .step(record, app):
            return AuditEntry(record: record, app: app.name, environment: app.info.environment, version: version)
        case let .domainEvent(e):
            var meta = ["subject": e.subject, "type": e.kind.rawValue, "eventVersion": e.version, "app_name": e.app,
                        "environment": e.environment.rawValue]
            if let from = e.from { meta["from"] = from.rawValue }
            if let to = e.to { meta["to"] = to.rawValue }
            return AuditEntry(version: version, correlationId: e.correlationId, level: .info, actionType: .fsmTransition,
                              actor: AuditEntry.actor(version: version),
                              reasoning: "Domain event \(e.kind.rawValue) recorded for \(e.app) (subject \(e.subject); no event bus is configured).",
                              metadata: meta)
        }
    }
}

/// Which attempt an external call belongs to, for its audit entry.
enum CallScope {
    @TaskLocal static var correlationId: String?
    @TaskLocal static var app: String?
}
