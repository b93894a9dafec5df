import Foundation
import Storage
import Synchronization
import Testing

@Suite struct StoreWriterTests {
    @Test func aThrowingItemRollsBackOnlyItself() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let store = try Store.open(directory: dir.path)
        let gate = try await Gate.close(store.writer)
        let batchesBefore = store.writer.statistics.batches
        let results = Results<AcceptOutcome>()
        store.inbox.accept(delivery("a"), completion: results.callback(0))
        store.writer.submit(
            { db -> AcceptOutcome in
                // Written, then undone by the savepoint.
                _ = try db.run("INSERT INTO engine_meta(key, value) VALUES ('b', x'01')")
                throw TestFailure(message: "boom")
            }, completion: results.callback(1))
        store.inbox.accept(delivery("c"), completion: results.callback(2))
        #expect(await eventually { store.writer.queuedCount == 3 })
        gate.open()
        #expect(await results.waitFor(3))

        let all = results.all
        #expect(all[0].value == .stored)
        #expect(all[2].value == .stored)
        guard case .workFailed(let inner)? = all[1].error else {
            Issue.record("expected the item's own error, got \(all[1])")
            return
        }
        #expect(inner as? TestFailure == TestFailure(message: "boom"))
        #expect(store.writer.statistics.batches == batchesBefore + 2)  // the gate's batch, then one for a, b, c
        #expect(try store.inbox.pending(limit: 10).map(\.record.id) == ["a", "c"])
        #expect(try rawCount(store.path, "SELECT count(*) FROM engine_meta") == 0)
        await store.close()
    }

    @Test func performRethrowsTheItemsOwnError() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let store = try Store.open(directory: dir.path)
        await #expect(throws: TestFailure(message: "mine")) {
            try await store.writer.perform { _ in throw TestFailure(message: "mine") }
        }
        let answer = try await store.writer.perform { db in try db.scalarInt64("SELECT 41 + 1") }
        #expect(answer == 42)
        await store.close()
    }

    @Test func closeFinishesQueuedWorkAndLaterSubmissionsFailCleanly() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let store = try Store.open(directory: dir.path)
        let gate = try await Gate.close(store.writer)
        let queued = Results<AcceptOutcome>()
        for i in 0..<5 { store.inbox.accept(delivery("q\(i)"), completion: queued.callback(i)) }
        let closing = Task { await store.close() }
        #expect(await eventually { !store.writer.isOpen })

        let late = Results<AcceptOutcome>()
        store.inbox.accept(delivery("late"), completion: late.callback(0))
        #expect(late.count == 1)  // answered at once, on this thread
        guard case .closed? = late.all.first?.error else {
            Issue.record("expected .closed, got \(late.all)")
            return
        }
        await #expect(throws: StorageError.self) { try await store.writer.perform { _ in 1 } }
        store.inbox.recordRejected(id: nil, source: .github, event: nil, action: nil, receivedAt: at(t0), reason: "x")

        gate.open()
        await closing.value
        #expect(queued.count == 5)  // close() returned after the queued work ran
        #expect(queued.all.allSatisfy { $0.value == .stored })
        closeBlocking(store)  // idempotent
        await store.close()

        let reopened = try Store.open(directory: dir.path)
        #expect(try reopened.inbox.pending(limit: 10).map(\.record.id) == (0..<5).map { "q\($0)" })
        await reopened.close()
    }

    @Test func aSlowCompletionDoesNotHoldUpTheNextCommit() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let store = try Store.open(directory: dir.path)
        let release = DispatchSemaphore(value: 0)
        let inCompletion = Atomic<Bool>(false)
        let results = Results<AcceptOutcome>()
        store.inbox.accept(delivery("first")) { result in
            inCompletion.store(true, ordering: .sequentiallyConsistent)
            _ = release.wait(timeout: .now() + 30)
            results.callback(0)(result)
        }
        #expect(await eventually { inCompletion.load(ordering: .sequentiallyConsistent) })
        let committedBefore = store.writer.statistics.itemsCommitted
        store.inbox.accept(delivery("second"), completion: results.callback(1))
        // The writer commits "second" while "first"'s answer is still being given...
        #expect(await eventually { store.writer.statistics.itemsCommitted == committedBefore + 1 })
        #expect(try rawCount(store.path, "SELECT count(*) FROM deliveries WHERE id = 'second'") == 1)
        // ...and answers stay in commit order.
        #expect(results.count == 0)
        release.signal()
        #expect(await results.waitFor(2))
        #expect(results.all.map(\.value) == [.stored, .stored])
        await store.close()
    }

    @Test func overlappingSubmissionsShareOneCommit() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let store = try Store.open(directory: dir.path, options: StoreOptions(commitsPerCheckpoint: 16))
        let gate = try await Gate.close(store.writer)
        let before = store.writer.statistics
        let results = Results<AcceptOutcome>()
        // 100 accepts from 10 threads while the writer is busy.
        for t in 0..<10 {
            Thread {
                for i in 0..<10 {
                    let callIndex = t * 10 + i
                    store.inbox.accept(
                        delivery("d\(callIndex)", at: t0 + Int64(callIndex), size: 8192),
                        completion: results.callback(callIndex))
                }
            }.start()
        }
        #expect(await eventually { store.writer.queuedCount == 100 })
        gate.open()
        #expect(await results.waitFor(100))
        #expect(results.all.allSatisfy { $0.value == .stored })

        let after = store.writer.statistics
        #expect(after.itemsCommitted - before.itemsCommitted == 101)  // the gate item + 100
        #expect(after.commits - before.commits == 2)  // the gate's, then ONE for all 100
        #expect(after.largestBatch >= 100)
        // The WAL is checkpointed by the background thread, not inside those commits: it runs
        // after every 16 commits, so make some more.
        for _ in 0..<20 { _ = try await store.writer.perform { db in try db.exec("SELECT 1") } }
        #expect(await eventually(within: 60) { store.writer.statistics.checkpoints > 0 })
        #expect(try rawCount(store.path, "SELECT count(*) FROM deliveries") == 100)
        #expect(try rawCount(store.path, "SELECT count(DISTINCT id) FROM deliveries") == 100)
        await store.close()
    }
}

/// The blocking `close()` (an async context would pick the async overload).
private func closeBlocking(_ store: Store) { store.close() }
