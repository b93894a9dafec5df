import CSQLite
import Foundation

/// Copies committed WAL frames back into the database file on its own thread and connection.
///
/// By default SQLite checkpoints inside the COMMIT that pushes the WAL past 1000 pages, so one
/// batch in every few would also pay for writing ~4 MB into the main file and fsyncing it. With
/// this, the writer only appends to the WAL and fsyncs it; after each commit it nudges the
/// checkpointer, which runs PASSIVE checkpoints (they never block the writer) back to back, each
/// covering every frame committed so far. The writer keeps a high `wal_autocheckpoint` as a
/// safety net should this thread fall behind.
///
/// `@unchecked Sendable` is safe because `pending`, `stopping`, `finished`, `checkpoints` and
/// `failures` are only touched with `condition` locked, and `db` only by the checkpointer thread
/// (it was opened before the thread started).
final class Checkpointer: @unchecked Sendable {
    private let condition = NSCondition()
    private var pending = false
    private var stopping = false
    private var finished = false
    private var checkpoints = 0
    private var failures = 0
    private let db: SQLiteDatabase
    /// Commits between two checkpoints.
    private let commitsPerCheckpoint: Int

    init(path: String, busyTimeoutMilliseconds: Int32, commitsPerCheckpoint: Int) throws {
        self.commitsPerCheckpoint = max(1, commitsPerCheckpoint)
        db = try SQLiteDatabase(
            path: path, flags: [.readWrite, .noMutex], busyTimeoutMilliseconds: busyTimeoutMilliseconds)
        try db.exec("PRAGMA synchronous=FULL")
    }

    func start() {
        let thread = namedThread("store-checkpt") { [self] in loop() }
        thread.start()
    }

    private var commitsSince = 0

    /// Called by the writer after a commit.
    func noteCommit() {
        condition.lock()
        commitsSince += 1
        if commitsSince >= commitsPerCheckpoint {
            commitsSince = 0
            pending = true
            condition.signal()
        }
        condition.unlock()
    }

    var counts: (checkpoints: Int, failures: Int) {
        condition.lock()
        defer { condition.unlock() }
        return (checkpoints, failures)
    }

    /// Stops the thread and waits until its connection is closed.
    func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        while !finished { condition.wait() }
        condition.unlock()
    }

    private func loop() {
        while true {
            condition.lock()
            while !pending && !stopping { condition.wait() }
            let stop = stopping
            pending = false
            condition.unlock()
            if stop { break }
            let ok = (try? db.checkpoint(.passive)) != nil
            condition.lock()
            if ok { checkpoints += 1 } else { failures += 1 }
            condition.unlock()
        }
        db.close()
        condition.lock()
        finished = true
        condition.broadcast()
        condition.unlock()
    }
}
