import Foundation
import RollbackCore
import Storage

/// The engine's tables in the operator's SQLite store. Writes go through the store's
/// group-commit writer, so an application's new state, its attempt row, the quota ledger
/// and the deliveries that caused the step commit in ONE transaction (SPEC 13).
final class EngineStore: Sendable {
    let store: Store
    private let reader: ReaderConnection

    init(store: Store) throws {
        self.store = store
        reader = try ReaderConnection(path: store.path)
    }

    struct Row: Sendable {
        var app: MonitoredApp
        var machine: RollbackStateMachine
    }

    /// Everything one step writes.
    struct StepWrite: Sendable {
        var app: MonitoredApp
        var machine: RollbackStateMachine
        /// Attempts whose row changes (the open one, and one that just ended).
        var attempts: [(attempt: Attempt, app: String, state: RollbackState)]
        var quotas: QuotaLedger?
        var processedDeliveries: [String]
        var at: Date
    }

    func commit(_ stepWrite: StepWrite) async throws {
        let appJSON = try Array(EngineJSON.encoder.encode(stepWrite.app))
        let machineJSON = try Array(EngineJSON.encoder.encode(stepWrite.machine))
        let attempts = try stepWrite.attempts.map { (try Array(EngineJSON.encoder.encode($0.attempt)), $0) }
        let quotas = try stepWrite.quotas.map { try Array(EngineJSON.encoder.encode($0)) }
        let inbox = store.inbox
        try await store.writer.perform { db in
            try db.withStatement(
                "INSERT INTO apps(name, app_json, machine_json, updated_at) VALUES(?1, ?2, ?3, ?4) ON CONFLICT(name) DO UPDATE SET app_json = excluded.app_json, machine_json = excluded.machine_json, updated_at = excluded.updated_at"
            ) { statement in
                try statement.bind(stepWrite.app.name, at: 1)
                try statement.bind(appJSON, at: 2)
                try statement.bind(machineJSON, at: 3)
                try statement.bind(Self.ms(stepWrite.at), at: 4)
                _ = try statement.step()
            }
            for (json, attemptRow) in attempts {
                try db.withStatement(
                    "INSERT INTO attempts(correlation_id, app, state, created_at, ended_at, attempt_json) VALUES(?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(correlation_id) DO UPDATE SET state = excluded.state, ended_at = excluded.ended_at, attempt_json = excluded.attempt_json"
                ) { statement in
                    try statement.bind(attemptRow.attempt.correlationId, at: 1)
                    try statement.bind(attemptRow.app, at: 2)
                    try statement.bind(attemptRow.state.rawValue, at: 3)
                    try statement.bind(Self.ms(attemptRow.attempt.createdAt), at: 4)
                    if let ended = attemptRow.attempt.endedAt {
                        try statement.bind(Self.ms(ended), at: 5)
                    } else {
                        try statement.bindNull(at: 5)
                    }
                    try statement.bind(json, at: 6)
                    _ = try statement.step()
                }
            }
            if let quotas {
                try db.withStatement(
                    "INSERT INTO engine_meta(key, value) VALUES('quotas', ?1) ON CONFLICT(key) DO UPDATE SET value = excluded.value"
                ) { statement in
                    try statement.bind(quotas, at: 1)
                    _ = try statement.step()
                }
            }
            if !stepWrite.processedDeliveries.isEmpty {
                try inbox.markProcessed(stepWrite.processedDeliveries, at: stepWrite.at, in: db)
            }
        }
    }

    /// Marks deliveries processed that caused no state change (ignored or unrouted).
    func markProcessed(_ ids: [String], at: Date) async throws {
        guard !ids.isEmpty else { return }
        _ = try await store.inbox.markProcessed(ids, at: at)
    }

    /// `markProcessed` by the rows the inbox returned (cheaper: found by `seq`).
    func markProcessed(rows: [(seq: Int64, id: String)], at: Date) async throws {
        _ = try await store.inbox.markProcessed(rows: rows, at: at)
    }

    /// Every application row (at start-up).
    func loadAll() throws -> (rows: [Row], quotas: QuotaLedger) {
        try reader.read { db in
            var rows: [Row] = []
            try db.withStatement("SELECT app_json, machine_json FROM apps ORDER BY name") { statement in
                while try statement.step() {
                    let app = try EngineJSON.decoder.decode(MonitoredApp.self, from: Data(statement.blob(0) ?? []))
                    let machine = try EngineJSON.decoder.decode(
                        RollbackStateMachine.self, from: Data(statement.blob(1) ?? []))
                    rows.append(Row(app: app, machine: machine))
                }
            }
            var quotas = QuotaLedger()
            try db.withStatement("SELECT value FROM engine_meta WHERE key = 'quotas'") { statement in
                if try statement.step(), let blob = statement.blob(0) {
                    quotas = try EngineJSON.decoder.decode(QuotaLedger.self, from: Data(blob))
                }
            }
            return (rows, quotas)
        }
    }

    /// One attempt by correlation id, open or finished.
    func attempt(_ correlationId: String) throws -> (attempt: Attempt, app: String, state: RollbackState)? {
        try reader.read { db in
            try db.withStatement("SELECT attempt_json, app, state FROM attempts WHERE correlation_id = ?1") {
                statement in
                try statement.bind(correlationId, at: 1)
                guard try statement.step(), let blob = statement.blob(0) else { return nil }
                let attempt = try EngineJSON.decoder.decode(Attempt.self, from: Data(blob))
                return (attempt, statement.string(1) ?? "", RollbackState(rawValue: statement.string(2) ?? "") ?? .idle)
            }
        }
    }

    /// Removes finished attempts that ended before `cutoff` (SPEC 5: kept 7 days).
    func pruneAttempts(endedBefore cutoff: Date) async throws -> Int {
        try await store.writer.perform { db in
            try db.run("DELETE FROM attempts WHERE ended_at IS NOT NULL AND ended_at < ?1") {
                try $0.bind(Self.ms(cutoff), at: 1)
            }
        }
    }

    static func ms(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded()) }
}
