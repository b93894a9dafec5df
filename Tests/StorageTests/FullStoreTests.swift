import CSQLite
import Foundation
import Storage
import Testing

/// A full disk is simulated with the storage cap (`PRAGMA max_page_count`): we run as root, so
/// file permissions would not stop writes.
@Suite struct FullStoreTests {
    @Test func aFullStoreFailsNewWritesAndKeepsEverythingStoredBefore() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        var stored: [IncomingDelivery] = []
        do {
            let store = try Store.open(directory: dir.path)
            for i in 0..<5 {
                let d = delivery("before-\(i)", at: t0 + Int64(i), size: 8192)
                #expect(try await store.inbox.accept(d) == .stored)
                stored.append(d)
            }
            // Leave room for a few more 8 KB bodies only.
            let cap = try await store.writer.perform { db in try db.setMaxPageCount(try db.pageCount() + 12) }
            #expect(cap > 0)

            var fullError: StorageError?
            for i in 0..<200 {
                let d = delivery("fill-\(i)", at: t0 + 100 + Int64(i), size: 8192)
                do {
                    #expect(try await store.inbox.accept(d) == .stored)
                    stored.append(d)
                } catch let error as StorageError {
                    fullError = error
                    break
                }
            }
            let error = try #require(fullError)
            #expect(error.isFull)
            #expect(error.sqliteCode == SQLITE_FULL)
            #expect(error.description.contains("full"))

            // A duplicate of something stored is still answered (it is stored already).
            #expect(try await store.inbox.accept(stored[0]) == .duplicate)

            // Everything stored before is intact and readable.
            let pending = try store.inbox.pending(limit: 1000)
            #expect(pending.map(\.record.id) == stored.map(\.id))
            #expect(pending.map(\.body) == stored.map(\.body))

            // Once there is room again, the same writer serves again.
            try await store.writer.perform { db in _ = try db.setMaxPageCount(1_000_000) }
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

    @Test func inOneBatchOnlyTheItemThatDoesNotFitFails() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let store = try Store.open(directory: dir.path)
        #expect(try await store.inbox.accept(delivery("base", size: 1024)) == .stored)
        _ = try await store.writer.perform { db in try db.setMaxPageCount(try db.pageCount() + 16) }

        let gate = try await Gate.close(store.writer)
        let results = Results<AcceptOutcome>()
        store.inbox.accept(delivery("small-1", at: t0 + 1, size: 200), completion: results.callback(0))
        store.inbox.accept(delivery("huge", at: t0 + 2, size: 1 << 20), completion: results.callback(1))
        store.inbox.accept(delivery("small-2", at: t0 + 3, size: 200), completion: results.callback(2))
        #expect(await eventually { store.writer.queuedCount == 3 })
        gate.open()
        #expect(await results.waitFor(3))

        let all = results.all
        #expect(all[0].value == .stored)
        #expect(all[1].error?.isFull == true)
        #expect(all[2].value == .stored)
        #expect(try store.inbox.pending(limit: 10).map(\.record.id) == ["base", "small-1", "small-2"])
        #expect(store.writer.statistics.itemsFailed == 1)
        await store.close()

        // And after reopening, the same three rows.
        let reopened = try Store.open(directory: dir.path)
        #expect(try reopened.inbox.pending(limit: 10).map(\.record.id) == ["base", "small-1", "small-2"])
        await reopened.close()
    }

    @Test func aCapGivenAtOpenActsLikeAFullDisk() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        // The empty schema takes a handful of pages; 40 pages is 160 KB.
        let store = try Store.open(directory: dir.path, options: StoreOptions(maxPageCount: 40))
        var sawFull = false
        for i in 0..<100 {
            do {
                _ = try await store.inbox.accept(delivery("cap-\(i)", at: t0 + Int64(i), size: 8192))
            } catch let error as StorageError where error.isFull {
                sawFull = true
                break
            }
        }
        #expect(sawFull)
        #expect(try store.inbox.recentDeliveries(limit: 1000).count > 0)   // reads keep working
        await store.close()
    }
}
