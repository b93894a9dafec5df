import Foundation
import Storage

extension OperatorService {
    /// Every stored delivery with its body, processed or not, oldest first (tests, diagnostics).
    public func storedDeliveriesForTesting(limit: Int = 100_000) throws -> [StoredDelivery] {
        guard let inbox = state.inbox else { return [] }
        return try inbox.stored(limit: limit)
    }

    /// Whether the engine knows that no application holds an attempt (false until it has
    /// loaded the stored applications): while so, GitHub deliveries other than `installation`
    /// are stored already processed.
    public var holdsNoAttemptForTesting: Bool { state.engine?.holdsNoAttempt ?? false }

    /// The store writer's group-commit statistics.
    public func storeStatisticsForTesting() -> WriterStatistics {
        state.store?.writer.statistics ?? WriterStatistics()
    }
}

extension OperatorService {
    /// Blocks the store writer with one work item until the returned function is called, so a
    /// test can queue requests behind it and see them share one commit. Work queued meanwhile
    /// is kept, not lost; the writer goes on once released.
    public func holdStoreWriterForTesting() -> @Sendable () -> Void {
        guard let writer = state.store?.writer else { return {} }
        let gate = DispatchSemaphore(value: 0)
        let holding = DispatchSemaphore(value: 0)
        writer.submit(
            { _ in
                holding.signal()
                gate.wait()
            }, completion: { _ in })
        // Returns once the writer is inside the held item, so nothing queued after this call
        // can share its batch.
        _ = holding.wait(timeout: .now() + 30)
        return { gate.signal() }
    }

    /// Work items queued for the store writer and not yet taken.
    public func storeQueuedCountForTesting() -> Int {
        state.store?.writer.queuedCount ?? 0
    }
}
