import CSQLite
import Foundation

/// One schema step. `version` values are 1, 2, 3, ... in order; `PRAGMA user_version` records
/// the last one applied, and `schema_migrations` keeps a human-readable history.
public struct Migration: Sendable {
    public var version: Int32
    public var name: String
    public var sql: String
    public init(version: Int32, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
    }
}

/// The schema of the operator's store. Later tables (attempt state, ...) are appended here as
/// new versions; never edit a version that has shipped.
public enum Schema {
    public static let migrations: [Migration] = [
        Migration(
            version: 1, name: "inbox",
            sql: """
                -- Accepted webhook deliveries, one row per distinct delivery id, with the body.
                CREATE TABLE deliveries (
                    seq          INTEGER PRIMARY KEY,          -- arrival order (rowid)
                    id           TEXT    NOT NULL UNIQUE,      -- X-GitHub-Delivery / generated UUID: the dedup key
                    source       TEXT    NOT NULL,             -- 'github' | 'argocd'
                    event        TEXT    NOT NULL,
                    action       TEXT,
                    received_at  INTEGER NOT NULL,             -- unix milliseconds
                    processed_at INTEGER                       -- unix milliseconds; NULL = pending
                );
                CREATE INDEX deliveries_pending  ON deliveries(seq) WHERE processed_at IS NULL;
                CREATE INDEX deliveries_received ON deliveries(received_at);

                -- The bodies, apart: marking a delivery processed rewrites its small row only, never
                -- the body's overflow pages (SQLite rewrites a whole record on UPDATE).
                CREATE TABLE delivery_bodies (
                    seq  INTEGER PRIMARY KEY,                  -- deliveries.seq
                    body BLOB    NOT NULL
                );

                -- Requests that did not add a delivery: duplicates and rejections. Never a body.
                CREATE TABLE delivery_events (
                    seq          INTEGER PRIMARY KEY,
                    delivery_id  TEXT,                         -- NULL when the request had no usable id
                    source       TEXT    NOT NULL,
                    event        TEXT,
                    action       TEXT,
                    received_at  INTEGER NOT NULL,
                    outcome      TEXT    NOT NULL              -- 'duplicate' | 'rejected:<why>'
                );
                CREATE INDEX delivery_events_received ON delivery_events(received_at);
                """),
        Migration(
            version: 2, name: "engine",
            sql: """
                -- One row per monitored application: what the engine knows of it and its state
                -- machine (JSON), written after every applied step, before its side effects run.
                CREATE TABLE apps (
                    name         TEXT    PRIMARY KEY,
                    app_json     BLOB    NOT NULL,
                    machine_json BLOB    NOT NULL,
                    updated_at   INTEGER NOT NULL              -- unix milliseconds
                );
                -- Every attempt, open or finished (finished ones are kept for the API and pruned
                -- after 7 days).
                CREATE TABLE attempts (
                    correlation_id TEXT    PRIMARY KEY,
                    app            TEXT    NOT NULL,
                    state          TEXT    NOT NULL,
                    created_at     INTEGER NOT NULL,
                    ended_at       INTEGER,
                    attempt_json   BLOB    NOT NULL
                );
                CREATE INDEX attempts_app ON attempts(app, created_at);
                -- Small shared values (the quota ledger).
                CREATE TABLE engine_meta (
                    key   TEXT PRIMARY KEY,
                    value BLOB NOT NULL
                );
                """),
        Migration(
            version: 3, name: "body-log",
            sql: """
                -- Bodies accepted from here on live in the body log (segment files in bodies/ next to
                -- the database, written and fsynced before the row commits); the row says where.
                -- Rows from before keep their body in delivery_bodies (body_segment NULL).
                ALTER TABLE deliveries ADD COLUMN body_segment INTEGER;
                ALTER TABLE deliveries ADD COLUMN body_offset  INTEGER;
                ALTER TABLE deliveries ADD COLUMN body_length  INTEGER;
                """),
        Migration(
            version: 4, name: "body-checksum-and-set-aside",
            sql: """
                -- The CRC-32C of the body in the body log, checked on every read. NULL for rows
                -- stored before (their bodies read unchecked): the segments need no format version.
                ALTER TABLE deliveries ADD COLUMN body_crc32c INTEGER;
                -- Why a delivery was set aside (its body cannot be read or decoded): it is marked
                -- processed with it and never routed again. NULL for every other delivery.
                ALTER TABLE deliveries ADD COLUMN set_aside TEXT;
                """),
    ]
}

extension SQLiteDatabase {
    /// Applies the migrations newer than `PRAGMA user_version`, each in its own transaction
    /// together with the new `user_version`. Throws if the file is newer than this code knows.
    /// Returns the versions before and after.
    @discardableResult
    public func migrate(_ migrations: [Migration], now: Date = Date()) throws -> (from: Int32, to: Int32) {
        let start = try userVersion()
        let known = migrations.map(\.version).max() ?? 0
        guard start <= known else {
            throw StorageError.invalidData("database schema version \(start) is newer than this build knows (\(known))")
        }
        for migration in migrations.sorted(by: { $0.version < $1.version }) where migration.version > start {
            try exec("BEGIN IMMEDIATE")
            do {
                try exec(
                    """
                    CREATE TABLE IF NOT EXISTS schema_migrations (
                        version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)
                    """)
                try exec(migration.sql)
                try run("INSERT INTO schema_migrations(version, name, applied_at) VALUES (?1, ?2, ?3)") { st in
                    try st.bind(Int64(migration.version), at: 1)
                    try st.bind(migration.name, at: 2)
                    try st.bind(unixMillis(now), at: 3)
                }
                try exec("PRAGMA user_version = \(migration.version)")
                try exec("COMMIT")
            } catch {
                if isInTransaction { try? exec("ROLLBACK") }
                throw error
            }
        }
        return (start, try userVersion())
    }
}

@inline(__always) func unixMillis(_ date: Date) -> Int64 {
    Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
}

@inline(__always) func dateFromMillis(_ ms: Int64) -> Date {
    Date(timeIntervalSince1970: Double(ms) / 1000)
}
