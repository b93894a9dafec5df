import Foundation

/// Storing deliveries: accepting one (group-committed with the writer's batch, its body in the
/// body log), and the listing row earlier versions wrote for a rejected request.
extension Inbox {
    /// Stores `delivery` durably, or recognises it as a duplicate. `completion` runs on the writer's
    /// completion thread after the commit; on failure (e.g. `StorageError.isFull`, I/O error,
    /// `.closed`) nothing of `delivery` is stored and nothing stored before is affected.
    ///
    /// `processedIf` is asked on the writer thread, inside the transaction that stores `delivery`:
    /// if it answers true, `delivery` is stored already processed (at its arrival time), for a
    /// delivery its consumer knows it has nothing to do with. It must be quick and must not touch
    /// the store.
    ///
    /// The body's CRC-32C is computed here, once, on the calling thread: at ingress that thread
    /// has just checked the body's signature and scanned its JSON, so the bytes are still in its
    /// cache (the writer and body threads would read them cold, in batches).
    public func accept(
        _ delivery: IncomingDelivery, processedIf: (@Sendable () -> Bool)? = nil,
        completion: @escaping @Sendable (Result<AcceptOutcome, StorageError>) -> Void
    ) {
        let checksum = BodyChecksum.of(delivery.body)
        writer.submit(
            body: delivery.body,
            { db, place in
                let checked = place.map { location in
                    var checked = location
                    checked.checksum = checksum
                    return checked
                }
                return try Inbox.accept(delivery, bodyAt: checked, processed: processedIf?() ?? false, in: db)
            }, completion: completion)
    }

    public func accept(_ delivery: IncomingDelivery, processedIf: (@Sendable () -> Bool)? = nil) async throws
        -> AcceptOutcome
    {
        try await withCheckedThrowingContinuation { continuation in
            accept(delivery, processedIf: processedIf) { continuation.resume(with: $0.mapError { $0 as any Error }) }
        }
    }

    /// The work item behind `accept`: the row, with where the writer put the body and its
    /// checksum (`place.checksum`, nil only for tests that write rows as schema 3 did). It runs without
    /// a savepoint, so it throws only before changing anything (or from the one INSERT, which
    /// SQLite undoes by itself).
    static func accept(
        _ delivery: IncomingDelivery, bodyAt place: Result<BodyLocation, StorageError>,
        processed: Bool, in db: SQLiteDatabase
    ) throws -> AcceptOutcome {
        switch place {
        case .failure(let error):
            // The body has no place (the log is full): a duplicate is still answered as one.
            let known = try db.withStatement(SQL.isKnown) { st in
                try st.bind(delivery.id, at: 1)
                return try st.step()
            }
            if !known { throw error }
        case .success(let location):
            let inserted = try db.run(SQL.insertDelivery) { st in
                try st.bind(delivery.id, at: 1)
                try st.bind(delivery.source.rawValue, at: 2)
                try st.bind(delivery.event, at: 3)
                try st.bind(delivery.action, at: 4)
                try st.bind(unixMillis(delivery.receivedAt), at: 5)
                try st.bind(location.segment, at: 6)
                try st.bind(location.offset, at: 7)
                try st.bind(location.length, at: 8)
                if processed { try st.bind(unixMillis(delivery.receivedAt), at: 9) } else { try st.bindNull(at: 9) }
                if let checksum = location.checksum {
                    try st.bind(Int64(checksum), at: 10)
                } else {
                    try st.bindNull(at: 10)
                }
            }
            if inserted == 1 { return processed ? .storedProcessed : .stored }
        }
        // Already stored: answer "duplicate" whatever happens to the listing entry. If even that
        // small insert fails (store full), the statement alone is undone and the answer stands,
        // unless SQLite dropped the whole transaction, which the writer must see.
        do {
            try Inbox.insertEvent(
                id: delivery.id, source: delivery.source, event: delivery.event, action: delivery.action,
                receivedAt: delivery.receivedAt, outcome: "duplicate", in: db)
        } catch {
            if !db.isInTransaction { throw error }
        }
        return .duplicate
    }

    /// Writes a listing row for a rejected request (outcome "rejected:<reason>"), as earlier
    /// versions did for every one. The service no longer calls it: rejected requests come from
    /// anyone and are kept in memory only (SPEC 16); rows written before are still listed until
    /// retention removes them. Kept for tests that need such rows. No body, values clipped.
    public func recordRejected(
        id: String?, source: DeliverySource, event: String?, action: String?,
        receivedAt: Date, reason: String
    ) {
        writer.submit(
            { db in
                try Inbox.insertEvent(
                    id: id.map { DeliveryText.clipped($0) }, source: source,
                    event: event.map { DeliveryText.clipped($0) }, action: action.map { DeliveryText.clipped($0) },
                    receivedAt: receivedAt, outcome: "rejected:" + reason, in: db)
            }, completion: { _ in })
    }

    static func insertEvent(
        id: String?, source: DeliverySource, event: String?, action: String?,
        receivedAt: Date, outcome: String, in db: SQLiteDatabase
    ) throws {
        try db.run(SQL.insertEvent) { st in
            try st.bind(id, at: 1)
            try st.bind(source.rawValue, at: 2)
            try st.bind(event, at: 3)
            try st.bind(action, at: 4)
            try st.bind(unixMillis(receivedAt), at: 5)
            try st.bind(outcome, at: 6)
        }
    }
}
