import Foundation
import Storage
import Testing

@Suite struct BodyLogTests {
    @Test func bodiesLiveInSegmentFilesNotInTheDatabase() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let store = try Store.open(directory: dir.path)
        let one = delivery("one", size: 8192)
        #expect(try await store.inbox.accept(one) == .stored)
        #expect(try rawCount(store.path, "SELECT count(*) FROM delivery_bodies") == 0)
        #expect(try rawCount(store.path, "SELECT body_length FROM deliveries WHERE id = 'one'") == 8192)
        let files = try store.writer.bodies.segmentFiles()
        #expect(files.map(\.size) == [8192])
        #expect(try store.inbox.pending(limit: 1).first?.body == one.body)
        #expect(try store.inbox.body(seq: try #require(store.inbox.pending(limit: 1).first?.seq)) == one.body)
        // A duplicate's body is written with its batch (before the row could say it is one), but
        // no row points at it: it goes when its segment does.
        #expect(try await store.inbox.accept(one) == .duplicate)
        #expect(try rawCount(store.path, "SELECT count(*) FROM deliveries") == 1)
        #expect(try store.inbox.stored(limit: 10).map(\.body) == [one.body])
        await store.close()
    }

    @Test func aFullSegmentIsClosedAndEachStartWritesANewOne() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        var all: [IncomingDelivery] = []
        do {
            let store = try Store.open(directory: dir.path, options: StoreOptions(bodySegmentBytes: 10_000))
            for i in 0..<3 {
                let incoming = delivery("a\(i)", at: t0 + Int64(i), size: 6000)
                #expect(try await store.inbox.accept(incoming) == .stored)
                all.append(incoming)
            }
            // 6000 (open) + 6000 = 12000 >= 10000: closed; then a new one.
            #expect(try store.writer.bodies.segmentFiles().map(\.size) == [6000 + 6000, 6000])
            await store.close()
        }
        let store = try Store.open(directory: dir.path, options: StoreOptions(bodySegmentBytes: 10_000))
        // Nothing is appended after what the last run left: the next body starts segment 3.
        let afterRestart = delivery("b", at: t0 + 10, size: 100)
        #expect(try await store.inbox.accept(afterRestart) == .stored)
        all.append(afterRestart)
        #expect(try store.writer.bodies.segmentFiles().map(\.number) == [1, 2, 3])
        #expect(try store.inbox.pending(limit: 10).map(\.body) == all.map(\.body))
        await store.close()
    }

    @Test func pruneRemovesSegmentsNoRowPointsInto() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let store = try Store.open(directory: dir.path, options: StoreOptions(bodySegmentBytes: 1))
        // One-byte segments: every delivery gets a segment of its own (1, 2, 3, 4).
        for (index, id) in ["done-1", "pending", "done-2", "new-done"].enumerated() {
            #expect(try await store.inbox.accept(delivery(id, at: t0 + Int64(index) * 1_000, size: 300)) == .stored)
        }
        try await store.inbox.markProcessed(["done-1", "done-2", "new-done"], at: at(t0 + 20_000))
        #expect(try store.writer.bodies.segmentFiles().map(\.number) == [1, 2, 3, 4])

        // done-1 and done-2 go; segment 1 is no longer needed, but "pending" still needs 2, so
        // 3 (done-2's) stays too: segments are removed from the oldest in use down, never above it.
        var pruned = try await store.inbox.prune(olderThan: at(t0 + 2_500))
        #expect(pruned == PruneResult(deliveries: 2, events: 0, segments: 1))
        #expect(try store.writer.bodies.segmentFiles().map(\.number) == [2, 3, 4])

        try await store.inbox.markProcessed(["pending"], at: at(t0 + 20_000))
        pruned = try await store.inbox.prune(olderThan: at(t0 + 60_000))
        #expect(pruned == PruneResult(deliveries: 2, events: 0, segments: 3))
        #expect(try store.writer.bodies.segmentFiles().isEmpty)

        // And the log goes on.
        let after = delivery("after", at: t0 + 70_000, size: 300)
        #expect(try await store.inbox.accept(after) == .stored)
        #expect(try store.inbox.pending(limit: 10).map(\.body) == [after.body])
        await store.close()
    }

    /// Retention runs while deliveries keep arriving. A segment may only go once no committed row
    /// and no work still to commit points into it. Retention's transaction sees no row in the
    /// segment that deliveries later in its own batch were given (they are not inserted yet), and
    /// that batch closes the segment before it commits; removing segments "below the active one"
    /// after the commit then removed theirs (failed at once, in the first rounds).
    @Test func pruneNeverRemovesASegmentThatWorkCommittedMeanwhilePointsInto() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        // One-byte segments: every batch starts a new segment and closes it before its commit.
        let store = try Store.open(directory: dir.path, options: StoreOptions(bodySegmentBytes: 1))
        for round in 0..<50 {
            let batch = (0..<8).map { delivery("r\(round)-\($0)", at: t0 + Int64(round * 100 + $0), size: 256) }
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { _ = try await store.inbox.prune(olderThan: at(t0 + 1_000_000)) }
                for incoming in batch {
                    group.addTask {
                        let outcome = try await store.inbox.accept(incoming)
                        #expect(outcome == .stored)
                    }
                }
                try await group.waitForAll()
            }
            // Every stored body still reads back (a removed segment throws here).
            let stored = try store.inbox.pending(limit: 10_000)
            let bodies = Dictionary(uniqueKeysWithValues: stored.map { ($0.record.id, $0.body) })
            #expect(bodies == Dictionary(uniqueKeysWithValues: batch.map { ($0.id, $0.body) }))
            try await store.inbox.markProcessed(batch.map(\.id), at: at(t0 + 1))
        }
        await store.close()
    }

    @Test func rowsStoredBeforeTheBodyLogKeepTheirBodies() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let old = delivery("from-v2", size: 5000)
        do {
            // A store written by a build that kept bodies in delivery_bodies (schema 2).
            let store = try Store.open(
                directory: dir.path, options: StoreOptions(migrations: Array(Schema.migrations.prefix(2))))
            try await store.writer.perform { db in
                _ = try db.run(
                    "INSERT INTO deliveries(id, source, event, action, received_at) VALUES (?1, 'github', 'check_suite', 'completed', ?2)"
                ) { st in
                    try st.bind(old.id, at: 1)
                    try st.bind(t0, at: 2)
                }
                let seq = db.lastInsertRowID
                _ = try db.run("INSERT INTO delivery_bodies(seq, body) VALUES (?1, ?2)") { st in
                    try st.bind(seq, at: 1)
                    try st.bind(old.body, at: 2)
                }
            }
            await store.close()
        }
        let store = try Store.open(directory: dir.path)
        let new = delivery("from-v3", at: t0 + 1, size: 5000)
        #expect(try await store.inbox.accept(new) == .stored)
        #expect(try await store.inbox.accept(old) == .duplicate)
        #expect(try store.inbox.pending(limit: 10).map(\.body) == [old.body, new.body])
        #expect(try store.inbox.stored(limit: 10).map(\.body) == [old.body, new.body])
        #expect(try store.inbox.pending(limit: 10, bodies: false).map(\.body) == [[], []])

        try await store.inbox.markProcessed(["from-v2", "from-v3"], at: at(t0 + 10))
        let pruned = try await store.inbox.prune(olderThan: at(t0 + 100))
        #expect(pruned.deliveries == 2)
        #expect(try rawCount(store.path, "SELECT count(*) FROM delivery_bodies") == 0)
        await store.close()
    }

    @Test func aMissingSegmentIsReportedNotReadAsEmpty() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let store = try Store.open(directory: dir.path, options: StoreOptions(bodySegmentBytes: 1))
        #expect(try await store.inbox.accept(delivery("x", size: 100)) == .stored)
        try FileManager.default.removeItem(atPath: store.writer.bodies.directory + "/000000000001.seg")
        // The row comes back with the failure (not an empty body, not a failed read of the page).
        let pending = try store.inbox.pending(limit: 10)
        #expect(pending.map(\.record.id) == ["x"])
        #expect(pending.first?.bodyFailure?.setAsideReason == .bodyMissing)
        #expect(pending.first?.bodyFailure?.description.contains("segment 1") == true)
        #expect(throws: BodyReadFailure.self) { _ = try store.inbox.body(seq: pending[0].seq) }
        await store.close()
    }
}
