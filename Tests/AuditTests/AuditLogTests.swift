import Audit
import Foundation
import RollbackCore
import TestSupport
import Testing

@Suite struct AuditLogTests {
    typealias F = Fixtures

    @Test func appendStampsChainsAndWritesOneLinePerEntry() throws {
        let dir = TemporaryDirectory("audit-log")
        defer { dir.remove() }
        let clock = ManualClock("2026-02-27T10:30:00.123Z")
        let log = try AuditLog(directory: dir.path + "/nested/audit", clock: clock.closure)
        let stored = try log.append([F.transition(1), F.call()])
        #expect(stored.map(\.seq) == [1, 2])
        #expect(stored[0].prevHash == AuditHash.genesis)
        #expect(stored[1].prevHash == stored[0].hash)
        #expect(stored.allSatisfy { $0.timestamp == "2026-02-27T10:30:00.123Z" && $0.hash == $0.computedHash })
        #expect(log.head == AuditChainHead(seq: 2, hash: stored[1].hash))
        let text = try String(
            contentsOfFile: dir.path + "/nested/audit/ai-operator-audit-2026.02.27.jsonl", encoding: .utf8)
        #expect(text == stored.map { $0.jsonLine + "\n" }.joined())
        #expect(try log.append([]).isEmpty)
    }

    @Test func theMirrorSeesEveryLineInChainOrder() throws {
        let dir = TemporaryDirectory("audit-log")
        defer { dir.remove() }
        let mirrored = Lines()
        let clock = ManualClock("2026-02-27T23:59:59Z")
        let log = try AuditLog(directory: dir.path, clock: clock.closure, mirror: { mirrored.add($0) })
        try log.append([F.transition(1), F.call()])
        clock.advance(2)
        try log.append(F.escalation())
        let onDisk = F.lines(dir, F.day1) + F.lines(dir, F.day2)
        #expect(mirrored.all == onDisk)
        #expect(mirrored.all.count == 3)
    }

    @Test func timestampsNeverGoBackwardsSoDayFilesStayInChainOrder() throws {
        let dir = TemporaryDirectory("audit-log")
        defer { dir.remove() }
        let clock = ManualClock("2026-02-28T00:00:05Z")
        let log = try AuditLog(directory: dir.path, clock: clock.closure)
        try log.append(F.transition(1))
        clock.set("2026-02-27T23:59:58Z")  // the clock steps back over midnight
        let appended = try log.append(F.transition(2))
        #expect(appended.timestamp == "2026-02-28T00:00:05.000Z")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == [F.day2])
        // ...also across a restart.
        let again = try AuditLog(directory: dir.path, clock: clock.closure)
        #expect(try again.append(F.transition(3)).timestamp == "2026-02-28T00:00:05.000Z")
        #expect(try F.verify(dir).isValid)
    }

    @Test func appendsFromManyThreadsFormOneUnbrokenChain() throws {
        let dir = TemporaryDirectory("audit-log")
        defer { dir.remove() }
        let clock = ManualClock("2026-02-27T23:59:59.900Z")
        let log = try AuditLog(directory: dir.path, clock: clock.closure)
        let threads = 8
        let rounds = 25
        DispatchQueue.concurrentPerform(iterations: threads) { thread in
            for r in 0..<rounds {
                clock.advance(0.001)  // crosses midnight part-way
                let batch = (0...(r % 3)).map { F.transition(thread * 1000 + r * 10 + $0, correlationId: "t\(thread)") }
                _ = try! log.append(batch)
            }
        }
        let total = threads * (0..<rounds).reduce(0) { $0 + ($1 % 3) + 1 }
        let verification = try F.verify(dir)
        #expect(verification.isValid, "\(String(describing: verification.problem))")
        #expect(verification.entriesChecked == total && verification.firstSeq == 1 && verification.lastSeq == total)
        #expect(verification.filesChecked == 2)
        #expect(log.head.seq == total)
        let seqs = try log.recent(limit: total).map(\.seq)
        #expect(seqs == Array(1...total))
        // Each thread's batches kept their own order inside the chain.
        for t in 0..<threads {
            let mine = try log.entries(correlationId: "t\(t)").map(\.reasoning)
            #expect(mine.count == total / threads)
        }
    }

    @Test func aNewLogOnTheSameDirectoryContinuesTheChain() throws {
        let dir = TemporaryDirectory("audit-log")
        defer { dir.remove() }
        let clock = ManualClock("2026-02-27T23:00:00Z")
        do {
            let first = try AuditLog(directory: dir.path, clock: clock.closure)
            try first.append([F.transition(1), F.call(), F.invariantCheck()])
        }
        clock.advance(7200)  // the next day
        let logged = Lines()
        let second = try AuditLog(directory: dir.path, clock: clock.closure, log: { logged.add($0) })
        #expect(!second.recovery.repaired)
        #expect(second.recovery.head.seq == 3)
        #expect(logged.all.isEmpty)
        let more = try second.append([F.transition(4), F.transition(5)])
        #expect(more.map(\.seq) == [4, 5])
        #expect(
            more[0].prevHash
                == F.lines(dir, F.day1).last.flatMap {
                    try? JSONDecoder().decode(AuditEntry.self, from: Data($0.utf8))
                }?.hash)
        let verification = try F.verify(dir)
        #expect(verification.isValid && verification.entriesChecked == 5 && verification.filesChecked == 2)
    }

    @Test func aTornLastLineIsTruncatedAwayAndReported() throws {
        let dir = TemporaryDirectory("audit-log")
        defer { dir.remove() }
        let clock = ManualClock("2026-02-27T12:00:00Z")
        let good: [String]
        do {
            let log = try AuditLog(directory: dir.path, clock: clock.closure)
            try log.append([F.transition(1), F.transition(2)])
            good = F.lines(dir, F.day1)
            // A crash in the middle of the next write: half a line, no newline.
            let half = String(try log.append(F.transition(3)).jsonLine.prefix(100))
            F.write(dir, F.day1, good + [half], trailingNewline: false)
        }
        #expect(try F.verify(dir).problem?.kind == .malformed)
        let logged = Lines()
        let log = try AuditLog(directory: dir.path, clock: clock.closure, log: { logged.add($0) })
        #expect(log.recovery.repaired)
        #expect(log.recovery.repairedFile == F.day1)
        #expect(log.recovery.removedBytes == 100)
        #expect(log.recovery.head.seq == 2)
        #expect(logged.all.count == 1 && logged.all[0].contains("torn last line of 100 bytes"))
        #expect(F.lines(dir, F.day1) == good)  // older lines untouched
        #expect(try log.append(F.transition(3)).seq == 3)
        #expect(try F.verify(dir).isValid)
    }

    @Test func aCompleteButInvalidLastLineIsAlsoRepaired() throws {
        let dir = TemporaryDirectory("audit-log")
        defer { dir.remove() }
        let clock = ManualClock("2026-02-27T12:00:00Z")
        try AuditLog(directory: dir.path, clock: clock.closure).append([F.transition(1)])
        F.edit(dir, F.day1) { $0.append("{\"version\":\"0.1") }
        let log = try AuditLog(directory: dir.path, clock: clock.closure)
        #expect(log.recovery.repaired && log.recovery.head.seq == 1)
        #expect(log.recovery.removedText == "{\"version\":\"0.1\n")
        try log.append(F.transition(2))
        #expect(try F.verify(dir).isValid)
    }

    @Test func anEmptyNewestFileFallsBackToThePreviousDay() throws {
        let dir = TemporaryDirectory("audit-log")
        defer { dir.remove() }
        let clock = ManualClock("2026-02-27T12:00:00Z")
        try AuditLog(directory: dir.path, clock: clock.closure).append([F.transition(1), F.transition(2)])
        #expect(FileManager.default.createFile(atPath: F.path(dir, F.day2), contents: Data()))
        clock.set("2026-02-28T01:00:00Z")
        let log = try AuditLog(directory: dir.path, clock: clock.closure)
        #expect(log.head.seq == 2 && !log.recovery.repaired)
        try log.append(F.transition(3))
        #expect(try F.verify(dir).isValid)
    }

    @Test func aBrokenLineBeneathTheNewestIsNotGuessedAway() throws {
        let dir = TemporaryDirectory("audit-log")
        defer { dir.remove() }
        let clock = ManualClock("2026-02-27T12:00:00Z")
        try AuditLog(directory: dir.path, clock: clock.closure).append([F.transition(1), F.transition(2)])
        // A torn tail *and* a broken complete line before it: not one torn write.
        F.edit(dir, F.day1) { $0[1] = "garbage" }
        let data = try Data(contentsOf: URL(fileURLWithPath: F.path(dir, F.day1))) + Data("{\"ver".utf8)
        try data.write(to: URL(fileURLWithPath: F.path(dir, F.day1)))
        #expect(throws: AuditLogError.self) { try AuditLog(directory: dir.path, clock: clock.closure) }
    }

    @Test func entriesOfOneAttemptComeInChainOrder() throws {
        let dir = TemporaryDirectory("audit-log")
        defer { dir.remove() }
        try F.threeDayLog(dir)
        let log = try AuditLog(directory: dir.path)
        #expect(try log.entries(correlationId: "c-1").map(\.seq) == [1, 2, 3, 4, 7, 8, 10])
        #expect(try log.entries(correlationId: "c-2").map(\.seq) == [5, 9])
        #expect(try log.entries(correlationId: "c-").isEmpty)
        #expect(try log.entries(correlationId: "nope").isEmpty)
        #expect(try log.recent(limit: 4).map(\.seq) == [7, 8, 9, 10])
        #expect(try log.recent(limit: 100).map(\.seq) == Array(1...10))
        #expect(try log.recent(limit: 0).isEmpty)
    }

    @Test func retentionRemovesOnlyWholeFilesOlderThanNinetyDays() throws {
        let dir = TemporaryDirectory("audit-log")
        defer { dir.remove() }
        let now = F.date("2026-06-01T12:00:00Z")
        let clock = ManualClock("2026-02-01T10:00:00Z")
        let log = try AuditLog(directory: dir.path, clock: clock.closure)
        // Days now-120, now-92, now-91 (its last entry 90 days and 12+ hours old),
        // now-90 (its last possible entry less than 90 days old), now-1.
        for (days, count) in [(120, 2), (92, 1), (91, 3), (90, 2), (1, 2)] {
            clock.set(AuditTimestamp.format(now.addingTimeInterval(-Double(days) * 86400)))
            try log.append((0..<count).map { F.transition($0) })
        }
        let before = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
        #expect(before.count == 5)
        let keptBefore = before.suffix(2).map { F.lines(dir, $0) }
        let removed = try log.prune(now: now)
        #expect(removed == Array(before.prefix(3)))
        let after = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
        #expect(after == Array(before.suffix(2)))
        #expect(after.map { F.lines(dir, $0) } == keptBefore)  // never edited
        let verification = try F.verify(dir)
        #expect(
            verification.isValid && verification.startsMidChain && verification.firstSeq == 7
                && verification.lastSeq == 10)
        // The log goes on after pruning.
        clock.set("2026-06-01T12:00:01Z")
        try log.append(F.transition(11))
        #expect(try F.verify(dir).isValid)
        #expect(try log.prune(now: now).isEmpty)
    }

    @Test func retentionKeepsTheNewestFileWhateverItsAge() throws {
        let dir = TemporaryDirectory("audit-log")
        defer { dir.remove() }
        let clock = ManualClock("2026-01-01T10:00:00Z")
        let log = try AuditLog(directory: dir.path, clock: clock.closure, retentionDays: 30)
        try log.append(F.transition(1))
        clock.set("2026-01-02T10:00:00Z")
        try log.append(F.transition(2))
        let removed = try log.prune(now: F.date("2026-12-31T00:00:00Z"))
        #expect(removed == ["ai-operator-audit-2026.01.01.jsonl"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["ai-operator-audit-2026.01.02.jsonl"])
        clock.set("2026-12-31T00:00:00Z")
        let appended = try AuditLog(directory: dir.path, clock: clock.closure).append(F.transition(3))
        #expect(appended.seq == 3)
        #expect(try F.verify(dir).isValid)
    }

    @Test func tenThousandEntriesInOneBatchChainAndVerify() throws {
        let dir = TemporaryDirectory("audit-log")
        defer { dir.remove() }
        let log = try AuditLog(directory: dir.path, clock: ManualClock("2026-02-27T12:00:00Z").closure)
        let entries = (0..<10_000).map { index in
            AuditEntry(
                mcpCall: "argocd.getApplication", parameters: ["name": "app-\(index)"], result: "ok",
                durationMs: index % 100, retryCount: 0, correlationId: "c-\(index % 7)", version: F.version)
        }
        // One batch, one fsync: the chain runs through all of it (speed belongs in bench/, not here).
        try log.append(entries)
        let verification = try F.verify(dir)
        #expect(verification.isValid && verification.entriesChecked == 10_000)
    }
}
