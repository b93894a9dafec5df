import Audit
import Foundation
import TestSupport
import Testing

/// A real log written by `AuditLog` over three UTC days, then altered, shortened and shuffled
/// by hand; the verifier must name the first problem, its file, line and kind.
@Suite struct AuditVerifierTests {
    typealias F = Fixtures

    private func tampered(_ change: (TemporaryDirectory) throws -> Void) throws -> (
        AuditVerification, TemporaryDirectory
    ) {
        let dir = TemporaryDirectory("audit-verify")
        try F.threeDayLog(dir)
        try change(dir)
        return (try F.verify(dir), dir)
    }

    private func expectProblem(
        _ verification: AuditVerification, _ file: String, _ line: Int, _ kind: AuditProblem.Kind,
        _ detail: String? = nil, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(
            verification.problem?.file == file, "\(String(describing: verification.problem))",
            sourceLocation: sourceLocation)
        #expect(
            verification.problem?.line == line, "\(String(describing: verification.problem))",
            sourceLocation: sourceLocation)
        #expect(
            verification.problem?.kind == kind, "\(String(describing: verification.problem))",
            sourceLocation: sourceLocation)
        if let detail {
            #expect(
                verification.problem?.detail.contains(detail) == true, "\(String(describing: verification.problem))",
                sourceLocation: sourceLocation)
        }
    }

    @Test func anIntactLogOverThreeDaysVerifies() throws {
        let (verification, dir) = try tampered { _ in }
        defer { dir.remove() }
        #expect(verification.isValid, "\(String(describing: verification.problem))")
        #expect(verification.filesChecked == 3)
        #expect(verification.entriesChecked == 10)
        #expect(verification.firstSeq == 1 && verification.lastSeq == 10)
        #expect(!verification.startsMidChain)
        #expect(F.lines(dir, F.day1).count == 3 && F.lines(dir, F.day2).count == 4 && F.lines(dir, F.day3).count == 3)
    }

    @Test func alteredReasoningIsCaughtAtItsLine() throws {
        let (verification, dir) = try tampered { dir in
            F.edit(dir, F.day2) { $0[0] = $0[0].replacingOccurrences(of: "Step 4:", with: "Step four:") }
        }
        defer { dir.remove() }
        expectProblem(verification, F.day2, 1, .altered, "seq 4")
        #expect(verification.entriesChecked == 3)
    }

    @Test func passTurnedIntoFailIsCaught() throws {
        let (verification, dir) = try tampered { dir in
            F.edit(dir, F.day1) {
                $0[2] = $0[2].replacingOccurrences(of: "\"I6_ci_success\":\"PASS\"", with: "\"I6_ci_success\":\"FAIL\"")
            }
        }
        defer { dir.remove() }
        #expect(F.lines(dir, F.day1)[2].contains("\"I6_ci_success\":\"FAIL\""))
        expectProblem(verification, F.day1, 3, .altered, "hash does not match")
    }

    @Test func aDeletedLineIsCaughtWhereTheGapIs() throws {
        let (verification, dir) = try tampered { dir in F.edit(dir, F.day2) { $0.remove(at: 1) } }
        defer { dir.remove() }
        expectProblem(verification, F.day2, 2, .removed, "seq 5 is missing")
    }

    @Test func twoSwappedLinesAreCaughtAsReordered() throws {
        let (verification, dir) = try tampered { dir in F.edit(dir, F.day2) { $0.swapAt(1, 2) } }
        defer { dir.remove() }
        expectProblem(verification, F.day2, 2, .reordered, "seq 6 comes before seq 5")
    }

    @Test func linesSwappedFarApartAreCaughtAsReordered() throws {
        let (verification, dir) = try tampered { dir in F.edit(dir, F.day2) { $0.swapAt(0, 3) } }
        defer { dir.remove() }
        expectProblem(verification, F.day2, 1, .reordered, "seq 7 comes before seq 4 (\(F.day2):4)")
    }

    @Test func aDuplicatedLineIsCaughtAsReordered() throws {
        let (verification, dir) = try tampered { dir in F.edit(dir, F.day3) { $0.insert($0[0], at: 1) } }
        defer { dir.remove() }
        expectProblem(verification, F.day3, 2, .reordered, "seq 8 comes after seq 8")
    }

    @Test func aTruncatedLastLineIsMalformed() throws {
        let (verification, dir) = try tampered { dir in
            let lines = F.lines(dir, F.day3)
            F.write(dir, F.day3, Array(lines.dropLast()) + [String(lines[2].prefix(40))], trailingNewline: false)
        }
        defer { dir.remove() }
        expectProblem(verification, F.day3, 3, .malformed, "not terminated")
        #expect(verification.entriesChecked == 9)
    }

    @Test func aCutLineThatStillEndsWithANewlineIsMalformed() throws {
        let (verification, dir) = try tampered { dir in F.edit(dir, F.day3) { $0[1] = String($0[1].prefix(60)) } }
        defer { dir.remove() }
        expectProblem(verification, F.day3, 2, .malformed, "not a JSON object")
    }

    @Test func wholeLinesRemovedFromTheEndNeedTheAnchor() throws {
        let dir = TemporaryDirectory("audit-verify")
        defer { dir.remove() }
        try F.threeDayLog(dir)
        let head = try AuditLog(directory: dir.path).head
        #expect(head.seq == 10)
        #expect(try F.verify(dir, anchor: head).isValid)
        F.edit(dir, F.day3) { $0.removeLast() }
        // The chain alone cannot tell a shorter log from a complete one...
        #expect(try F.verify(dir).isValid)
        // ...the head recorded elsewhere can.
        let verification = try F.verify(dir, anchor: head)
        expectProblem(verification, F.day3, 3, .removed, "ends at seq 9 but seq 10 was written")
    }

    @Test func aRemovedMiddleDayFileIsCaught() throws {
        let (verification, dir) = try tampered { dir in try FileManager.default.removeItem(atPath: F.path(dir, F.day2))
        }
        defer { dir.remove() }
        expectProblem(verification, F.day3, 1, .removed, "seq 4..7 are missing")
        #expect(verification.filesChecked == 2)
    }

    @Test func aRemovedOldestFileLeavesAChainThatStartsMidway() throws {
        let (verification, dir) = try tampered { dir in try FileManager.default.removeItem(atPath: F.path(dir, F.day1))
        }
        defer { dir.remove() }
        #expect(verification.isValid)
        #expect(verification.startsMidChain)
        #expect(verification.firstSeq == 4 && verification.lastSeq == 10 && verification.entriesChecked == 7)
    }

    @Test func theFirstRemainingLineMustStillMatchItsHash() throws {
        let (verification, dir) = try tampered { dir in
            try FileManager.default.removeItem(atPath: F.path(dir, F.day1))
            F.edit(dir, F.day2) {
                $0[0] = $0[0].replacingOccurrences(of: "\"level\":\"INFO\"", with: "\"level\":\"WARN\"")
            }
        }
        defer { dir.remove() }
        expectProblem(verification, F.day2, 1, .altered)
    }

    @Test func aLineMovedToAnotherDayFileIsMisplaced() throws {
        let (verification, dir) = try tampered { dir in
            var day3Lines = F.lines(dir, F.day3)
            let moved = day3Lines.removeFirst()
            F.write(dir, F.day3, day3Lines)
            F.edit(dir, F.day2) { $0.append(moved) }
        }
        defer { dir.remove() }
        expectProblem(verification, F.day2, 5, .misplaced, "belongs in \(F.day3)")
    }

    @Test func aLineThatIsNotJSONIsMalformed() throws {
        let (verification, dir) = try tampered { dir in F.edit(dir, F.day2) { $0.insert("hello auditors", at: 2) } }
        defer { dir.remove() }
        expectProblem(verification, F.day2, 3, .malformed, "not a JSON object")
    }

    @Test func anEmptyLineIsMalformed() throws {
        let (verification, dir) = try tampered { dir in F.edit(dir, F.day1) { $0.insert("", at: 1) } }
        defer { dir.remove() }
        expectProblem(verification, F.day1, 2, .malformed, "empty line")
    }

    @Test func aMissingFieldIsMalformed() throws {
        let (verification, dir) = try tampered { dir in
            F.edit(dir, F.day2) { lines in
                var object = try! JSONSerialization.jsonObject(with: Data(lines[1].utf8)) as! [String: Any]
                object["hash"] = nil
                lines[1] = String(
                    decoding: try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self
                )
            }
        }
        defer { dir.remove() }
        expectProblem(verification, F.day2, 2, .malformed, "missing field hash")
    }

    @Test func anAddedFieldIsCaughtEvenThoughTheHashedFieldsAreIntact() throws {
        let (verification, dir) = try tampered { dir in
            F.edit(dir, F.day2) {
                $0[1] = $0[1].replacingOccurrences(
                    of: "{\"actionType\"", with: "{\"approvedBy\":\"mallory\",\"actionType\"")
            }
        }
        defer { dir.remove() }
        expectProblem(verification, F.day2, 2, .altered, "canonical form")
    }

    @Test func reformattingALineIsCaught() throws {
        let (verification, dir) = try tampered { dir in
            F.edit(dir, F.day1) { $0[0] = $0[0].replacingOccurrences(of: "\",\"", with: "\", \"") }
        }
        defer { dir.remove() }
        expectProblem(verification, F.day1, 1, .altered, "canonical form")
    }

    @Test func aForgedLineWithARecomputedHashBreaksTheNextLink() throws {
        let (verification, dir) = try tampered { dir in
            F.edit(dir, F.day2) { lines in
                var entry = try! JSONDecoder().decode(AuditEntry.self, from: Data(lines[0].utf8))
                entry.reasoning = "Nothing happened."
                entry.hash = entry.computedHash
                lines[0] = entry.jsonLine
            }
        }
        defer { dir.remove() }
        expectProblem(verification, F.day2, 2, .removed, "prevHash does not link to the previous line (seq 4)")
    }

    @Test func onlyTheFirstProblemIsReported() throws {
        let (verification, dir) = try tampered { dir in
            F.edit(dir, F.day3) { $0.swapAt(0, 1) }
            F.edit(dir, F.day2) { $0.remove(at: 3) }
        }
        defer { dir.remove() }
        expectProblem(verification, F.day3, 1, .removed, "seq 7 is missing")
    }

    @Test func anEmptyDirectoryVerifiesWithNoEntries() throws {
        let dir = TemporaryDirectory("audit-verify")
        defer { dir.remove() }
        try "not an audit file".write(toFile: dir.path + "/README", atomically: false, encoding: .utf8)
        let verification = try F.verify(dir)
        #expect(
            verification.isValid && verification.entriesChecked == 0 && verification.filesChecked == 0
                && verification.firstSeq == nil)
    }

    @Test func aMissingDirectoryThrows() {
        #expect(throws: AuditDirectoryError.self) {
            try AuditVerifier.verify(directory: "/nonexistent/audit-\(UUID().uuidString)")
        }
    }

    @Test func problemDescriptionIsOneLine() {
        let problem = AuditProblem(
            file: F.day2, line: 3, kind: .removed, detail: "seq 5 is missing (previous line is seq 4)")
        #expect(
            problem.description
                == "ai-operator-audit-2026.02.28.jsonl:3: removed: seq 5 is missing (previous line is seq 4)")
    }
}
