// The quota ledger shared by every application's worker, behind a lock: read by each step,
// updated by `recordQuota`.
import Foundation
import RollbackCore

/// The shared quota ledger (SPEC 12): every app's steps read it, `recordQuota` updates it,
/// and it is committed with the step that changed it.
final class QuotaBox: @unchecked Sendable {
    // Safe: `ledger` is only touched under `lock`.
    private let lock = NSLock()
    private var ledger: QuotaLedger
    init(_ ledger: QuotaLedger) { self.ledger = ledger }
    var snapshot: QuotaLedger {
        lock.lock()
        defer { lock.unlock() }
        return ledger
    }
    func replace(_ newLedger: QuotaLedger) {
        lock.lock()
        ledger = newLedger
        lock.unlock()
    }
    func apply(_ usage: QuotaLedger.Usage, now: Date) -> QuotaLedger {
        lock.lock()
        defer { lock.unlock() }
        ledger.record(usage, now: now)
        ledger.prune(now: now)
        return ledger
    }
}
