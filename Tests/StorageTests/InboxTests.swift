import Foundation
import Storage
import Testing

@Suite struct InboxTests {
    @Test func storedDeliveriesSurviveCloseAndReopen() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let originals = (0..<3).map { delivery("r\($0)", at: t0 + Int64($0), size: 8192) }
        do {
            let store = try Store.open(directory: dir.path)
            for original in originals { #expect(try await store.inbox.accept(original) == .stored) }
            await store.close()
        }
        let store = try Store.open(directory: dir.path)
        let pending = try store.inbox.pending(limit: 10)
        #expect(pending.map(\.record.id) == ["r0", "r1", "r2"])
        #expect(pending.map(\.body) == originals.map(\.body))
        #expect(pending.map(\.record.receivedAt) == originals.map(\.receivedAt))
        #expect(pending.allSatisfy { $0.record.event == "check_suite" && $0.record.action == "completed" })
        // The dedup key outlives the process too.
        #expect(try await store.inbox.accept(originals[1]) == .duplicate)
        #expect(try rawCount(store.path, "SELECT count(*) FROM deliveries") == 3)
        await store.close()
    }

    @Test func markingByRowChangesOnlyRowsWhoseSeqAndIdBothMatch() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let store = try Store.open(directory: dir.path)
        for i in 0..<4 {
            #expect(try await store.inbox.accept(delivery("m\(i)", at: t0 + Int64(i), size: 200)) == .stored)
        }
        let rows = try store.inbox.pending(limit: 10).map { (seq: $0.seq, id: $0.record.id) }
        #expect(rows.map(\.id) == ["m0", "m1", "m2", "m3"])
        // m0 and m2 by their rows; m1's seq with m3's id is no row at all; an unknown seq neither.
        let changed = try await store.inbox.markProcessed(
            rows: [rows[0], rows[2], (seq: rows[1].seq, id: "m3"), (seq: rows[3].seq + 100, id: "m3")], at: at(t0 + 50))
        #expect(changed == 2)
        #expect(try store.inbox.pending(limit: 10).map(\.record.id) == ["m1", "m3"])
        // Already processed: left alone, not counted; the time stays the first one.
        #expect(try await store.inbox.markProcessed(rows: [rows[0]], at: at(t0 + 90)) == 0)
        #expect(try rawCount(store.path, "SELECT count(*) FROM deliveries WHERE processed_at = \(t0 + 50)") == 2)
        #expect(try await store.inbox.markProcessed(rows: [], at: at(t0 + 90)) == 0)
        await store.close()
    }

    @Test func bulkMarkingTakesOnlyPendingRowsOfTheSourceOldestFirstAndOnlyWhileTheConditionHolds() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let store = try Store.open(directory: dir.path)
        let inbox = store.inbox
        #expect(try await inbox.accept(delivery("g1", at: t0 + 1)) == .stored)
        #expect(
            try await inbox.accept(
                delivery("a1", at: t0 + 2, source: .argocd, event: "on-health-degraded", action: nil)) == .stored)
        #expect(try await inbox.accept(delivery("i1", at: t0 + 3, event: "installation", action: "created")) == .stored)
        #expect(try await inbox.accept(delivery("g2", at: t0 + 4, event: "pull_request", action: "closed")) == .stored)
        #expect(try await inbox.accept(delivery("g3", at: t0 + 5)) == .stored)
        #expect(try await inbox.accept(delivery("g4", at: t0 + 6)) == .stored)
        try await inbox.markProcessed(["g3"], at: at(t0 + 7))

        // The condition no longer holds when the writer runs it: nothing changes.
        #expect(
            try await inbox.markPendingProcessed(
                source: .github, exceptEvent: "installation", at: at(t0 + 10),
                limit: 100, if: { false }) == nil)
        #expect(try inbox.pending(limit: 10).map(\.record.id) == ["g1", "a1", "i1", "g2", "g4"])
        // The read that goes with it leaves out exactly the rows it would take.
        let leftIn = try inbox.pending(limit: 10, leavingOut: .github, exceptEvent: "installation")
        #expect(leftIn.map(\.record.id) == ["a1", "i1"])
        #expect(leftIn.allSatisfy { $0.body.isEmpty })
        #expect(
            try inbox.pending(after: leftIn[0].seq, limit: 10, leavingOut: .github, exceptEvent: "installation")
                .map(\.record.id) == ["i1"])
        // The oldest two GitHub rows still pending, then the rest; Argo CD and `installation` stay.
        #expect(
            try await inbox.markPendingProcessed(
                source: .github, exceptEvent: "installation", at: at(t0 + 20),
                limit: 2, if: { true }) == 2)
        #expect(try inbox.pending(limit: 10).map(\.record.id) == ["a1", "i1", "g4"])
        #expect(
            try await inbox.markPendingProcessed(
                source: .github, exceptEvent: "installation", at: at(t0 + 30),
                limit: 100, if: { true }) == 1)
        #expect(try inbox.pending(limit: 10).map(\.record.id) == ["a1", "i1"])
        // g3 keeps the time it was marked at first.
        #expect(try rawCount(store.path, "SELECT processed_at FROM deliveries WHERE id = 'g3'") == t0 + 7)
        #expect(try rawCount(store.path, "SELECT count(*) FROM deliveries WHERE processed_at = \(t0 + 20)") == 2)
        await store.close()
    }

    /// A delivery its consumer has nothing to do with is stored processed at its arrival time,
    /// in the transaction that stores it.
    @Test func aDeliveryAcceptedProcessedIsStoredDoneAtItsArrival() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let store = try Store.open(directory: dir.path)
        let done = delivery("done", at: t0 + 1, size: 300)
        let kept = delivery("kept", at: t0 + 2, size: 300)
        #expect(try await store.inbox.accept(done, processedIf: { true }) == .storedProcessed)
        #expect(try await store.inbox.accept(kept, processedIf: { false }) == .stored)
        #expect(try await store.inbox.accept(delivery("plain", at: t0 + 3, size: 300)) == .stored)
        // A repeat is a duplicate whatever the answer would be.
        #expect(try await store.inbox.accept(done, processedIf: { true }) == .duplicate)

        #expect(try store.inbox.pending(limit: 10).map(\.record.id) == ["kept", "plain"])
        let records = try store.inbox.recentDeliveries(limit: 10).filter { $0.outcome == "accepted" }
        let processed = Dictionary(uniqueKeysWithValues: records.map { ($0.id, $0.processedAt) })
        #expect(processed["done"] == .some(at(t0 + 1)))
        #expect(processed["kept"] == .some(nil))
        // Its body is stored all the same.
        #expect(try store.inbox.stored(limit: 10).first { $0.record.id == "done" }?.body == done.body)
        await store.close()
    }

    @Test func pendingAfterASeqReadsOnlyNewerRowsStillPending() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let store = try Store.open(directory: dir.path)
        for i in 0..<5 {
            #expect(try await store.inbox.accept(delivery("p\(i)", at: t0 + Int64(i), size: 300)) == .stored)
        }
        let all = try store.inbox.pending(limit: 10)
        #expect(all.map(\.record.id) == ["p0", "p1", "p2", "p3", "p4"])
        try await store.inbox.markProcessed(["p3"], at: at(t0 + 10))
        let newer = try store.inbox.pending(after: all[1].seq, limit: 10)
        #expect(newer.map(\.record.id) == ["p2", "p4"])
        #expect(newer.map(\.body) == [all[2].body, all[4].body])
        #expect(try store.inbox.pending(after: all[2].seq, limit: 1, bodies: false).map(\.record.id) == ["p4"])
        #expect(try store.inbox.pending(after: all[4].seq, limit: 10).isEmpty)
        await store.close()
    }

    @Test func aRepeatedIdIsStoredOnce() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let store = try Store.open(directory: dir.path)
        #expect(try await store.inbox.accept(delivery("x", at: t0)) == .stored)
        var again = delivery("x", at: t0 + 5)
        again.body = Array("{\"other\":true}".utf8)
        #expect(try await store.inbox.accept(again) == .duplicate)

        let pending = try store.inbox.pending(limit: 10)
        #expect(pending.count == 1)
        #expect(pending.first?.body == delivery("x").body)  // the first copy's body
        let recent = try store.inbox.recentDeliveries(limit: 10)
        #expect(recent.map(\.outcome) == ["duplicate", "accepted"])
        #expect(recent.map(\.id) == ["x", "x"])
        #expect(try rawCount(store.path, "SELECT count(*) FROM deliveries") == 1)
        await store.close()
    }

    @Test func aRepeatedIdWithinOneBatchIsStoredOnce() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let store = try Store.open(directory: dir.path)
        let gate = try await Gate.close(store.writer)
        let results = Results<AcceptOutcome>()
        store.inbox.accept(delivery("same", at: t0), completion: results.callback(0))
        store.inbox.accept(delivery("same", at: t0 + 1), completion: results.callback(1))
        #expect(await eventually { store.writer.queuedCount == 2 })
        let commitsBefore = store.writer.statistics.commits
        gate.open()
        #expect(await results.waitFor(2))
        #expect(results.all.map(\.value) == [.stored, .duplicate])
        #expect(store.writer.statistics.commits == commitsBefore + 2)  // the gate's, then one for both
        #expect(try rawCount(store.path, "SELECT count(*) FROM deliveries") == 1)
        #expect(try rawCount(store.path, "SELECT count(*) FROM delivery_events WHERE outcome = 'duplicate'") == 1)
        await store.close()
    }

    @Test func hundredConcurrentAcceptsFromManyThreadsAllCompleteOnce() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let store = try Store.open(directory: dir.path)
        let results = Results<AcceptOutcome>()
        // 20 threads x 5, each id sent twice (by different threads): 100 calls, 50 distinct ids.
        for t in 0..<20 {
            Thread {
                for i in 0..<5 {
                    let callIndex = t * 5 + i
                    let id = "c\(callIndex % 50)"
                    store.inbox.accept(
                        delivery(id, at: t0 + Int64(callIndex), size: 8192), completion: results.callback(callIndex))
                }
            }.start()
        }
        #expect(await results.waitFor(100))
        let outcomes = results.all.compactMap(\.value)
        #expect(outcomes.count == 100)
        #expect(outcomes.filter { $0 == .stored }.count == 50)
        #expect(outcomes.filter { $0 == .duplicate }.count == 50)
        #expect(try rawCount(store.path, "SELECT count(*) FROM deliveries") == 50)
        #expect(try store.inbox.recentDeliveries(limit: 1000).count == 100)
        let stats = store.writer.statistics
        #expect(stats.itemsCommitted == 100 && stats.itemsFailed == 0)
        #expect(stats.commits <= 100)
        await store.close()
    }

    @Test func readsRunConcurrentlyWithWrites() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let store = try Store.open(directory: dir.path)
        let results = Results<AcceptOutcome>()
        let readErrors = Results<Int>()
        for t in 0..<4 {
            Thread {
                for i in 0..<25 {
                    store.inbox.accept(
                        delivery("w\(t)-\(i)", at: t0 + Int64(i)), completion: results.callback(t * 25 + i))
                }
            }.start()
            Thread {
                for i in 0..<25 {
                    do {
                        _ = try store.inbox.recentDeliveries(limit: 20)
                        _ = try store.inbox.pending(limit: 20)
                    } catch {
                        readErrors.callback(t * 25 + i)(.failure(.wrapping(error)))
                    }
                }
            }.start()
        }
        #expect(await results.waitFor(100))
        #expect(results.all.allSatisfy { $0.value == .stored })
        #expect(readErrors.count == 0)
        #expect(try store.inbox.pending(limit: 1000).count == 100)
        await store.close()
    }

    @Test func pendingMarkProcessedAndRecentDeliveries() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let store = try Store.open(directory: dir.path)
        let inbox = store.inbox
        #expect(try await inbox.accept(delivery("d1", at: t0 + 1, event: "pull_request", action: "closed")) == .stored)
        #expect(
            try await inbox.accept(
                delivery("d2", at: t0 + 2, source: .argocd, event: "on-health-degraded", action: nil)) == .stored)
        #expect(try await inbox.accept(delivery("d3", at: t0 + 3, event: "ping", action: nil)) == .stored)
        // Rejected requests are no longer written (the service keeps them in memory), but rows
        // an earlier version wrote are still listed until retention removes them.
        inbox.recordRejected(
            id: "bad", source: .github, event: "push", action: nil, receivedAt: at(t0 + 4), reason: "signature")
        #expect(try await inbox.accept(delivery("d1", at: t0 + 5)) == .duplicate)
        inbox.recordRejected(
            id: nil, source: .argocd, event: nil, action: nil, receivedAt: at(t0 + 6), reason: "unauthorized")
        try await store.writer.flush()

        #expect(try inbox.pending(limit: 10).map(\.record.id) == ["d1", "d2", "d3"])  // oldest first
        #expect(try inbox.pending(limit: 2).map(\.record.id) == ["d1", "d2"])
        let changed = try await store.writer.perform { db in
            try inbox.markProcessed(["d2", "unknown"], at: at(t0 + 100), in: db)
        }
        #expect(changed == 1)
        #expect(try inbox.pending(limit: 10).map(\.record.id) == ["d1", "d3"])
        // Marking again does not move the time.
        #expect(try await inbox.markProcessed(["d2"], at: at(t0 + 200)) == 0)

        let recent = try inbox.recentDeliveries(limit: 10)
        #expect(
            recent == [
                DeliveryRecord(
                    id: "", source: .argocd, event: "", action: nil, receivedAt: at(t0 + 6),
                    outcome: "rejected:unauthorized", processedAt: nil),
                DeliveryRecord(
                    id: "d1", source: .github, event: "check_suite", action: "completed", receivedAt: at(t0 + 5),
                    outcome: "duplicate", processedAt: nil),
                DeliveryRecord(
                    id: "bad", source: .github, event: "push", action: nil, receivedAt: at(t0 + 4),
                    outcome: "rejected:signature", processedAt: nil),
                DeliveryRecord(
                    id: "d3", source: .github, event: "ping", action: nil, receivedAt: at(t0 + 3),
                    outcome: "accepted", processedAt: nil),
                DeliveryRecord(
                    id: "d2", source: .argocd, event: "on-health-degraded", action: nil, receivedAt: at(t0 + 2),
                    outcome: "accepted", processedAt: at(t0 + 100)),
                DeliveryRecord(
                    id: "d1", source: .github, event: "pull_request", action: "closed", receivedAt: at(t0 + 1),
                    outcome: "accepted", processedAt: nil),
            ])
        #expect(try inbox.recentDeliveries(limit: 2).map(\.outcome) == ["rejected:unauthorized", "duplicate"])
        #expect(try inbox.recentDeliveries(limit: 0).isEmpty)
        await store.close()
    }

    @Test func rejectedRequestsNeverStoreABody() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let store = try Store.open(directory: dir.path)
        store.inbox.recordRejected(
            id: "r", source: .github, event: "push", action: "opened",
            receivedAt: at(t0), reason: "too large")
        try await store.writer.flush()
        #expect(try store.inbox.recentDeliveries(limit: 5).map(\.outcome) == ["rejected:too large"])
        #expect(try store.inbox.pending(limit: 5).isEmpty)
        #expect(try rawCount(store.path, "SELECT count(*) FROM deliveries") == 0)
        // The listing table has no column a body could go into.
        #expect(
            try rawCount(
                store.path,
                "SELECT count(*) FROM pragma_table_info('delivery_events') WHERE type = 'BLOB' OR name = 'body'") == 0)
        // A rejection does not use up the id: a valid copy is still stored.
        #expect(try await store.inbox.accept(delivery("r", at: t0 + 1)) == .stored)
        await store.close()
    }

    /// What a sender puts in its headers is kept to 128 bytes, cut where a UTF-8 sequence
    /// begins: a stored value is never longer, and always valid text.
    @Test func headerValuesAreClippedToBytesNeverInsideACharacter() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let store = try Store.open(directory: dir.path)
        let euro = String(repeating: "a", count: 127) + "€"  // 130 bytes: the € would straddle 128
        let emoji = String(repeating: "😀", count: 40)  // 160 bytes, 4 per character
        let accents = String(repeating: "e\u{301}", count: 60)  // 180 bytes: e, then 2 bytes of accent
        #expect(try await store.inbox.accept(delivery(euro, at: t0, event: emoji, action: accents)) == .stored)
        let row = try #require(try store.inbox.pending(limit: 1).first?.record)
        #expect(row.id == String(repeating: "a", count: 127))
        #expect(row.event == String(repeating: "😀", count: 32))
        // Byte 128 is the second byte of an accent: cut before that accent.
        #expect(row.action.map { $0.utf8.count } == 127)
        #expect(row.action.map { accents.utf8.starts(with: $0.utf8) } == true)
        #expect(DeliveryText.clipped("short") == "short")
        #expect(DeliveryText.clipped(String(repeating: "é", count: 64)).utf8.count == 128)
        await store.close()
    }

    @Test func pruneRemovesOnlyOldProcessedDeliveriesAndOldEvents() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let store = try Store.open(directory: dir.path)
        let inbox = store.inbox
        for (id, ms) in [("old-done", t0), ("old-pending", t0 + 1), ("new-done", t0 + 10_000)] {
            #expect(try await inbox.accept(delivery(id, at: ms)) == .stored)
        }
        #expect(try await inbox.accept(delivery("old-done", at: t0 + 2)) == .duplicate)
        #expect(try await inbox.accept(delivery("new-done", at: t0 + 10_001)) == .duplicate)
        try await inbox.markProcessed(["old-done", "new-done"], at: at(t0 + 20_000))

        let pruned = try await inbox.prune(olderThan: at(t0 + 5_000))
        #expect(pruned == PruneResult(deliveries: 1, events: 1))
        #expect(try inbox.pending(limit: 10).map(\.record.id) == ["old-pending"])
        #expect(
            try inbox.recentDeliveries(limit: 10).map { "\($0.id):\($0.outcome)" }
                == ["new-done:duplicate", "new-done:accepted", "old-pending:accepted"])
        await store.close()
    }
}
