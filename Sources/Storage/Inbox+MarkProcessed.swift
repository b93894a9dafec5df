import Foundation

/// Marking deliveries processed once the engine has acted on them, by id, by row or in bulk.
extension Inbox {
    /// Marks deliveries processed. Call it inside a `StoreWriter` work item, so that it commits
    /// together with the state change the deliveries caused (SPEC 13). Already processed or
    /// unknown ids are left alone. Returns how many rows changed.
    @discardableResult
    public func markProcessed(_ ids: [String], at: Date, in db: SQLiteDatabase) throws -> Int {
        var changed = 0
        let processedMillis = unixMillis(at)
        for id in ids {
            changed += try db.run(SQL.markProcessed) { st in
                try st.bind(id, at: 1)
                try st.bind(processedMillis, at: 2)
            }
        }
        return changed
    }

    /// `markProcessed` in a transaction of its own.
    @discardableResult
    public func markProcessed(_ ids: [String], at: Date) async throws -> Int {
        try await writer.perform { [self] db in try markProcessed(ids, at: at, in: db) }
    }

    /// Marks deliveries processed by the rows `pending` returned, in a transaction of its own:
    /// found by `seq` (the table's key) rather than through the index of ids, which is what
    /// makes it cheaper than `markProcessed(_:at:)`. The id must match too, so a row that is
    /// no longer the one read is left alone. Returns how many rows changed.
    @discardableResult
    public func markProcessed(rows: [(seq: Int64, id: String)], at: Date) async throws -> Int {
        guard !rows.isEmpty else { return 0 }
        return try await writer.perform { db in
            var changed = 0
            let processedMillis = unixMillis(at)
            for row in rows {
                changed += try db.run(SQL.markProcessedRow) { st in
                    try st.bind(row.seq, at: 1)
                    try st.bind(processedMillis, at: 2)
                    try st.bind(row.id, at: 3)
                }
            }
            return changed
        }
    }

    /// Marks processed, oldest first and at most `limit`, the pending deliveries from `source`
    /// whose event is not `exceptEvent`, in one statement and without reading them, if
    /// `condition` still holds when the writer gets to it (it is checked in the same
    /// transaction). Returns how many rows changed, or `nil` if the condition did not hold
    /// (nothing changed then).
    @discardableResult
    public func markPendingProcessed(
        source: DeliverySource, exceptEvent: String, at: Date, limit: Int,
        if condition: @escaping @Sendable () -> Bool
    ) async throws -> Int? {
        try await writer.perform { db in
            guard condition() else { return nil }
            return try db.run(SQL.markPendingProcessed) { st in
                try st.bind(unixMillis(at), at: 1)
                try st.bind(source.rawValue, at: 2)
                try st.bind(exceptEvent, at: 3)
                try st.bind(Int64(limit), at: 4)
            }
        }
    }
}
