// The body log's checksums: CRC-32C's known values, a body written then read verifies, a
// flipped byte, a cut segment and a missing one are each reported with their reason (and hold
// up no other row), and a row stored before checksums still reads.
import Foundation
import Storage
import Testing

@Suite struct BodyChecksumTests {
    @Test func crc32cGivesTheStandardValues() {
        // RFC 3720 (iSCSI) B.4 and the usual check value.
        #expect(BodyChecksum.of(Array("123456789".utf8)) == 0xE306_9283)
        #expect(BodyChecksum.of([]) == 0)
        #expect(BodyChecksum.of([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(BodyChecksum.of([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
        #expect(BodyChecksum.of((0..<32).map { UInt8($0) }) == 0x46DD_794E)
        // Eight bytes at a time agrees with one at a time, for every tail length and alignment.
        let bytes = (0..<300).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ 7) }
        for start in 0..<9 {
            for end in stride(from: start, through: bytes.count, by: 7) {
                let slice = Array(bytes[start..<end])
                #expect(BodyChecksum.of(slice) == bitwiseCRC32C(slice), "bytes \(start)..<\(end)")
            }
        }
    }

    @Test func aBodyWrittenThenReadVerifies() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let store = try Store.open(directory: dir.path)
        let one = delivery("verified", size: 10_000)
        #expect(try await store.inbox.accept(one) == .stored)
        // The row holds the body's CRC-32C, computed at accept.
        #expect(try rawCount(store.path, "SELECT body_crc32c FROM deliveries") == Int64(BodyChecksum.of(one.body)))
        let pending = try store.inbox.pending(limit: 10)
        #expect(pending.map(\.body) == [one.body])
        #expect(pending.first?.bodyFailure == nil)
        #expect(try store.inbox.body(seq: pending[0].seq) == one.body)
        await store.close()
    }

    @Test func aFlippedByteIsAChecksumMismatchAndTheOtherRowsStillRead() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let store = try Store.open(directory: dir.path)
        let before = delivery("before", at: t0, size: 500)
        let damaged = delivery("damaged", at: t0 + 1, size: 500)
        let after = delivery("after", at: t0 + 2, size: 500)
        for incoming in [before, damaged, after] { #expect(try await store.inbox.accept(incoming) == .stored) }
        // One bit of the middle body, in the middle of it, as a rotten disk block would.
        let offset = try rawCount(store.path, "SELECT body_offset FROM deliveries WHERE id = 'damaged'")
        try flipBit(in: segment(store, 1), at: offset + 250)

        let pending = try store.inbox.pending(limit: 10)
        #expect(pending.map(\.record.id) == ["before", "damaged", "after"])
        #expect(pending.map(\.body.count) == [500, 0, 500])
        #expect(pending[0].body == before.body && pending[2].body == after.body)
        #expect(pending.map { $0.bodyFailure?.setAsideReason } == [nil, .checksumMismatch, nil])
        #expect(pending[1].bodyFailure?.description.contains("CRC-32C") == true)
        #expect {
            _ = try store.inbox.body(seq: pending[1].seq)
        } throws: { error in
            (error as? BodyReadFailure)?.setAsideReason == .checksumMismatch
        }
        // The length is right: without the checksum these wrong bytes would have been returned.
        #expect(
            try store.inbox.stored(limit: 10).map { $0.bodyFailure?.setAsideReason } == [nil, .checksumMismatch, nil])
        await store.close()
    }

    @Test func aCutSegmentIsTruncatedAndAMissingOneIsMissing() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        // One-byte segments: each delivery's body has a segment of its own.
        let store = try Store.open(directory: dir.path, options: StoreOptions(bodySegmentBytes: 1))
        for (index, id) in ["cut", "gone", "whole"].enumerated() {
            #expect(try await store.inbox.accept(delivery(id, at: t0 + Int64(index), size: 400)) == .stored)
        }
        #expect(truncate(segment(store, 1), 150) == 0)
        try FileManager.default.removeItem(atPath: segment(store, 2))

        let pending = try store.inbox.pending(limit: 10)
        #expect(pending.map(\.record.id) == ["cut", "gone", "whole"])
        #expect(pending.map { $0.bodyFailure?.setAsideReason } == [.bodyTruncated, .bodyMissing, nil])
        #expect(pending[2].body == delivery("whole", size: 400).body)
        await store.close()
    }

    /// A row stored before checksums (schema 3: no `body_crc32c`) points into a segment written
    /// then; after the migration its body reads as it did, unchecked, while new rows are checked.
    @Test func aRowStoredBeforeChecksumsStillReads() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let old = delivery("from-v3", size: 3000)
        do {
            // What the earlier build left: its segment (bodies only, as now) and its row.
            let bodies = (dir.path as NSString).appendingPathComponent(BodyLog.directoryName)
            try FileManager.default.createDirectory(atPath: bodies, withIntermediateDirectories: true)
            try Data(old.body).write(to: URL(fileURLWithPath: bodies + "/000000000001.seg"))
            let store = try Store.open(
                directory: dir.path, options: StoreOptions(migrations: Array(Schema.migrations.prefix(3))))
            try await store.writer.perform { db in
                _ = try db.run(
                    """
                    INSERT INTO deliveries(id, source, event, action, received_at, body_segment, body_offset, body_length)
                    VALUES (?1, 'github', 'check_suite', 'completed', ?2, 1, 0, ?3)
                    """
                ) { st in
                    try st.bind(old.id, at: 1)
                    try st.bind(t0, at: 2)
                    try st.bind(Int64(old.body.count), at: 3)
                }
            }
            await store.close()
        }
        let store = try Store.open(directory: dir.path)
        #expect(try rawCount(store.path, "SELECT count(*) FROM deliveries WHERE body_crc32c IS NULL") == 1)
        let new = delivery("from-v4", at: t0 + 1, size: 3000)
        #expect(try await store.inbox.accept(new) == .stored)
        let pending = try store.inbox.pending(limit: 10)
        #expect(pending.map(\.body) == [old.body, new.body])
        #expect(pending.allSatisfy { $0.bodyFailure == nil })
        #expect(try store.inbox.body(seq: pending[0].seq) == old.body)
        await store.close()
    }
}

/// The segment file `number` of `store`'s body log.
func segment(_ store: Store, _ number: Int) -> String {
    store.writer.bodies.directory + "/" + String(format: "%012d", number) + ".seg"
}

/// Flips the lowest bit of the byte at `offset` of the file at `path`.
func flipBit(in path: String, at offset: Int64) throws {
    let handle = try #require(FileHandle(forUpdatingAtPath: path))
    defer { try? handle.close() }
    try handle.seek(toOffset: UInt64(offset))
    let byte = try #require(try handle.read(upToCount: 1)?.first)
    try handle.seek(toOffset: UInt64(offset))
    try handle.write(contentsOf: [byte ^ 1])
}

/// CRC-32C one bit at a time: the definition, to check the table-driven one against.
func bitwiseCRC32C(_ bytes: [UInt8]) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in bytes {
        crc ^= UInt32(byte)
        for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
    }
    return ~crc
}
