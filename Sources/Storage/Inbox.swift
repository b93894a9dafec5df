import Foundation

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

    // MARK: reads (read-only connection; the writes are in Inbox+Accept and Inbox+MarkProcessed)

    /// Newest first (by `receivedAt`): accepted, duplicate, and rejected rows earlier versions wrote.
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
                            outcome: st.string(5) ?? "", processedAt: st.isNull(6) ? nil : dateFromMillis(st.int64(6)),
                            setAside: st.string(7).flatMap(SetAsideReason.init(rawValue:))))
                }
                return out
            }
        }
    }

    /// Accepted and not yet processed, oldest first, with bodies. A body that cannot be read does
    /// not fail the read: its row comes back with an empty body and `bodyFailure` saying why.
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
                        bodies
                            ? StoredDelivery(
                                seq: st.int64(0), record: record,
                                reading: { () throws(BodyReadFailure) in try body(st, from: 6) })
                            : StoredDelivery(seq: st.int64(0), record: record, body: []))
                }
                return out
            }
        }
    }

    /// Every stored delivery with its body, processed or not, oldest first (diagnostics, tests);
    /// a body that cannot be read is reported in `bodyFailure`, as by `pending`.
    public func stored(limit: Int) throws -> [StoredDelivery] {
        try reader.withLock { db in
            try db.withStatement(
                """
                SELECT d.seq, d.id, d.source, d.event, d.action, d.received_at,
                       b.body, d.body_segment, d.body_offset, d.body_length, d.body_crc32c, d.processed_at,
                       d.set_aside
                FROM deliveries d LEFT JOIN delivery_bodies b ON b.seq = d.seq ORDER BY d.seq LIMIT ?1
                """
            ) { st in
                try st.bind(Int64(max(0, limit)), at: 1)
                var out: [StoredDelivery] = []
                while try st.step() {
                    let record = DeliveryRecord(
                        id: st.string(1) ?? "", source: try Inbox.source(st.string(2)), event: st.string(3) ?? "",
                        action: st.string(4), receivedAt: dateFromMillis(st.int64(5)), outcome: "accepted",
                        processedAt: st.isNull(11) ? nil : dateFromMillis(st.int64(11)),
                        setAside: st.string(12).flatMap(SetAsideReason.init(rawValue:)))
                    out.append(
                        StoredDelivery(
                            seq: st.int64(0), record: record,
                            reading: { () throws(BodyReadFailure) in try body(st, from: 6) }))
                }
                return out
            }
        }
    }

    /// One stored body (for a row read with `pending(limit:bodies: false)`); nil for an unknown
    /// row. Throws `BodyReadFailure` when the body cannot be read, `StorageError` when the row
    /// cannot.
    public func body(seq: Int64) throws -> [UInt8]? {
        try reader.withLock { db in
            try db.withStatement(
                """
                SELECT b.body, d.body_segment, d.body_offset, d.body_length, d.body_crc32c
                FROM deliveries d LEFT JOIN delivery_bodies b ON b.seq = d.seq WHERE d.seq = ?1
                """
            ) { st in
                try st.bind(seq, at: 1)
                return try st.step() ? try body(st, from: 0) : nil
            }
        }
    }

    /// A row's body: from the body log when the row says where (columns `column + 1...4`, the
    /// last its checksum, NULL before checksums), else the `delivery_bodies` blob (column
    /// `column`) of a row stored before the log existed (SQLite checks those pages itself).
    private func body(_ st: SQLiteStatement, from column: Int32) throws(BodyReadFailure) -> [UInt8] {
        if st.isNull(column + 1) { return st.blob(column) ?? [] }
        return try writer.bodies.read(
            BodyLocation(
                segment: st.int64(column + 1), offset: st.int64(column + 2),
                length: st.int64(column + 3),
                checksum: st.isNull(column + 4) ? nil : UInt32(truncatingIfNeeded: st.int64(column + 4))))
    }

    private static func source(_ raw: String?) throws -> DeliverySource {
        guard let raw, let source = DeliverySource(rawValue: raw) else {
            throw StorageError.invalidData("unknown delivery source \(raw ?? "NULL")")
        }
        return source
    }
}
