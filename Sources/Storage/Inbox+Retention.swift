import Foundation

// Retention: pruning what the inbox no longer needs to keep (processed deliveries, listing
// entries, body log segments), and what a prune removed.

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

extension Inbox {
    /// Retention: removes processed deliveries (row and body) received before `cutoff`, and
    /// duplicate / rejected entries before `cutoff`. Pending deliveries are never removed.
    /// A delivery id pruned here is no longer known to dedup. Once the deletion has committed,
    /// the body log's segments that no remaining row points into are removed.
    @discardableResult
    public func prune(olderThan cutoff: Date) async throws -> PruneResult {
        let cutoffMillis = unixMillis(cutoff)
        let bodies = writer.bodies
        let (pruned, firstNeeded) = try await writer.perform { db -> (PruneResult, Int64) in
            try db.run(SQL.pruneBodies) { try $0.bind(cutoffMillis, at: 1) }
            let deliveries = try db.run(SQL.pruneDeliveries) { try $0.bind(cutoffMillis, at: 1) }
            let events = try db.run(SQL.pruneEvents) { try $0.bind(cutoffMillis, at: 1) }
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
}
