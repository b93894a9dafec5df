import Testing

@testable import Webhooks

private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }
private func hexBytes(_ hex: String) -> [UInt8] {
    var out: [UInt8] = []
    var digits = hex.utf8.makeIterator()
    while let high = digits.next(), let low = digits.next() {
        out.append(UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16)!)
    }
    return out
}

@Suite struct HMACTests {
    @Test func gitHubDocumentedVector() {
        let hex = HMACSHA256.hex(key: bytes("It's a Secret to Everybody"), message: bytes("Hello, World!"))
        #expect(hex == "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17")
    }

    /// RFC 4231 section 4 test cases 1, 2, 3, 4, 6 and 7 (case 5 is truncated output).
    @Test(arguments: [
        (
            "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "4869205468657265",
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        ),
        (
            "4a656665", "7768617420646f2079612077616e7420666f72206e6f7468696e673f",
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        ),
        (
            String(repeating: "aa", count: 20), String(repeating: "dd", count: 50),
            "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"
        ),
        (
            "0102030405060708090a0b0c0d0e0f10111213141516171819", String(repeating: "cd", count: 50),
            "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"
        ),
        (
            String(repeating: "aa", count: 131),
            "54657374205573696e67204c6172676572205468616e20426c6f636b2d53697a65204b6579202d2048617368204b6579204669727374",
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        ),
        (
            String(repeating: "aa", count: 131),
            "5468697320697320612074657374207573696e672061206c6172676572207468616e20626c6f636b2d73697a65206b657920616e642061206c6172676572207468616e20626c6f636b2d73697a6520646174612e20546865206b6579206e6565647320746f20626520686173686564206265666f7265206265696e6720757365642062792074686520484d414320616c676f726974686d2e",
            "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"
        ),
    ])
    func rfc4231(key: String, data: String, expected: String) {
        #expect(HMACSHA256.hex(key: hexBytes(key), message: hexBytes(data)) == expected)
        // The raw-buffer overload agrees with the array overload.
        let keyBytes = hexBytes(key)
        let dataBytes = hexBytes(data)
        let viaBuffers = keyBytes.withUnsafeBytes { keyBuffer in
            dataBytes.withUnsafeBytes { dataBuffer in HMACSHA256.hex(key: keyBuffer, message: dataBuffer) }
        }
        #expect(viaBuffers == expected)
        // A prepared key gives the same MAC, again and again from its reused contexts.
        let prepared = HMACSHA256.Key(keyBytes)
        for _ in 0..<3 {
            #expect(lowercaseHex(dataBytes.withUnsafeBytes { prepared.authenticationCode(of: $0) }) == expected)
        }
    }

    @Test func aPreparedKeyIsResetBetweenMessagesAndSharedSafelyAcrossThreads() async {
        let key = bytes("It's a Secret to Everybody")
        let prepared = HMACSHA256.Key(key)
        // Messages of many lengths, so a context that kept state from an earlier message would
        // give a wrong MAC; more concurrent callers than the pool keeps.
        let messages = (0..<64).map { n in (0..<(n * 97 % 9000)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ n) } }
        let expected = messages.map { HMACSHA256.authenticationCode(key: key, message: $0) }
        let mismatches = await withTaskGroup(of: Int.self) { group in
            for worker in 0..<24 {
                group.addTask {
                    var wrong = 0
                    for round in 0..<40 {
                        let index = (worker * 7 + round) % messages.count
                        if messages[index].withUnsafeBytes({ prepared.authenticationCode(of: $0) }) != expected[index] {
                            wrong += 1
                        }
                    }
                    return wrong
                }
            }
            return await group.reduce(0, +)
        }
        #expect(mismatches == 0)
        #expect(
            [UInt8]().withUnsafeBytes { prepared.authenticationCode(of: $0) }
                == HMACSHA256.authenticationCode(key: key, message: []))
    }

    @Test func emptyKeyAndMessage() {
        #expect(
            HMACSHA256.hex(key: [], message: [])
                == "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad")
        #expect(HMACSHA256.authenticationCode(key: [], message: []).count == 32)
    }

    @Test func hexRendering() {
        #expect(lowercaseHex([0x00, 0x0f, 0xa0, 0xff]) == "000fa0ff")
        #expect(lowercaseHex([]) == "")
    }
}

@Suite struct ConstantTimeTests {
    @Test func equality() {
        #expect(constantTimeEquals([1, 2, 3], [1, 2, 3]))
        #expect(!constantTimeEquals([1, 2, 3], [1, 2, 4]))
        #expect(!constantTimeEquals([9, 2, 3], [1, 2, 3]))
        #expect(!constantTimeEquals([1, 2, 3], [1, 2]))
        #expect(!constantTimeEquals([], [0]))
        #expect(constantTimeEquals([], []))
        #expect(constantTimeEquals("abc", "abc"))
        #expect(!constantTimeEquals("abc", "abd"))
    }
}

@Suite struct GitHubSignatureVerifierTests {
    let verifier = GitHubSignatureVerifier(secret: "It's a Secret to Everybody")
    let body = bytes("Hello, World!")
    let good = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"

    @Test func documentedHeaderIsValid() {
        #expect(verifier.signatureHeader(for: body) == good)
        #expect(verifier.verify(body: body, signatureHeader: good) == .valid)
        #expect(verifier.verify(body: body, signatureHeader: "  " + good + "\t") == .valid)
        #expect(
            verifier.verify(body: body, signatureHeader: "sha256=" + String(good.dropFirst(7)).uppercased()) == .valid)
        let viaBuffer = body.withUnsafeBytes { verifier.verify(body: $0, signatureHeader: good) }
        #expect(viaBuffer == .valid)
    }

    @Test func missing() {
        #expect(verifier.verify(body: body, signatureHeader: nil) == .missing)
        #expect(verifier.verify(body: body, signatureHeader: "") == .missing)
        #expect(verifier.verify(body: body, signatureHeader: "   ") == .missing)
    }

    @Test(arguments: [
        "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",  // no prefix
        "sha1=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",  // wrong algorithm
        "SHA256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",  // prefix is case-sensitive
        "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e1",  // 63 digits
        "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e177",  // 65 digits
        "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e1g",  // not hex
        "sha256= 57107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
        "sha256=",
        "sha256=" + String(repeating: "a", count: 5000),
    ])
    func malformed(header: String) {
        #expect(verifier.verify(body: body, signatureHeader: header) == .malformed)
    }

    @Test func mismatch() {
        // One digit changed, a different body, a different secret.
        let flipped = String(good.dropLast()) + "8"
        #expect(verifier.verify(body: body, signatureHeader: flipped) == .mismatch)
        #expect(verifier.verify(body: bytes("Hello, World?"), signatureHeader: good) == .mismatch)
        #expect(GitHubSignatureVerifier(secret: "other").verify(body: body, signatureHeader: good) == .mismatch)
        #expect(verifier.verify(body: [], signatureHeader: good) == .mismatch)
    }

    @Test func nonASCIIBodyIsSignedAsRawBytes() {
        let raw: [UInt8] = Array("{\"comment\":\"héllo ✓\"}".utf8) + [0xFF]  // not even valid UTF-8
        let header = "sha256=" + HMACSHA256.hex(key: bytes("s3cr3t"), message: raw)
        #expect(GitHubSignatureVerifier(secret: "s3cr3t").verify(body: raw, signatureHeader: header) == .valid)
    }

    @Test func secretNeverShows() {
        let secret = "It's a Secret to Everybody"
        for text in [
            verifier.description, String(describing: verifier), String(reflecting: verifier),
            "\(verifier)", dumped(verifier),
        ] {
            #expect(!text.contains(secret))
            #expect(!text.contains("Secret to"))
        }
        #expect(verifier.description.contains("redacted"))
    }
}

@Suite struct BearerTokenVerifierTests {
    let verifier = BearerTokenVerifier(token: "tok-123.abc")

    @Test(arguments: ["Bearer tok-123.abc", "bearer tok-123.abc", "BEARER tok-123.abc", "  Bearer\t tok-123.abc  "])
    func accepts(header: String) {
        #expect(verifier.verify(authorizationHeader: header))
    }

    @Test(arguments: [
        "Bearer tok-123.abd", "Bearer tok-123.ab", "Bearer tok-123.abcd", "Bearer TOK-123.ABC",
        "Basic tok-123.abc", "Bearertok-123.abc", "tok-123.abc", "Bearer", "Bearer ", "",
        "Bearer tok-123.abc extra", "Bearer  ", "Bear tok-123.abc",
    ])
    func rejects(header: String) {
        #expect(!verifier.verify(authorizationHeader: header))
    }

    @Test func missingHeaderAndEmptyToken() {
        #expect(!verifier.verify(authorizationHeader: nil))
        let empty = BearerTokenVerifier(token: "")
        #expect(!empty.verify(authorizationHeader: "Bearer "))
        #expect(!empty.verify(authorizationHeader: "Bearer"))
        #expect(!empty.verify(authorizationHeader: nil))
    }

    @Test func tokenNeverShows() {
        for text in [verifier.description, String(reflecting: verifier), "\(verifier)", dumped(verifier)] {
            #expect(!text.contains("tok-123"))
        }
    }
}

func dumped<T>(_ value: T) -> String {
    var out = ""
    dump(value, to: &out)
    return out
}
