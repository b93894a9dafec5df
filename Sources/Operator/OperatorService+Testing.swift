import Storage

extension OperatorService {
    /// Stored deliveries not yet processed, oldest first (for tests and diagnostics).
    public func pendingDeliveriesForTesting(limit: Int = 100_000) throws -> [StoredDelivery] {
        guard let inbox = state.inbox else { return [] }
        return try inbox.pending(limit: limit)
    }

    /// The store writer's group-commit statistics.
    public func storeStatisticsForTesting() -> WriterStatistics {
        state.store?.writer.statistics ?? WriterStatistics()
    }
}
