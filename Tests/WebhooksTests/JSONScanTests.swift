import Foundation
import Testing

@testable import Webhooks

private func scan(_ text: String, member: String? = nil) -> JSONScan.Result {
    JSONScan.validate(Array(text.utf8), member: member)
}

@Suite struct JSONScanTableTests {
    @Test(arguments: [
        "{}", "[]", "0", "-0", "1", "-1.5e+10", "1E-2", "0.0", "123456789012345678901234567890",
        "1e400", "true", "false", "null", "\"\"", "\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\"",
        "\"\\u0000\\u00e9\\uFFFF\"", "\"\\uD83D\\uDE00\"", "\"é ✓ 😀\"", "\"\u{7F}\"",
        " \t\r\n{ \"a\" : [ 1 , 2 , { } , [ ] ] , \"b\" : null } \n",
        "{\"a\":{\"b\":{\"c\":[true,false,null,\"x\",-0.5E3]}}}",
        "[[[[[]]]]]", "[\"\",\"\"]", "{\"\":\"\"}",
    ])
    func valid(_ doc: String) {
        let result = scan(doc)
        #expect(result.isValid, "\(doc): \(String(describing: result.failure))")
        #expect(result.topLevelIsObject == doc.drop(while: { $0.isWhitespace }).hasPrefix("{"))
    }

    @Test(arguments: [
        ("", JSONScan.Reason.empty), ("   \n", .empty),
        ("{", .unexpectedEnd), ("[1,", .unexpectedEnd), ("\"abc", .unexpectedEnd), ("{\"a\":", .unexpectedEnd),
        ("[1,]", .trailingComma), ("{\"a\":1,}", .trailingComma), ("[,]", .unexpectedByte), ("[1,,2]", .unexpectedByte),
        ("{a:1}", .expectedKey), ("{1:1}", .expectedKey), ("{\"a\" 1}", .expectedColon), ("{\"a\",1}", .expectedColon),
        ("tru", .unexpectedEnd), ("trux", .invalidLiteral), ("nul", .unexpectedEnd), ("NaN", .unexpectedByte),
        ("Infinity", .unexpectedByte), ("True", .unexpectedByte), ("nulll", .trailingData),
        ("01", .invalidNumber), ("-", .unexpectedEnd), ("-a", .invalidNumber), ("1.", .unexpectedEnd),
        ("1.e3", .invalidNumber), (".5", .unexpectedByte), ("1e", .unexpectedEnd), ("1e+", .unexpectedEnd),
        ("[1e]", .invalidNumber), ("+1", .unexpectedByte), ("0x10", .trailingData), ("[-]", .invalidNumber),
        ("\"a\u{01}b\"", .controlCharacter), ("\"tab\there\"", .controlCharacter), ("\"\\x\"", .invalidEscape),
        ("\"\\u12\"", .invalidEscape), ("\"\\u12G4\"", .invalidEscape), ("\"\\uD800\"", .unpairedSurrogate),
        ("\"\\uDC00\"", .unpairedSurrogate), ("\"\\uD800\\u0041\"", .unpairedSurrogate), ("\"\\'\"", .invalidEscape),
        ("'a'", .unexpectedByte), ("/* c */ {}", .unexpectedByte), ("{} // c", .trailingData),
        ("{}{}", .trailingData), ("[1] 2", .trailingData), ("[1}", .unexpectedByte), ("{\"a\":1]", .unexpectedByte),
        ("]", .unexpectedByte), ("}", .unexpectedByte), ("{\"a\":}", .unexpectedByte), ("[1 2]", .unexpectedByte),
        ("\u{FEFF}{}", .unexpectedByte),
    ])
    func invalid(_ doc: String, _ reason: JSONScan.Reason) {
        let result = scan(doc)
        #expect(result.failure?.reason == reason, "\(doc.debugDescription): \(String(describing: result.failure))")
        #expect(!result.topLevelIsObject)
        #expect(result.member == nil)
    }

    @Test(
        arguments: [
            [0x22, 0xC0, 0x80, 0x22], [0x22, 0xC1, 0xBF, 0x22],  // overlong
            [0x22, 0xE0, 0x80, 0x80, 0x22], [0x22, 0xF0, 0x80, 0x80, 0x80, 0x22],
            [0x22, 0xED, 0xA0, 0x80, 0x22],  // encoded surrogate
            [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], [0x22, 0xF5, 0x80, 0x80, 0x80, 0x22],  // > U+10FFFF
            [0x22, 0xFF, 0x22], [0x22, 0x80, 0x22], [0x22, 0xE2, 0x82, 0x22], [0x22, 0xC3],  // stray, truncated
        ] as [[UInt8]])
    func invalidUTF8(_ doc: [UInt8]) {
        #expect(JSONScan.validate(doc).failure?.reason == .invalidUTF8)
    }

    @Test func validUTF8Boundaries() {
        for scalar: UInt32 in [0x7F, 0x80, 0x7FF, 0x800, 0xD7FF, 0xE000, 0xFFFD, 0xFFFF, 0x10000, 0x10FFFF] {
            let text = String(Character(Unicode.Scalar(scalar)!))
            let doc = "{\"action\":\"\(text)\"}"
            let result = scan(doc, member: "action")
            #expect(result.isValid, "U+\(String(scalar, radix: 16))")
            #expect(result.member == text)
        }
    }

    @Test func failureOffsets() {
        #expect(scan("[1,2,]").failure == JSONScan.Failure(reason: .trailingComma, offset: 5))
        #expect(scan("{\"a\":1} x").failure == JSONScan.Failure(reason: .trailingData, offset: 8))
        #expect(scan("\"abc\u{01}\"").failure == JSONScan.Failure(reason: .controlCharacter, offset: 4))
        #expect(scan("[tru]").failure == JSONScan.Failure(reason: .invalidLiteral, offset: 4))
        // Detected inside the 8-byte fast path of a long string.
        let long = "\"" + String(repeating: "a", count: 37) + "\u{02}" + String(repeating: "b", count: 20) + "\""
        #expect(scan(long).failure == JSONScan.Failure(reason: .controlCharacter, offset: 38))
        #expect(scan("[1,2,]").failure?.description == "trailing comma at byte 5")
    }

    @Test func depthLimit() {
        func nested(_ depth: Int) -> String {
            String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        }
        #expect(scan(nested(512)).isValid)
        #expect(scan(nested(513)).failure == JSONScan.Failure(reason: .tooDeep, offset: 512))
        #expect(JSONScan.validate(Array(nested(3).utf8), maxDepth: 2).failure?.reason == .tooDeep)
        #expect(JSONScan.validate(Array(nested(2).utf8), maxDepth: 2).isValid)
        // Deep garbage neither recurses nor allocates per level: a million unclosed brackets.
        let deep = [UInt8](repeating: UInt8(ascii: "["), count: 1_000_000)
        #expect(JSONScan.validate(deep).failure?.reason == .tooDeep)
        #expect(JSONScan.validate(deep, maxDepth: 10_000_000).failure?.reason == .tooDeep)  // clamped to 65536
        let objects = String(repeating: "{\"a\":", count: 600)
        #expect(scan(objects).failure?.reason == .tooDeep)
    }

    @Test func memberExtraction() {
        #expect(scan("{\"action\":\"completed\",\"x\":1}", member: "action").member == "completed")
        #expect(scan("{\"x\":{\"action\":\"nested\"},\"action\":\"top\"}", member: "action").member == "top")
        #expect(scan("{\"x\":{\"action\":\"nested\"}}", member: "action").member == nil)
        #expect(scan("[{\"action\":\"in array\"}]", member: "action").member == nil)
        #expect(scan("{\"action\":1}", member: "action").member == nil)
        #expect(scan("{\"action\":{\"a\":\"b\"}}", member: "action").member == nil)
        #expect(scan("{\"action\":null}", member: "action").member == nil)
        #expect(scan("{\"actions\":\"no\",\"actio\":\"no\"}", member: "action").member == nil)
        // Escapes in the value and in the key are decoded.
        #expect(
            scan("{\"action\":\"a\\\"b\\\\c\\/d\\n\\u00e9\\uD83D\\uDE00\"}", member: "action").member == "a\"b\\c/d\né😀"
        )
        #expect(scan("{\"\\u0061ction\":\"escaped key\"}", member: "action").member == "escaped key")
        #expect(scan("{\"app\":\"guestbook\",\"health\":\"Degraded\"}", member: "app").member == "guestbook")
        // The last duplicate wins, also when it is not a string.
        #expect(scan("{\"action\":\"first\",\"action\":\"second\"}", member: "action").member == "second")
        #expect(scan("{\"action\":\"first\",\"action\":2}", member: "action").member == nil)
        // An invalid document yields no member even when the member came first.
        #expect(scan("{\"action\":\"completed\",}", member: "action").member == nil)
        // Without a requested member nothing is extracted.
        #expect(scan("{\"action\":\"completed\"}").member == nil)
        #expect(scan("\"action\"", member: "action").member == nil)
    }

    @Test func emptyBuffer() {
        let empty = UnsafeRawBufferPointer(start: nil, count: 0)
        #expect(JSONScan.validate(empty).failure == JSONScan.Failure(reason: .empty, offset: 0))
    }
}

// MARK: - Differential test against Foundation

/// SplitMix64: small, fast and replayable.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }
}

/// Generates JSON text directly (not via a serializer) so that it covers escapes, odd
/// whitespace and number shapes a serializer would never produce.
struct JSONGenerator {
    var rng: SplitMix64

    mutating func document() -> [UInt8] {
        var out: [UInt8] = []
        if Int.random(in: 0..<4, using: &rng) == 0 { value(&out, depth: 0) } else { object(&out, depth: 0) }
        return out
    }

    mutating func ws(_ out: inout [UInt8]) {
        guard Int.random(in: 0..<4, using: &rng) == 0 else { return }
        for _ in 0..<Int.random(in: 1...3, using: &rng) {
            out.append([0x20, 0x09, 0x0A, 0x0D].randomElement(using: &rng)!)
        }
    }

    mutating func value(_ out: inout [UInt8], depth: Int) {
        ws(&out)
        let choice = Int.random(in: 0..<(depth > 6 ? 6 : 8), using: &rng)
        switch choice {
        case 0: out += Array("true".utf8)
        case 1: out += Array("false".utf8)
        case 2: out += Array("null".utf8)
        case 3, 4: number(&out)
        case 5: string(&out)
        case 6: array(&out, depth: depth + 1)
        default: object(&out, depth: depth + 1)
        }
        ws(&out)
    }

    mutating func object(_ out: inout [UInt8], depth: Int) {
        out.append(UInt8(ascii: "{"))
        let memberCount = Int.random(in: 0...5, using: &rng)
        for k in 0..<memberCount {
            if k > 0 { out.append(UInt8(ascii: ",")) }
            ws(&out)
            if Int.random(in: 0..<3, using: &rng) == 0 {
                out += Array(["\"action\"", "\"app\"", "\"\\u0061ction\""].randomElement(using: &rng)!.utf8)
            } else {
                string(&out)
            }
            ws(&out)
            out.append(UInt8(ascii: ":"))
            value(&out, depth: depth)
        }
        ws(&out)
        out.append(UInt8(ascii: "}"))
    }

    mutating func array(_ out: inout [UInt8], depth: Int) {
        out.append(UInt8(ascii: "["))
        let elementCount = Int.random(in: 0...5, using: &rng)
        for k in 0..<elementCount {
            if k > 0 { out.append(UInt8(ascii: ",")) }
            value(&out, depth: depth)
        }
        ws(&out)
        out.append(UInt8(ascii: "]"))
    }

    mutating func number(_ out: inout [UInt8]) {
        var text = ""
        if Bool.random(using: &rng) { text += "-" }
        if Int.random(in: 0..<4, using: &rng) == 0 {
            text += "0"
        } else {
            text += String(Int.random(in: 1...9, using: &rng))
            for _ in 0..<Int.random(in: 0...6, using: &rng) { text += String(Int.random(in: 0...9, using: &rng)) }
        }
        if Bool.random(using: &rng) {
            text += "."
            for _ in 0..<Int.random(in: 1...4, using: &rng) { text += String(Int.random(in: 0...9, using: &rng)) }
        }
        if Int.random(in: 0..<3, using: &rng) == 0 {
            text += ["e", "E"].randomElement(using: &rng)! + ["", "+", "-"].randomElement(using: &rng)!
            text += String(Int.random(in: 0...99, using: &rng))
        }
        out += Array(text.utf8)
    }

    mutating func string(_ out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        let pieces = [
            "a", "Z", " ", "0", "é", "✓", "😀", "\\\"", "\\\\", "\\/", "\\b", "\\f", "\\n", "\\r", "\\t",
            "\\u0041", "\\u00e9", "\\u0000", "\\uD83D\\uDE00", "\\uFFFF", "\u{7F}", "completed", "guestbook",
        ]
        for _ in 0..<Int.random(in: 0...12, using: &rng) { out += Array(pieces.randomElement(using: &rng)!.utf8) }
        out.append(UInt8(ascii: "\""))
    }

    /// One to three byte-level mutations that tend to hit grammar edges.
    mutating func mutate(_ doc: [UInt8]) -> [UInt8] {
        var mutated = doc
        let interesting: [UInt8] =
            Array("{}[],:\"\\ 0123456789-+.eEtfnulx/\u{1}".utf8) + [0x80, 0xC3, 0xE2, 0xED, 0xF0, 0xF4, 0xFF, 0xA9]
        for _ in 0..<Int.random(in: 1...3, using: &rng) {
            let position = mutated.isEmpty ? 0 : Int.random(in: 0..<mutated.count, using: &rng)
            switch Int.random(in: 0..<6, using: &rng) {
            case 0 where !mutated.isEmpty: mutated[position] = interesting.randomElement(using: &rng)!
            case 1: mutated.insert(interesting.randomElement(using: &rng)!, at: position)
            case 2 where !mutated.isEmpty: mutated.remove(at: position)
            case 3: mutated = Array(mutated.prefix(position))  // truncate
            case 4 where !mutated.isEmpty: mutated[position] ^= UInt8(1) << UInt8(Int.random(in: 0..<8, using: &rng))
            default:  // insert a trailing comma
                if let close = mutated.lastIndex(where: { $0 == UInt8(ascii: "]") || $0 == UInt8(ascii: "}") }) {
                    mutated.insert(UInt8(ascii: ","), at: close)
                }
            }
        }
        return mutated
    }
}

@Suite struct JSONScanDifferentialTests {
    /// Replay a failure with the seed printed in the failing expectation.
    static let seed: UInt64 = 0x5EED_2026_0001

    enum Verdict { case agree, knownDivergence, excluded }

    /// Compares JSONScan with `JSONSerialization` (fragments allowed) on one document.
    static func compare(_ doc: [UInt8], caseIndex: Int, counts: inout [String: Int]) {
        // Foundation sniffs UTF-16/32 from NUL bytes and BOMs in the first bytes; we only
        // speak UTF-8, so such inputs are not comparable.
        if doc.prefix(4).contains(0) || doc.first.map({ $0 == 0xEF || $0 == 0xFE || $0 == 0xFF }) == true {
            counts["excluded: encoding sniffing", default: 0] += 1
            return
        }
        let ours = JSONScan.validate(doc, member: "action")
        let theirs: Any?
        var theirError = ""
        do {
            theirs = try JSONSerialization.jsonObject(with: Data(doc), options: [.fragmentsAllowed])
        } catch {
            theirs = nil
            theirError = "\(error)"
        }
        let context =
            "case \(caseIndex) seed \(seed): \(String(decoding: doc, as: UTF8.self).debugDescription) ours=\(String(describing: ours.failure)) theirs=\(theirError)"
        switch (ours.isValid, theirs != nil) {
        case (true, true):
            counts["both valid", default: 0] += 1
            let dict = theirs as? [String: Any]
            #expect(ours.topLevelIsObject == (dict != nil), "\(context)")
            #expect(ours.member == dict?["action"] as? String, "\(context)")
        case (false, false):
            counts["both invalid", default: 0] += 1
        case (false, true):
            // Foundation tolerates trailing commas; RFC 8259 does not.
            if ours.failure?.reason == .trailingComma {
                counts["known: Foundation accepts trailing comma", default: 0] += 1
            } else {
                Issue.record("we reject, Foundation accepts: \(context)")
            }
        case (true, false):
            // Foundation refuses numbers outside Double's range; the grammar allows them.
            if theirError.contains("not representable") {
                counts["known: Foundation rejects huge number", default: 0] += 1
            } else {
                Issue.record("we accept, Foundation rejects: \(context)")
            }
        }
    }

    @Test func generatedAndMutatedDocumentsAgreeWithFoundation() {
        var gen = JSONGenerator(rng: SplitMix64(seed: Self.seed))
        var counts: [String: Int] = [:]
        let total = 6000
        for k in 0..<total {
            let doc = gen.document()
            if k % 3 == 0 {
                Self.compare(doc, caseIndex: k, counts: &counts)
            } else {
                Self.compare(gen.mutate(doc), caseIndex: k, counts: &counts)
            }
        }
        // The corpus must exercise both sides, or the comparison proves nothing.
        #expect(counts["both valid", default: 0] > 1500, "\(counts)")
        #expect(counts["both invalid", default: 0] > 1500, "\(counts)")
        print("JSONScan differential (seed \(Self.seed), \(total) cases): \(counts.sorted { $0.key < $1.key })")
    }

    @Test func randomBytesNeverCrashAndMatchFoundation() {
        var rng = SplitMix64(seed: Self.seed ^ 0xFF)
        var counts: [String: Int] = [:]
        let alphabet: [UInt8] = Array("{}[],:\"\\ tfnrue0123456789-.E".utf8) + [0xC3, 0xA9, 0x80]
        for k in 0..<3000 {
            let length = Int.random(in: 0...24, using: &rng)
            let doc = (0..<length).map { _ in alphabet.randomElement(using: &rng)! }
            Self.compare(doc, caseIndex: k, counts: &counts)
        }
        #expect(counts["both invalid", default: 0] > 0)
    }
}
