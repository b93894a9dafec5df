import Audit
import Foundation
import RollbackCore
import Synchronization
import TestSupport
import Testing

/// A clock the test moves by hand.
final class ManualClock: Sendable {
    private let current: Mutex<Date>
    init(_ iso: String) { current = Mutex(Fixtures.date(iso)) }
    var now: Date { current.withLock { $0 } }
    func set(_ iso: String) { current.withLock { $0 = Fixtures.date(iso) } }
    func advance(_ seconds: Double) { current.withLock { $0 = $0.addingTimeInterval(seconds) } }
    var closure: @Sendable () -> Date { { self.now } }
}

/// Collects strings from hooks (mirror, log).
final class Lines: Sendable {
    private let items = Mutex<[String]>([])
    func add(_ line: String) { items.withLock { $0.append(line) } }
    var all: [String] { items.withLock { $0 } }
}

enum Fixtures {
    static let version = "0.1.0"

    /// `2026-02-27T23:59:30Z` or with milliseconds.
    static func date(_ iso: String) -> Date {
        let text = iso.contains(".") ? iso : iso.replacingOccurrences(of: "Z", with: ".000Z")
        return Date(timeIntervalSince1970: Double(AuditTimestamp.parse(text)!) / 1000)
    }

    /// An `AuditRecord` built through its Codable form (its memberwise init is internal).
    static func record(
        _ type: AuditRecord.ActionType = .fsmTransition, level: AuditRecord.Level = .info,
        correlationId: String? = "c-1", reasoning: String = "payment-service moved on because it had to.",
        before: RollbackState = .prCreated, after: RollbackState = .awaitingMergeApproval,
        event: String = "CIReported", invariants: InvariantReport? = nil,
        escalation: ReasonCode? = nil
    ) -> AuditRecord {
        var obj: [String: Any] = [
            "actionType": type.rawValue, "level": level.rawValue, "reasoning": reasoning,
            "fsmBefore": before.rawValue, "fsmAfter": after.rawValue, "event": event,
        ]
        if let correlationId { obj["correlationId"] = correlationId }
        if let invariants {
            obj["invariants"] = try! JSONSerialization.jsonObject(with: JSONEncoder().encode(invariants))
        }
        if let escalation { obj["escalation"] = escalation.rawValue }
        return try! JSONDecoder().decode(AuditRecord.self, from: JSONSerialization.data(withJSONObject: obj))
    }

    /// A report with every invariant PASS (staging, degraded, short of replicas, ...).
    static var allPass: InvariantReport {
        InvariantReport.evaluate(
            InvariantFacts(
                environment: .staging, health: .degraded, replicas: ReplicaCounts(desired: 3, available: 1),
                consecutiveDegradedChecks: 3, targetUptime: 0.999, targetCIPassed: true,
                headSHA: "abcdef1234567", headCI: .passed, openOperatorPRs: [42], prNumber: 42,
                mergeable: true, mergeableState: "clean"))
    }

    static func transition(_ step: Int, correlationId: String? = "c-1") -> AuditEntry {
        AuditEntry(
            record: record(
                correlationId: correlationId,
                reasoning:
                    "Step \(step): payment-service moved from PRCreated to AwaitingMergeApproval on CIReported because CI of PR #42 passed."
            ),
            app: "payment-service", environment: .staging, version: version)
    }

    static func invariantCheck(correlationId: String = "c-1") -> AuditEntry {
        AuditEntry(
            record: record(
                .invariantCheck, correlationId: correlationId,
                reasoning:
                    "Invariants of payment-service evaluated before the merge decision: all 8 invariants PASS; merge.",
                before: .awaitingMergeApproval, after: .rollbackMerged, event: "MergeFactsGathered",
                invariants: allPass),
            app: "payment-service", environment: .staging, version: version)
    }

    static func call(correlationId: String? = "c-1") -> AuditEntry {
        AuditEntry(
            mcpCall: "github.createPullRequest",
            parameters: ["repository": "acme/gitops", "head": "rollback/payment-service-1"],
            result: "ok", response: "#42", durationMs: 120, retryCount: 0, httpStatus: 201,
            correlationId: correlationId, version: version, app: "payment-service", environment: .staging)
    }

    static func escalation(correlationId: String = "c-1") -> AuditEntry {
        AuditEntry(
            record: record(
                .escalation, level: .warning, correlationId: correlationId,
                reasoning: "Escalated payment-service to humans with reason CI_FAILURE because CI of the PR failed.",
                before: .prCreated, after: .abort, event: "CIReported", escalation: .ciFailure),
            app: "payment-service", environment: .staging, version: version)
    }

    /// A real log over three UTC days: 2026-02-27 (seq 1-3), 2026-02-28 (seq 4-7), 2026-03-01 (seq 8-10).
    static let day1 = "ai-operator-audit-2026.02.27.jsonl"
    static let day2 = "ai-operator-audit-2026.02.28.jsonl"
    static let day3 = "ai-operator-audit-2026.03.01.jsonl"

    static func threeDayLog(_ dir: TemporaryDirectory) throws {
        let clock = ManualClock("2026-02-27T23:59:30Z")
        let log = try AuditLog(directory: dir.path, clock: clock.closure)
        try log.append(transition(1))
        clock.advance(10)
        try log.append([call(), invariantCheck()])  // 23:59:40, seq 2-3
        clock.set("2026-02-28T00:00:00.001Z")
        try log.append(transition(4))  // seq 4
        clock.advance(1)
        try log.append([invariantCheck(correlationId: "c-2"), call(correlationId: nil)])  // seq 5-6
        clock.set("2026-02-28T23:59:59.999Z")
        try log.append(escalation())  // seq 7
        clock.set("2026-03-01T08:00:00Z")
        try log.append([transition(8), transition(9, correlationId: "c-2"), transition(10)])  // seq 8-10
    }

    // Editing files like an attacker or a careless hand would.
    static func path(_ dir: TemporaryDirectory, _ file: String) -> String { dir.path + "/" + file }

    static func lines(_ dir: TemporaryDirectory, _ file: String) -> [String] {
        let text = try! String(contentsOfFile: path(dir, file), encoding: .utf8)
        var fileLines = text.components(separatedBy: "\n")
        if fileLines.last == "" { fileLines.removeLast() }
        return fileLines
    }

    static func write(_ dir: TemporaryDirectory, _ file: String, _ lines: [String], trailingNewline: Bool = true) {
        let text = lines.joined(separator: "\n") + (trailingNewline && !lines.isEmpty ? "\n" : "")
        try! text.write(toFile: path(dir, file), atomically: false, encoding: .utf8)
    }

    static func edit(_ dir: TemporaryDirectory, _ file: String, _ change: (inout [String]) -> Void) {
        var fileLines = lines(dir, file)
        change(&fileLines)
        write(dir, file, fileLines)
    }

    static func verify(_ dir: TemporaryDirectory, anchor: AuditChainHead? = nil) throws -> AuditVerification {
        try AuditVerifier.verify(directory: dir.path, anchor: anchor)
    }
}
