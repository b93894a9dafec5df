/// The inbox's SQL statements, in one place for the reads, the writes and retention.
extension Inbox {
    enum SQL {
        static let insertDelivery = """
            INSERT INTO deliveries(id, source, event, action, received_at, body_segment, body_offset, body_length,
                                   processed_at, body_crc32c)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) ON CONFLICT(id) DO NOTHING
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
        static let setAside = """
            UPDATE deliveries SET processed_at = ?2, set_aside = ?4 WHERE seq = ?1 AND id = ?3 AND processed_at IS NULL
            """
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
            SELECT id, source, event, action, received_at, outcome, processed_at, set_aside FROM (
                SELECT * FROM (SELECT id, source, event, action, received_at, 'accepted' AS outcome,
                                      processed_at, set_aside, 1 AS kind, seq
                               FROM deliveries ORDER BY received_at DESC, seq DESC LIMIT ?1)
                UNION ALL
                SELECT * FROM (SELECT delivery_id, source, event, action, received_at, outcome,
                                      NULL, NULL, 0, seq
                               FROM delivery_events ORDER BY received_at DESC, seq DESC LIMIT ?1)
            ) ORDER BY received_at DESC, kind ASC, seq DESC LIMIT ?1
            """
        static let pending = """
            SELECT d.seq, d.id, d.source, d.event, d.action, d.received_at,
                   b.body, d.body_segment, d.body_offset, d.body_length, d.body_crc32c
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
