import CSQLite
import Foundation

public enum DeliverySource: String, Sendable, Codable { case github, argocd }

/// A webhook request that passed authentication and validation, about to be stored.
public struct IncomingDelivery: Sendable {
    public var id: String  // X-GitHub-Delivery; for Argo CD a generated UUID string
    public var source: DeliverySource
    public var event: String  // X-GitHub-Event, or the Argo CD trigger name / "notification"
    public var action: String?  // top-level "action" when present
    public var receivedAt: Date
    public var body: [UInt8]
    public init(id: String, source: DeliverySource, event: String, action: String?, receivedAt: Date, body: [UInt8]) {
        self.id = id
        self.source = source
        self.event = event
        self.action = action
        self.receivedAt = receivedAt
        self.body = body
    }
}

public enum AcceptOutcome: Sendable, Equatable {
    /// Stored, pending.
    case stored
    /// Stored already processed (`accept`'s `processedIf` answered true).
    case storedProcessed
    /// Stored before (same id): not stored again.
    case duplicate
}

/// One row of `GET /api/v1/deliveries`. Times are stored with millisecond precision.
/// For a rejected request without a delivery id (or event), `id` (or `event`) is "".
public struct DeliveryRecord: Sendable, Equatable, Codable {
    public var id: String
    public var source: DeliverySource
    public var event: String
    public var action: String?
    public var receivedAt: Date
    public var outcome: String  // "accepted", "duplicate", "rejected:<why>"
    public var processedAt: Date?
    public init(
        id: String, source: DeliverySource, event: String, action: String?, receivedAt: Date,
        outcome: String, processedAt: Date?
    ) {
        self.id = id
        self.source = source
        self.event = event
        self.action = action
        self.receivedAt = receivedAt
        self.outcome = outcome
        self.processedAt = processedAt
    }
}

/// An accepted delivery with its body, as the engine consumes it.
public struct StoredDelivery: Sendable {
    public var seq: Int64  // arrival order
    public var record: DeliveryRecord
    public var body: [UInt8]
    public init(seq: Int64, record: DeliveryRecord, body: [UInt8]) {
        self.seq = seq
        self.record = record
        self.body = body
    }
}

/// What `prune` removed.
public struct PruneResult: Sendable, Equatable {
    public var deliveries: Int  // processed deliveries (rows and bodies)
    public var events: Int  // duplicate / rejected entries
    public var segments: Int  // body log segment files no row points into any more
    public init(deliveries: Int, events: Int, segments: Int = 0) {
        self.deliveries = deliveries
        self.events = events
        self.segments = segments
    }
}

/// The durable webhook inbox.
///
/// Writes go through the store's `StoreWriter` (group commit: `accept` completes after the
/// transaction holding the row committed with `synchronous=FULL`). A body goes to the writer's
/// body log (one write and fsync per batch, before the commit); its row holds where it is.
/// Rows stored before the body log existed keep their body in `delivery_bodies`. Reads use a separate
/// read-only connection (WAL lets it read while the writer writes), behind a lock; read calls
/// block the calling thread for the duration of a query.
///
/// Dedup: the delivery id is unique. A second delivery with a known id (already committed, or
/// earlier in the same batch) is not stored again: it completes with `.duplicate` and is listed
/// with outcome "duplicate" (in `delivery_events`, without a body).
public final class Inbox: Sendable {
    public let writer: StoreWriter
    private let reader: Locked<SQLiteDatabase>

    /// `readerPath` is the database file the writer uses (`writer.path`); it is opened read-only.
    public init(writer: StoreWriter, readerPath: String) throws {
        self.writer = writer
        let db = try SQLiteDatabase(path: readerPath, flags: [.readOnly, .noMutex])
        try db.configureForReading()
        reader = Locked(db)
    }

    public convenience init(writer: StoreWriter) throws {
        try self.init(writer: writer, readerPath: writer.path)
    }

    // MARK: writes

    /// Stores `d` durably, or recognises it as a duplicate. `completion` runs on the writer's completion thread
    /// after the commit; on failure (e.g. `StorageError.isFull`, I/O error, `.closed`) nothing of
    /// `d` is stored and nothing stored before is affected.
    ///
    /// `processedIf` is asked on the writer thread, inside the transaction that stores `d`: if it
    /// answers true, `d` is stored already processed (at its arrival time), for a delivery its
    /// consumer knows it has nothing to do with. It must be quick and must not touch the store.
    public func accept(
        _ d: IncomingDelivery, processedIf: (@Sendable () -> Bool)? = nil,
        completion: @escaping @Sendable (Result<AcceptOutcome, StorageError>) -> Void
    ) {
        writer.submit(
            body: d.body,
            { db, place in
                try Inbox.accept(d, bodyAt: place, processed: processedIf?() ?? false, in: db)
            }, completion: completion)
    }

    public func accept(_ d: IncomingDelivery, processedIf: (@Sendable () -> Bool)? = nil) async throws -> AcceptOutcome
    {
        try await withCheckedThrowingContinuation { continuation in
            accept(d, processedIf: processedIf) { continuation.resume(with: $0.mapError { $0 as any Error }) }
        }
    }

    /// The work item behind `accept`: the row, with where the writer put the body. It runs without
    /// a savepoint, so it throws only before changing anything (or from the one INSERT, which
    /// SQLite undoes by itself).
    static func accept(
        _ d: IncomingDelivery, bodyAt place: Result<BodyLocation, StorageError>,
        processed: Bool, in db: SQLiteDatabase
    ) throws -> AcceptOutcome {
        switch place {
        case .failure(let error):
            // The body has no place (the log is full): a duplicate is still answered as one.
            let known = try db.withStatement(SQL.isKnown) { st in
                try st.bind(d.id, at: 1)
                return try st.step()
            }
            if !known { throw error }
        case .success(let location):
            let inserted = try db.run(SQL.insertDelivery) { st in
                try st.bind(d.id, at: 1)
                try st.bind(d.source.rawValue, at: 2)
                try st.bind(d.event, at: 3)
                try st.bind(d.action, at: 4)
                try st.bind(unixMillis(d.receivedAt), at: 5)
                try st.bind(location.segment, at: 6)
                try st.bind(location.offset, at: 7)
                try st.bind(location.length, at: 8)
                if processed { try st.bind(unixMillis(d.receivedAt), at: 9) } else { try st.bindNull(at: 9) }
            }
            if inserted == 1 { return processed ? .storedProcessed : .stored }
        }
        // Already stored: answer "duplicate" whatever happens to the listing entry. If even that
        // small insert fails (store full), the statement alone is undone and the answer stands,
        // unless SQLite dropped the whole transaction, which the writer must see.
        do {
            try Inbox.insertEvent(
                id: d.id, source: d.source, event: d.event, action: d.action,
                receivedAt: d.receivedAt, outcome: "duplicate", in: db)
        } catch {
            if !db.isInTransaction { throw error }
        }
        return .duplicate
    }

    /// Lists a rejected request with its reason (outcome "rejected:<reason>"). Its body is never
    /// stored: there is no parameter for it. Fire-and-forget, batched with the other writes; a
    /// failure (store full, closed) is only counted in `writer.statistics`.
    public func recordRejected(
        id: String?, source: DeliverySource, event: String?, action: String?,
        receivedAt: Date, reason: String
    ) {
        writer.submit(
            { db in
                try Inbox.insertEvent(
                    id: id, source: source, event: event, action: action,
                    receivedAt: receivedAt, outcome: "rejected:" + reason, in: db)
            }, completion: { _ in })
    }

    /// Marks deliveries processed. Call it inside a `StoreWriter` work item, so that it commits
    /// together with the state change the deliveries caused (SPEC 13). Already processed or
    /// unknown ids are left alone. Returns how many rows changed.
    @discardableResult
    public func markProcessed(_ ids: [String], at: Date, in db: SQLiteDatabase) throws -> Int {
        var changed = 0
        let ms = unixMillis(at)
        for id in ids {
            changed += try db.run(SQL.markProcessed) { st in
                try st.bind(id, at: 1)
                try st.bind(ms, at: 2)
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
            let ms = unixMillis(at)
            for row in rows {
                changed += try db.run(SQL.markProcessedRow) { st in
                    try st.bind(row.seq, at: 1)
                    try st.bind(ms, at: 2)
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

    /// Retention: removes processed deliveries (row and body) received before `cutoff`, and
    /// duplicate / rejected entries before `cutoff`. Pending deliveries are never removed.
    /// A delivery id pruned here is no longer known to dedup. Once the deletion has committed,
    /// the body log's segments that no remaining row points into are removed.
    @discardableResult
    public func prune(olderThan cutoff: Date) async throws -> PruneResult {
        let ms = unixMillis(cutoff)
        let bodies = writer.bodies
        let (pruned, firstNeeded) = try await writer.perform { db -> (PruneResult, Int64) in
            try db.run(SQL.pruneBodies) { try $0.bind(ms, at: 1) }
            let deliveries = try db.run(SQL.pruneDeliveries) { try $0.bind(ms, at: 1) }
            let events = try db.run(SQL.pruneEvents) { try $0.bind(ms, at: 1) }
            // Segments only grow in number with `seq`, so the oldest row with a body in the log
            // names the oldest segment a committed row needs. Work not committed yet (later in
            // this batch, or in later batches) needs the active segment at most: read it here,
            // in the transaction, not after the commit (this batch may close it before its commit).
            let firstInUse = try db.withStatement(SQL.firstSegmentInUse) { st in try st.step() ? st.int64(0) : nil }
            return (PruneResult(deliveries: deliveries, events: events), min(firstInUse ?? .max, bodies.activeSegment))
        }
        var result = pruned
        result.segments = try bodies.removeSegments(before: firstNeeded)
        return result
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

    // MARK: reads (read-only connection)

    /// Newest first (by `receivedAt`), all outcomes: accepted, duplicate, rejected.
    public func recentDeliveries(limit: Int) throws -> [DeliveryRecord] {
        try reader.withLock { db in
            try db.withStatement(SQL.recent) { st in
                try st.bind(Int64(max(0, limit)), at: 1)
                var out: [DeliveryRecord] = []
                while try st.step() {
                    out.append(
                        DeliveryRecord(
                            id: st.string(0) ?? "", source: try Inbox.source(st.string(1)), event: st.string(2) ?? "",
                            action: st.string(3), receivedAt: dateFromMillis(st.int64(4)),
                            outcome: st.string(5) ?? "", processedAt: st.isNull(6) ? nil : dateFromMillis(st.int64(6))))
                }
                return out
            }
        }
    }

    /// Accepted and not yet processed, oldest first, with bodies.
    /// - Parameter after: only rows with a larger `seq` (rows become visible in `seq` order, as
    ///   the one writer commits them): a reader that keeps its place reads each new row once.
    /// - Parameter bodies: false reads the rows only (`body` is then empty): cheap when the
    ///   caller may not need them.
    public func pending(after: Int64 = 0, limit: Int, bodies: Bool = true) throws -> [StoredDelivery] {
        try readPending(bodies ? SQL.pending : SQL.pendingWithoutBodies, after: after, limit: limit, bodies: bodies) {
            _ in
        }
    }

    /// `pending` without bodies, leaving out the deliveries from `source` whose event is not
    /// `exceptEvent`: the ones `markPendingProcessed` takes with the same arguments.
    public func pending(
        after: Int64 = 0, limit: Int, leavingOut source: DeliverySource,
        exceptEvent: String
    ) throws -> [StoredDelivery] {
        try readPending(SQL.pendingLeavingOut, after: after, limit: limit, bodies: false) { st in
            try st.bind(source.rawValue, at: 3)
            try st.bind(exceptEvent, at: 4)
        }
    }

    private func readPending(
        _ sql: String, after: Int64, limit: Int, bodies: Bool,
        bind: (SQLiteStatement) throws -> Void
    ) throws -> [StoredDelivery] {
        try reader.withLock { db in
            try db.withStatement(sql) { st in
                try st.bind(Int64(max(0, limit)), at: 1)
                try st.bind(after, at: 2)
                try bind(st)
                var out: [StoredDelivery] = []
                while try st.step() {
                    let record = DeliveryRecord(
                        id: st.string(1) ?? "", source: try Inbox.source(st.string(2)), event: st.string(3) ?? "",
                        action: st.string(4), receivedAt: dateFromMillis(st.int64(5)),
                        outcome: "accepted", processedAt: nil)
                    out.append(
                        StoredDelivery(seq: st.int64(0), record: record, body: bodies ? try body(st, from: 6) : []))
                }
                return out
            }
        }
    }

    /// Every stored delivery with its body, processed or not, oldest first (diagnostics, tests).
    public func stored(limit: Int) throws -> [StoredDelivery] {
        try reader.withLock { db in
            try db.withStatement(
                """
                SELECT d.seq, d.id, d.source, d.event, d.action, d.received_at,
                       b.body, d.body_segment, d.body_offset, d.body_length, d.processed_at
                FROM deliveries d LEFT JOIN delivery_bodies b ON b.seq = d.seq ORDER BY d.seq LIMIT ?1
                """
            ) { st in
                try st.bind(Int64(max(0, limit)), at: 1)
                var out: [StoredDelivery] = []
                while try st.step() {
                    let record = DeliveryRecord(
                        id: st.string(1) ?? "", source: try Inbox.source(st.string(2)), event: st.string(3) ?? "",
                        action: st.string(4), receivedAt: dateFromMillis(st.int64(5)), outcome: "accepted",
                        processedAt: st.isNull(10) ? nil : dateFromMillis(st.int64(10)))
                    out.append(StoredDelivery(seq: st.int64(0), record: record, body: try body(st, from: 6)))
                }
                return out
            }
        }
    }

    /// One stored body (for a row read with `pending(limit:bodies: false)`).
    public func body(seq: Int64) throws -> [UInt8]? {
        try reader.withLock { db in
            try db.withStatement(
                """
                SELECT b.body, d.body_segment, d.body_offset, d.body_length
                FROM deliveries d LEFT JOIN delivery_bodies b ON b.seq = d.seq WHERE d.seq = ?1
                """
            ) { st in
                try st.bind(seq, at: 1)
                return try st.step() ? try body(st, from: 0) : nil
            }
        }
    }

    /// A row's body: from the body log when the row says where (columns `column + 1...3`),
    /// else the `delivery_bodies` blob (column `column`) of a row stored before the log existed.
    private func body(_ st: SQLiteStatement, from column: Int32) throws -> [UInt8] {
        if st.isNull(column + 1) { return st.blob(column) ?? [] }
        return try writer.bodies.read(
            BodyLocation(
                segment: st.int64(column + 1), offset: st.int64(column + 2),
                length: st.int64(column + 3)))
    }

    private static func source(_ raw: String?) throws -> DeliverySource {
        guard let raw, let source = DeliverySource(rawValue: raw) else {
            throw StorageError.invalidData("unknown delivery source \(raw ?? "NULL")")
        }
        return source
    }

    private enum SQL {
        static let insertDelivery = """
            INSERT INTO deliveries(id, source, event, action, received_at, body_segment, body_offset, body_length, processed_at)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT(id) DO NOTHING
            """
        static let isKnown = "SELECT 1 FROM deliveries WHERE id = ?1"
        static let insertEvent = """
            INSERT INTO delivery_events(delivery_id, source, event, action, received_at, outcome)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6)
            """
        static let markProcessed = "UPDATE deliveries SET processed_at = ?2 WHERE id = ?1 AND processed_at IS NULL"
        static let markPendingProcessed = """
            UPDATE deliveries SET processed_at = ?1 WHERE seq IN
                (SELECT seq FROM deliveries WHERE processed_at IS NULL AND source = ?2 AND event <> ?3 ORDER BY seq LIMIT ?4)
            """
        static let markProcessedRow =
            "UPDATE deliveries SET processed_at = ?2 WHERE seq = ?1 AND id = ?3 AND processed_at IS NULL"
        static let pruneBodies = """
            DELETE FROM delivery_bodies WHERE seq IN
                (SELECT seq FROM deliveries WHERE received_at < ?1 AND processed_at IS NOT NULL)
            """
        static let pruneDeliveries = "DELETE FROM deliveries WHERE received_at < ?1 AND processed_at IS NOT NULL"
        static let pruneEvents = "DELETE FROM delivery_events WHERE received_at < ?1"
        static let firstSegmentInUse = """
            SELECT body_segment FROM deliveries WHERE body_segment IS NOT NULL ORDER BY seq LIMIT 1
            """
        // Each side takes its newest `limit` rows through its received_at index, then the two
        // short lists are merged: cost follows `limit`, not the table sizes.
        static let recent = """
            SELECT id, source, event, action, received_at, outcome, processed_at FROM (
                SELECT * FROM (SELECT id, source, event, action, received_at, 'accepted' AS outcome,
                                      processed_at, 1 AS kind, seq
                               FROM deliveries ORDER BY received_at DESC, seq DESC LIMIT ?1)
                UNION ALL
                SELECT * FROM (SELECT delivery_id, source, event, action, received_at, outcome,
                                      NULL, 0, seq
                               FROM delivery_events ORDER BY received_at DESC, seq DESC LIMIT ?1)
            ) ORDER BY received_at DESC, kind ASC, seq DESC LIMIT ?1
            """
        static let pending = """
            SELECT d.seq, d.id, d.source, d.event, d.action, d.received_at,
                   b.body, d.body_segment, d.body_offset, d.body_length
            FROM deliveries d LEFT JOIN delivery_bodies b ON b.seq = d.seq
            WHERE d.processed_at IS NULL AND d.seq > ?2 ORDER BY d.seq LIMIT ?1
            """
        static let pendingWithoutBodies = """
            SELECT seq, id, source, event, action, received_at
            FROM deliveries WHERE processed_at IS NULL AND seq > ?2 ORDER BY seq LIMIT ?1
            """
        static let pendingLeavingOut = """
            SELECT seq, id, source, event, action, received_at
            FROM deliveries WHERE processed_at IS NULL AND seq > ?2 AND NOT (source = ?3 AND event <> ?4)
            ORDER BY seq LIMIT ?1
            """
    }
}
