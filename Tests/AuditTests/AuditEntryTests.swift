import Audit
import Foundation
import RollbackCore
import Testing

@Suite struct AuditEntryTests {
    typealias F = Fixtures

    private func stored(_ entry: AuditEntry, seq: Int = 1, prevHash: String = AuditHash.genesis) -> AuditEntry {
        var entry = entry
        entry.timestamp = "2026-02-27T10:30:00.123Z"
        entry.seq = seq
        entry.prevHash = prevHash
        entry.hash = entry.computedHash
        return entry
    }

    @Test func sha256MatchesTheStandardVector() {
        #expect(
            AuditHash.hex(AuditHash.sha256(Array("abc".utf8)))
                == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(AuditHash.genesis == String(repeating: "0", count: 64))
    }

    @Test func theHashCoversPrevHashNewlineAndTheLineWithoutHash() {
        let entry = stored(F.transition(1))
        let body = entry.jsonLine.replacingOccurrences(of: ",\"hash\":\"\(entry.hash)\"", with: "")
        #expect(entry.hashedBody == Array(body.utf8))
        #expect(entry.hash == AuditHash.hex(AuditHash.sha256(Array((AuditHash.genesis + "\n" + body).utf8))))
        var other = entry
        other.prevHash = String(repeating: "1", count: 64)
        #expect(other.computedHash != entry.hash)
    }

    @Test func theLineIsCanonicalSortedAndCompact() throws {
        let entry = stored(F.invariantCheck())
        let line = entry.jsonLine
        #expect(!line.contains("\n") && !line.contains("\": ") && !line.contains(", \"") && !line.contains("{ "))
        let keys = [
            "actionType", "actor", "correlationId", "fsmState", "hash", "invariantsChecked", "level",
            "metadata", "prevHash", "reasoning", "seq", "timestamp", "version",
        ]
        let positions = keys.map { line.range(of: "\"\($0)\":")!.lowerBound }
        #expect(positions == positions.sorted())
        let ids = InvariantID.allCases.map { line.range(of: "\"\($0.rawValue)\":\"PASS\"")!.lowerBound }
        #expect(ids == ids.sorted())  // I1..I8
        // Decoding and re-encoding gives the same bytes; Foundation's encoder agrees on the values.
        let back = try JSONDecoder().decode(AuditEntry.self, from: Data(line.utf8))
        #expect(back == entry && back.jsonLine == line)
        let viaEncoder = try JSONDecoder().decode(AuditEntry.self, from: JSONEncoder().encode(entry))
        #expect(viaEncoder == entry)
    }

    /// A line written by an independent implementation of the format (Python: `json.dumps(e,
    /// sort_keys=True, separators=(",", ":"), ensure_ascii=False)` and `hashlib.sha256`); pins
    /// the format so old logs keep verifying.
    @Test func aGoldenLineFromAnotherImplementationVerifies() throws {
        let line =
            #"{"actionType":"FSM_TRANSITION","actor":"ai-operator-v0.1.0","correlationId":"c-1","fsmState":{"after":"DegradationDetected","before":"Idle"},"hash":"511c901f17922e73f767945385384a381a80812c0d9520c7c64f48a1a7ae84a2","level":"INFO","metadata":{"app_name":"payment-service","environment":"staging","event":"HealthChecked"},"prevHash":"aa181d4f175ea4216472ee1f3324612d99677b21773a21c3d1a33d847efd2908","reasoning":"Step 3","seq":4,"timestamp":"2026-02-28T00:00:00.000Z","version":"0.1.0"}"#
        let entry = try JSONDecoder().decode(AuditEntry.self, from: Data(line.utf8))
        #expect(entry.computedHash == entry.hash)
        #expect(entry.jsonLine == line)
    }

    @Test func foundationsSortedCompactJSONAgreesByteForByte() throws {
        // An independent oracle for the hand-written canonical form (ASCII content).
        for (index, entry) in [
            F.transition(1), F.invariantCheck(), F.call(), F.call(correlationId: nil), F.escalation(),
        ]
        .enumerated() {
            let line = stored(entry, seq: 1000 + index).jsonLine
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8))
            let again = try JSONSerialization.data(
                withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
            #expect(String(decoding: again, as: UTF8.self) == line)
        }
    }

    @Test func stringsAreEscapedMinimally() throws {
        var entry = F.transition(1)
        entry.reasoning = "quote \" slash / backslash \\ tab \t newline \n bell \u{07} é 🚀"
        let storedEntry = stored(entry)
        #expect(
            storedEntry.jsonLine.contains(
                #""reasoning":"quote \" slash / backslash \\ tab \t newline \n bell \u0007 é 🚀""#))
        #expect(try JSONDecoder().decode(AuditEntry.self, from: Data(storedEntry.jsonLine.utf8)) == storedEntry)
    }

    @Test func aNullCorrelationIdIsWrittenAsNull() throws {
        let entry = stored(F.call(correlationId: nil))
        #expect(entry.jsonLine.contains("\"correlationId\":null"))
        #expect(try JSONDecoder().decode(AuditEntry.self, from: Data(entry.jsonLine.utf8)).correlationId == nil)
        let encoded = String(decoding: try JSONEncoder().encode(entry), as: UTF8.self)
        #expect(encoded.contains("\"correlationId\":null"))
    }

    @Test func anEntryFromACoreRecordCarriesItsFieldsAndTheAppInMetadata() {
        let entry = AuditEntry(
            record: F.record(
                .escalation, level: .warning, correlationId: "c-9", reasoning: "Because.",
                before: .prCreated, after: .abort, event: "CIReported", escalation: .ciFailure),
            app: "payment-service", environment: .production, version: "1.2.3",
            extraMetadata: ["prNumber": "42", "githubToken": "ghs_abc"])
        #expect(entry.version == "1.2.3" && entry.actor == "ai-operator-v1.2.3")
        #expect(entry.actionType == .escalation && entry.level == .warning && entry.correlationId == "c-9")
        #expect(entry.reasoning == "Because.")
        #expect(entry.fsmState == AuditEntry.FSMState(before: "PRCreated", after: "Abort"))
        #expect(entry.escalation == "CI_FAILURE")
        #expect(entry.invariantsChecked == nil && entry.mcpCall == nil)
        #expect(
            entry.metadata == [
                "app_name": "payment-service", "environment": "production", "event": "CIReported",
                "prNumber": "42", "githubToken": "[REDACTED]",
            ])
        let invariantEntry = F.invariantCheck()
        #expect(invariantEntry.invariantsChecked?.count == 8)
        #expect(invariantEntry.invariantsChecked?["I8_branch_protection"] == "PASS")
    }

    @Test func callParametersNeverCarryCredentials() {
        let entry = stored(
            AuditEntry(
                mcpCall: "github.createPullRequest",
                parameters: [
                    "Authorization": "Bearer ghs_supersecret1", "repository": "acme/gitops", "access_token": "tok-1",
                    "clientSecret": "s3cr3t", "password": "hunter2", "api_key": "k-123", "X-Api-Key": "k-456",
                    "note": "retry with token ghp_inline123",
                ],
                result: "UNAUTHORIZED", response: "bad credentials for Bearer ghs_supersecret1", durationMs: 40,
                retryCount: 1, httpStatus: 401, correlationId: "c-1", version: F.version))
        let parameters = entry.mcpCall!.parameters
        for key in ["Authorization", "access_token", "clientSecret", "password", "api_key", "X-Api-Key"] {
            #expect(parameters[key] == "[REDACTED]", "\(key)")
        }
        #expect(parameters["repository"] == "acme/gitops")
        #expect(parameters["note"] == "retry with token [REDACTED]")
        let line = entry.jsonLine
        for secret in ["ghs_supersecret1", "tok-1", "s3cr3t", "hunter2", "k-123", "k-456", "ghp_inline123"] {
            #expect(!line.contains(secret), "\(secret)")
        }
        #expect(entry.level == .warning && entry.error == "UNAUTHORIZED: bad credentials for Bearer [REDACTED]")
        #expect(entry.metadata?["httpStatus"] == "401")
        #expect(entry.mcpCall?.retryCount == 1 && entry.mcpCall?.durationMs == 40)
    }

    @Test func aSuccessfulCallIsInfoWithASentence() {
        let entry = F.call()
        #expect(entry.actionType == .mcpCall && entry.level == .info && entry.error == nil)
        #expect(entry.reasoning == "Called github.createPullRequest: ok after 120 ms and 0 retries.")
        #expect(entry.mcpCall?.response == "#42")
    }

    @Test func timestampsAreUTCMillisecondsBothWays() {
        let date = Date(timeIntervalSince1970: 1_772_188_200.123)  // 2026-02-27T10:30:00.123Z
        #expect(AuditTimestamp.format(date) == "2026-02-27T10:30:00.123Z")
        #expect(AuditTimestamp.parse("2026-02-27T10:30:00.123Z") == 1_772_188_200_123)
        #expect(AuditTimestamp.format(milliseconds: 0) == "1970-01-01T00:00:00.000Z")
        #expect(AuditTimestamp.format(milliseconds: -1) == "1969-12-31T23:59:59.999Z")
        #expect(AuditTimestamp.day(milliseconds: 1_772_236_799_999) == "2026.02.27")
        #expect(AuditTimestamp.day(milliseconds: 1_772_236_800_000) == "2026.02.28")
        for bad in [
            "2026-02-27T10:30:00Z", "2026-02-30T10:30:00.000Z", "2026-02-27 10:30:00.000Z", "2026-02-27T24:00:00.000Z",
        ] {
            #expect(AuditTimestamp.parse(bad) == nil, "\(bad)")
        }
        #expect(AuditTimestamp.parse("2024-02-29T00:00:00.000Z") != nil)
        #expect(AuditFiles.fileName(milliseconds: 1_772_188_200_123) == "ai-operator-audit-2026.02.27.jsonl")
        #expect(AuditFiles.day(ofFileName: "ai-operator-audit-2026.02.27.jsonl") == "2026.02.27")
        #expect(AuditFiles.day(ofFileName: "ai-operator-audit-2026.13.01.jsonl") == nil)
        #expect(AuditFiles.day(ofFileName: "other.jsonl") == nil)
    }
}
