import Foundation

// Setting deliveries aside: a delivery whose body cannot be read or decoded is marked processed
// with its reason, so no routing pass reads it again and none is held up by it.

/// One delivery to set aside, by the row `pending` returned.
public struct SetAsideRow: Sendable, Equatable {
    public var seq: Int64
    public var id: String
    public var reason: SetAsideReason
    public init(seq: Int64, id: String, reason: SetAsideReason) {
        self.seq = seq
        self.id = id
        self.reason = reason
    }
}

extension Inbox {
    /// Marks `rows` processed at `at` with their reason, in one transaction. A row already
    /// processed (or no longer the one read) is left alone. Returns the rows that changed, so a
    /// caller counts and logs each set-aside once, whoever else tried.
    @discardableResult
    public func setAside(_ rows: [SetAsideRow], at: Date) async throws -> [SetAsideRow] {
        guard !rows.isEmpty else { return [] }
        return try await writer.perform { db in
            let processedMillis = unixMillis(at)
            var changed: [SetAsideRow] = []
            for row in rows {
                let count = try db.run(SQL.setAside) { st in
                    try st.bind(row.seq, at: 1)
                    try st.bind(processedMillis, at: 2)
                    try st.bind(row.id, at: 3)
                    try st.bind(row.reason.rawValue, at: 4)
                }
                if count > 0 { changed.append(row) }
            }
            return changed
        }
    }
}
