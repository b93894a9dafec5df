import CSQLite
import Foundation
import Storage
import Testing

@Suite struct SQLiteDatabaseTests {
    @Test func valuesRoundTripThroughBindAndColumns() throws {
        let db = try SQLiteDatabase(path: ":memory:")
        try db.exec("CREATE TABLE t (i INTEGER, r REAL, s TEXT, b BLOB, n TEXT)")
        let blob: [UInt8] = [0, 1, 2, 255, 0]
        try db.run("INSERT INTO t VALUES (?1, ?2, ?3, ?4, ?5)") { st in
            try st.bind(Int64.max, at: 1)
            try st.bind(2.5, at: 2)
            try st.bind("héllo\u{0}x", at: 3)
            try st.bind(blob, at: 4)
            try st.bindNull(at: 5)
        }
        try db.run("INSERT INTO t VALUES (0, 0, '', ?1, NULL)") { try $0.bind([UInt8](), at: 1) }
        let rows = try db.withStatement("SELECT i, r, s, b, n FROM t ORDER BY rowid") { st in
            var rows: [(Int64, Double, String?, [UInt8]?, Bool)] = []
            while try st.step() { rows.append((st.int64(0), st.double(1), st.string(2), st.blob(3), st.isNull(4))) }
            return rows
        }
        #expect(rows.count == 2)
        #expect(rows[0].0 == Int64.max)
        #expect(rows[0].1 == 2.5)
        #expect(rows[0].2 == "héllo\u{0}x")
        #expect(rows[0].3 == blob)
        #expect(rows[0].4)
        #expect(rows[1].2 == "")
        #expect(rows[1].3 == [])  // an empty blob is not NULL
    }

    @Test func errorsCarryMessageAndExtendedCode() throws {
        let db = try SQLiteDatabase(path: ":memory:")
        #expect {
            try db.exec("SELEC 1")
        } throws: { error in
            guard case .sqlite(let code, _, let message, _)? = error as? StorageError else { return false }
            return code == SQLITE_ERROR && message.contains("syntax error")
        }
        try db.exec("CREATE TABLE k (id TEXT PRIMARY KEY)")
        try db.run("INSERT INTO k VALUES ('a')")
        #expect {
            try db.run("INSERT INTO k VALUES ('a')")
        } throws: { error in
            guard case .sqlite(let code, let ext, let message, let operation)? = error as? StorageError else {
                return false
            }
            return code == SQLITE_CONSTRAINT && ext == 1555  // SQLITE_CONSTRAINT_PRIMARYKEY
                && message.contains("UNIQUE") && operation.contains("INSERT INTO k")
        }
        // The cached statement was reset by the failure and works again.
        #expect(try db.run("INSERT INTO k VALUES ('b')") == 1)
    }

    @Test func migrationsApplyOnceAndRefuseANewerFile() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let path = dir.dbPath
        do {
            let db = try SQLiteDatabase(path: path)
            let latest = Int32(Schema.migrations.count)
            #expect(Schema.migrations.map(\.version) == Array(1...latest))
            let first = try db.migrate(Schema.migrations)
            #expect(first.from == 0 && first.to == latest)
            let again = try db.migrate(Schema.migrations)
            #expect(again.from == latest && again.to == latest)
            #expect(try db.scalarInt64("SELECT count(*) FROM schema_migrations") == Int64(latest))
            try db.exec("PRAGMA user_version = 99")
            db.close()
        }
        let db = try SQLiteDatabase(path: path)
        #expect(throws: StorageError.self) { try db.migrate(Schema.migrations) }
    }

    @Test func writerConnectionUsesWALAndFullSync() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let store = try Store.open(directory: (dir.path as NSString).appendingPathComponent("nested/dir"))
        let settings = try await store.writer.perform { db in
            [
                try db.scalarString("PRAGMA journal_mode"), try db.scalarInt64("PRAGMA synchronous").map(String.init),
                try db.scalarInt64("PRAGMA foreign_keys").map(String.init),
            ]
        }
        #expect(settings == ["wal", "2", "1"])  // synchronous 2 = FULL
        #expect(FileManager.default.fileExists(atPath: store.path))
        await store.close()
    }
}
