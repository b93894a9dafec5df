// Setting a delivery aside in the inbox: it leaves the pending ones for good, is listed with its
// reason and when, and is set aside once however often it is asked.
import Foundation
import Storage
import Testing

@Suite struct SetAsideTests {
    @Test func aSetAsideDeliveryIsNeverPendingAgainAndIsListedWithItsReason() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let store = try Store.open(directory: dir.path)
        for (index, id) in ["first", "broken", "later"].enumerated() {
            #expect(try await store.inbox.accept(delivery(id, at: t0 + Int64(index))) == .stored)
        }
        let pending = try store.inbox.pending(limit: 10)
        let broken = SetAsideRow(seq: pending[1].seq, id: "broken", reason: .bodyTruncated)
        #expect(try await store.inbox.setAside([broken], at: at(t0 + 100)) == [broken])
        #expect(try store.inbox.pending(limit: 10).map(\.record.id) == ["first", "later"])
        #expect(try store.inbox.pending(limit: 10, bodies: false).map(\.record.id) == ["first", "later"])

        let listed = try store.inbox.recentDeliveries(limit: 10)
        let row = try #require(listed.first { $0.id == "broken" })
        #expect(row.setAside == .bodyTruncated)
        #expect(row.processedAt == at(t0 + 100))
        #expect(row.outcome == "accepted")
        #expect(listed.filter { $0.id != "broken" }.allSatisfy { $0.setAside == nil && $0.processedAt == nil })
        #expect(try store.inbox.stored(limit: 10).map(\.record.setAside) == [nil, .bodyTruncated, nil])

        // Once: asked again (another pass, a restart), nothing changes and nothing is reported.
        let again = SetAsideRow(seq: broken.seq, id: "broken", reason: .checksumMismatch)
        #expect(try await store.inbox.setAside([again], at: at(t0 + 200)).isEmpty)
        // A row already processed, or a seq that is not this id's, is left alone.
        try await store.inbox.markProcessed(["first"], at: at(t0 + 300))
        let processed = SetAsideRow(seq: pending[0].seq, id: "first", reason: .malformed)
        let wrongRow = SetAsideRow(seq: pending[0].seq, id: "later", reason: .malformed)
        #expect(try await store.inbox.setAside([processed, wrongRow], at: at(t0 + 300)).isEmpty)
        #expect(try store.inbox.recentDeliveries(limit: 10).compactMap(\.setAside) == [.bodyTruncated])
        #expect(try store.inbox.pending(limit: 10).map(\.record.id) == ["later"])

        // The listing's JSON carries the reason by its name, and leaves it out when there is none.
        let json = try JSONEncoder().encode(try store.inbox.recentDeliveries(limit: 10))
        let objects = try #require(try JSONSerialization.jsonObject(with: json) as? [[String: Any]])
        #expect(objects.compactMap { $0["setAside"] as? String } == ["body_truncated"])
        await store.close()
    }

    @Test func theReasonsAreAClosedSetOfNames() {
        #expect(
            SetAsideReason.allCases.map(\.rawValue) == [
                "body_missing", "body_truncated", "checksum_mismatch", "body_unreadable", "malformed",
            ])
    }
}
