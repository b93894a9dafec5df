import CSQLite
import Foundation
import Storage
import Testing

/// A full disk is simulated with the storage caps: `PRAGMA max_page_count` for SQLite and the
/// body log's `capacity` (we run as root, so file permissions would not stop writes).
@Suite struct FullStoreTests {
    @Test func aFullBodyLogFailsNewDeliveriesAndKeepsEverythingStoredBefore() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        var stored: [IncomingDelivery] = []
        do {
            let store = try Store.open(directory: dir.path)
            for i in 0..<5 {
                let before = delivery("before-\(i)", at: t0 + Int64(i), size: 8192)
                #expect(try await store.inbox.accept(before) == .stored)
                stored.append(before)
            }
            // Leave room for a few more 8 KB bodies only.
            store.writer.bodies.capacity = store.writer.bodies.liveByteCount + 3 * 8192 + 100

            let error = try #require(
                await fillUntilFull(store, &stored, limit: 200) { i in
                    delivery("fill-\(i)", at: t0 + 100 + Int64(i), size: 8192)
                })
            #expect(error.isFull)
            #expect(error.description.contains("full"))
            #expect(stored.count == 8)

            // A duplicate of something stored is still answered (it is stored already).
            #expect(try await store.inbox.accept(stored[0]) == .duplicate)

            // Everything stored before is intact and readable.
            let pending = try store.inbox.pending(limit: 1000)
            #expect(pending.map(\.record.id) == stored.map(\.id))
            #expect(pending.map(\.body) == stored.map(\.body))

            // Once there is room again, the same writer serves again.
            store.writer.bodies.capacity = nil
            let later = delivery("after-space", at: t0 + 1_000, size: 8192)
            #expect(try await store.inbox.accept(later) == .stored)
            stored.append(later)
            await store.close()
        }
        let reopened = try Store.open(directory: dir.path)
        let pending = try reopened.inbox.pending(limit: 1000)
        #expect(pending.map(\.record.id) == stored.map(\.id))
        #expect(pending.map(\.body) == stored.map(\.body))
        await reopened.close()
    }

    @Test func aFullDatabaseFailsNewDeliveriesAndKeepsEverythingStoredBefore() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let store = try Store.open(directory: dir.path)
        var stored: [IncomingDelivery] = []
        for i in 0..<5 {
            let before = delivery("before-\(i)", at: t0 + Int64(i), size: 512)
            #expect(try await store.inbox.accept(before) == .stored)
            stored.append(before)
        }
        // Rows are small (the bodies are in the body log): two more pages fill after some dozens.
        _ = try await store.writer.perform { db in try db.setMaxPageCount(try db.pageCount() + 2) }
        let error = try #require(
            await fillUntilFull(store, &stored, limit: 5_000) { i in
                delivery("fill-\(i)-" + String(repeating: "x", count: 100), at: t0 + 100 + Int64(i), size: 512)
            })
        #expect(error.isFull)
        #expect(error.sqliteCode == SQLITE_FULL)
        #expect(try await store.inbox.accept(stored[0]) == .duplicate)
        let pending = try store.inbox.pending(limit: 10_000)
        #expect(pending.map(\.record.id) == stored.map(\.id))
        #expect(pending.map(\.body) == stored.map(\.body))
        await store.close()
    }

    @Test func inOneBatchOnlyTheItemThatDoesNotFitFails() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let store = try Store.open(directory: dir.path)
        let base = delivery("base", size: 1024)
        #expect(try await store.inbox.accept(base) == .stored)
        store.writer.bodies.capacity = store.writer.bodies.liveByteCount + 4096

        let gate = try await Gate.close(store.writer)
        let results = Results<AcceptOutcome>()
        let small1 = delivery("small-1", at: t0 + 1, size: 200)
        let small2 = delivery("small-2", at: t0 + 3, size: 200)
        store.inbox.accept(small1, completion: results.callback(0))
        store.inbox.accept(delivery("huge", at: t0 + 2, size: 1 << 20), completion: results.callback(1))
        store.inbox.accept(small2, completion: results.callback(2))
        #expect(await eventually { store.writer.queuedCount == 3 })
        gate.open()
        #expect(await results.waitFor(3))

        let all = results.all
        #expect(all[0].value == .stored)
        #expect(all[1].error?.isFull == true)
        #expect(all[2].value == .stored)
        #expect(try store.inbox.pending(limit: 10).map(\.body) == [base.body, small1.body, small2.body])
        #expect(store.writer.statistics.itemsFailed == 1)
        // The failed item's body was taken back before the write: only the stored ones are on disk.
        #expect(store.writer.bodies.liveByteCount == 1024 + 200 + 200)
        await store.close()

        // And after reopening, the same three rows and bodies.
        let reopened = try Store.open(directory: dir.path)
        #expect(try reopened.inbox.pending(limit: 10).map(\.body) == [base.body, small1.body, small2.body])
        await reopened.close()
    }

    @Test func whenSQLiteDropsTheTransactionTheOthersAreStoredWithTheirBodies() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let store = try Store.open(directory: dir.path)
        try await store.writer.perform { db in try db.exec("CREATE TABLE filler(x BLOB)") }
        _ = try await store.writer.perform { db in try db.setMaxPageCount(try db.pageCount() + 8) }

        let gate = try await Gate.close(store.writer)
        let accepted = Results<AcceptOutcome>()
        let filled = Results<Int>()
        let first = delivery("a", at: t0 + 1, size: 8192)
        let second = delivery("b", at: t0 + 2, size: 8192)
        store.inbox.accept(first, completion: accepted.callback(0))
        store.writer.submit(
            { db in try db.run("INSERT INTO filler(x) VALUES (zeroblob(1048576))") }, completion: filled.callback(0))
        store.inbox.accept(second, completion: accepted.callback(1))
        #expect(await eventually { store.writer.queuedCount == 3 })
        gate.open()
        #expect(await accepted.waitFor(2))
        #expect(await filled.waitFor(1))

        #expect(accepted.all.map(\.value) == [.stored, .stored])
        #expect(filled.all.first?.error?.isFull == true)
        // Whether SQLite undid only the statement or the whole transaction (then "a" ran again),
        // each body is stored exactly once and reads back whole.
        #expect(try store.inbox.pending(limit: 10).map(\.body) == [first.body, second.body])
        #expect(store.writer.bodies.liveByteCount == 2 * 8192)
        await store.close()
    }

    @Test func aBodyLogThatCannotBeWrittenFailsOnlyTheItemsWithABody() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        // One-byte segments: every write starts a new segment file, which is where this fails.
        let store = try Store.open(directory: dir.path, options: StoreOptions(bodySegmentBytes: 1))
        let first = delivery("first", size: 2048)
        #expect(try await store.inbox.accept(first) == .stored)
        let bodiesDir = store.writer.bodies.directory
        let kept = dir.path + "/kept-bodies"
        try FileManager.default.moveItem(atPath: bodiesDir, toPath: kept)

        let gate = try await Gate.close(store.writer)
        let accepted = Results<AcceptOutcome>()
        let noted = Results<Int>()
        store.inbox.accept(delivery("lost", at: t0 + 1, size: 2048), completion: accepted.callback(0))
        store.writer.submit(
            { db in
                try db.run("INSERT INTO engine_meta(key, value) VALUES ('note', x'01')")
            }, completion: noted.callback(0))
        #expect(await eventually { store.writer.queuedCount == 2 })
        gate.open()
        #expect(await accepted.waitFor(1))
        #expect(await noted.waitFor(1))
        guard case .io(let why)? = accepted.all.first?.error else {
            Issue.record("expected an I/O error, got \(accepted.all)")
            return
        }
        #expect(why.contains("segment"))
        #expect(noted.all.first?.value == 1)  // the item without a body committed
        #expect(store.writer.statistics.restarts == 1)

        // With the directory back, the same writer stores bodies again.
        try FileManager.default.moveItem(atPath: kept, toPath: bodiesDir)
        let later = delivery("later", at: t0 + 2, size: 2048)
        #expect(try await store.inbox.accept(later) == .stored)
        #expect(try store.inbox.pending(limit: 10).map(\.body) == [first.body, later.body])
        await store.close()
    }

    @Test func aCapGivenAtOpenActsLikeAFullDisk() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let store = try Store.open(directory: dir.path, options: StoreOptions(maxBodyBytes: 64 * 1024))
        var stored = 0
        var sawFull = false
        for i in 0..<100 {
            do {
                _ = try await store.inbox.accept(delivery("cap-\(i)", at: t0 + Int64(i), size: 8192))
                stored += 1
            } catch let error as StorageError where error.isFull {
                sawFull = true
                break
            }
        }
        #expect(sawFull)
        #expect(stored == 8)
        #expect(try store.inbox.recentDeliveries(limit: 1000).count == 8)  // reads keep working
        await store.close()
    }
}

/// Accepts `make(0)`, `make(1)`, ... (appending each stored one to `stored`) until the store
/// answers with an error, and returns it; `nil` if `limit` deliveries all fit.
private func fillUntilFull(
    _ store: Store, _ stored: inout [IncomingDelivery], limit: Int,
    _ make: (Int) -> IncomingDelivery
) async -> StorageError? {
    for i in 0..<limit {
        let next = make(i)
        do {
            #expect(try await store.inbox.accept(next) == .stored)
            stored.append(next)
        } catch {
            return error as? StorageError ?? .workFailed(error)
        }
    }
    return nil
}
