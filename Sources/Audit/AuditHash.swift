import COpenSSL

/// The chain hash: `hex(SHA-256(prevHash + "\n" + canonical JSON of the entry without "hash"))`.
public enum AuditHash {
    /// `prevHash` of the first entry ever.
    public static let genesis = String(repeating: "0", count: 64)

    public static func chain(prevHash: String, body: [UInt8]) -> String {
        var input: [UInt8] = []
        input.reserveCapacity(prevHash.utf8.count + 1 + body.count)
        input.append(contentsOf: prevHash.utf8)
        input.append(0x0A)
        input.append(contentsOf: body)
        return hex(sha256(input))
    }

    /// SHA-256 through libcrypto's one-shot `EVP_Digest`.
    public static func sha256(_ bytes: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        let ok = bytes.withUnsafeBytes { input in
            out.withUnsafeMutableBufferPointer { buffer in
                EVP_Digest(input.baseAddress, input.count, buffer.baseAddress, &length, EVP_sha256(), nil)
            }
        }
        precondition(ok == 1 && length == 32, "EVP_Digest(SHA-256) failed")
        return out
    }

    private static let digits = Array("0123456789abcdef".utf8)

    public static func hex(_ bytes: [UInt8]) -> String {
        var chars = [UInt8]()
        chars.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            chars.append(digits[Int(byte >> 4)])
            chars.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: chars, as: UTF8.self)
    }

    /// 64 lowercase hex digits.
    static func isWellFormed(_ hash: String) -> Bool {
        hash.utf8.count == 64 && hash.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }
    }
}
