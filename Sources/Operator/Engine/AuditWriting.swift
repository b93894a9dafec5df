import Foundation
import RollbackCore

/// One thing the audit log records.
public enum AuditItem: Sendable {
    /// A step's audit record (transition, invariant check, escalation, error).
    case step(AuditRecord, app: MonitoredApp)
    /// A domain event (SPEC 13): without an event bus it is recorded in the audit log only.
    case domainEvent(DomainEvent)
}

/// Where the engine writes audit entries. `record` returns only once they are durable: the
/// engine calls it after committing a step's state and before performing its effects.
public protocol AuditWriting: Sendable {
    func record(_ items: [AuditItem], at: Date) async throws
}
