import Storage

extension OperatorService {
    /// Every stored delivery with its body, processed or not, oldest first (tests, diagnostics).
    public func storedDeliveriesForTesting(limit: Int = 100_000) throws -> [StoredDelivery] {
        guard let inbox = state.inbox else { return [] }
        return try inbox.stored(limit: limit)
    }

    /// The store writer's group-commit statistics.
    public func storeStatisticsForTesting() -> WriterStatistics {
        state.store?.writer.statistics ?? WriterStatistics()
    }
}
