// Webhook authentication: HMAC-SHA256 (GitHub `X-Hub-Signature-256`) and bearer tokens
// (Argo CD notifications). Both compare in constant time through libcrypto's
// `CRYPTO_memcmp`. Secrets never appear in descriptions, debug descriptions or mirrors.
import COpenSSL

// MARK: - HMAC-SHA256

/// HMAC-SHA256 through libcrypto's one-shot `HMAC()` (not deprecated in OpenSSL 3.0).
public enum HMACSHA256 {
    /// The digest length in bytes.
    public static let byteCount = 32

    /// The 32-byte MAC of `message` under `key`.
    ///
    /// Traps only if libcrypto itself fails (allocation failure or a missing default
    /// provider), which no input can cause.
    public static func authenticationCode(key: UnsafeRawBufferPointer, message: UnsafeRawBufferPointer) -> [UInt8] {
        // HMAC (RFC 2104) hashes keys longer than the block size first, so hashing a key that
        // does not fit the C `int` length ourselves gives the identical result.
        if key.count > Int(Int32.max) {
            let hashedKey = sha256(key)
            return hashedKey.withUnsafeBytes { authenticationCode(key: $0, message: message) }
        }
        // Never hand libcrypto a NULL pointer, even for empty inputs.
        var empty: UInt8 = 0
        return withUnsafeMutablePointer(to: &empty) { emptyPointer in
            let keyPointer = key.baseAddress ?? UnsafeRawPointer(emptyPointer)
            let dataPointer = message.baseAddress?.assumingMemoryBound(to: UInt8.self)
                ?? UnsafePointer(emptyPointer)
            var out = [UInt8](repeating: 0, count: byteCount)
            var outLength: UInt32 = 0
            let result = out.withUnsafeMutableBufferPointer { buffer in
                HMAC(EVP_sha256(), keyPointer, Int32(key.count), dataPointer, message.count,
                     buffer.baseAddress, &outLength)
            }
            precondition(result != nil && outLength == UInt32(byteCount), "libcrypto HMAC failed")
            return out
        }
    }

    /// The 32-byte MAC of `message` under `key`.
    public static func authenticationCode(key: [UInt8], message: [UInt8]) -> [UInt8] {
        key.withUnsafeBytes { k in message.withUnsafeBytes { m in authenticationCode(key: k, message: m) } }
    }

    /// The MAC as 64 lowercase hexadecimal characters.
    public static func hex(key: UnsafeRawBufferPointer, message: UnsafeRawBufferPointer) -> String {
        lowercaseHex(authenticationCode(key: key, message: message))
    }

    /// The MAC as 64 lowercase hexadecimal characters.
    public static func hex(key: [UInt8], message: [UInt8]) -> String {
        lowercaseHex(authenticationCode(key: key, message: message))
    }

    private static func sha256(_ data: UnsafeRawBufferPointer) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: byteCount)
        var outLength: UInt32 = 0
        let ok = out.withUnsafeMutableBufferPointer { buffer in
            EVP_Digest(data.baseAddress, data.count, buffer.baseAddress, &outLength, EVP_sha256(), nil)
        }
        precondition(ok == 1 && outLength == UInt32(byteCount), "libcrypto SHA-256 failed")
        return out
    }
}

/// Lowercase hexadecimal rendering of `bytes`.
public func lowercaseHex(_ bytes: [UInt8]) -> String {
    let digits: [UInt8] = Array("0123456789abcdef".utf8)
    var out = [UInt8](repeating: 0, count: bytes.count * 2)
    var i = 0
    for byte in bytes {
        out[i] = digits[Int(byte >> 4)]
        out[i + 1] = digits[Int(byte & 0x0F)]
        i += 2
    }
    return String(decoding: out, as: UTF8.self)
}

// MARK: - Constant-time comparison

/// Compares two byte buffers without data-dependent early exits when their lengths are
/// equal (`CRYPTO_memcmp`). Buffers of different lengths are unequal; only the length
/// (never the content) can be learned from the timing.
public func constantTimeEquals(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
    guard a.count == b.count else { return false }
    guard a.count > 0, let pa = a.baseAddress, let pb = b.baseAddress else { return true }
    return CRYPTO_memcmp(pa, pb, a.count) == 0
}

/// Constant-time comparison of two byte arrays (see the buffer overload).
public func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    a.withUnsafeBytes { pa in b.withUnsafeBytes { pb in constantTimeEquals(pa, pb) } }
}

/// Constant-time comparison of the UTF-8 bytes of two strings (see the buffer overload).
public func constantTimeEquals(_ a: String, _ b: String) -> Bool {
    constantTimeEquals(Array(a.utf8), Array(b.utf8))
}

// MARK: - GitHub signatures

/// The outcome of checking an `X-Hub-Signature-256` header.
public enum SignatureCheck: String, Sendable, Equatable, CustomStringConvertible {
    /// The header matches the body.
    case valid
    /// No header (or an empty one).
    case missing
    /// Not `sha256=` followed by 64 hexadecimal characters.
    case malformed
    /// Well formed, but not the MAC of this body under our secret.
    case mismatch

    public var description: String { rawValue }
}

/// Verifies GitHub's `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>`.
///
/// The expected header is computed in full and compared to the received one in constant
/// time. Hex digits of either case are accepted (GitHub sends lowercase); the received
/// digest is lowercased before the comparison. The secret never appears in any description.
public struct GitHubSignatureVerifier: Sendable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    /// The header name GitHub uses.
    public static let headerName = "X-Hub-Signature-256"
    static let prefix: [UInt8] = Array("sha256=".utf8)
    static let headerLength = 7 + 2 * 32   // "sha256=" + 64 hex digits

    private let secret: [UInt8]

    /// - Parameter secret: the webhook secret configured on the GitHub App (UTF-8).
    public init(secret: String) { self.secret = Array(secret.utf8) }
    /// - Parameter secret: the webhook secret as raw bytes.
    public init(secret: [UInt8]) { self.secret = secret }

    /// The header value GitHub would send for `body`: `sha256=` + 64 lowercase hex digits.
    public func signatureHeader(for body: UnsafeRawBufferPointer) -> String {
        let mac = secret.withUnsafeBytes { HMACSHA256.authenticationCode(key: $0, message: body) }
        return "sha256=" + lowercaseHex(mac)
    }

    /// The header value GitHub would send for `body`.
    public func signatureHeader(for body: [UInt8]) -> String {
        body.withUnsafeBytes { signatureHeader(for: $0) }
    }

    /// Checks `signatureHeader` (the raw header value, `nil` when absent) against `body`
    /// (the raw request body exactly as received). Surrounding spaces/tabs are ignored;
    /// an empty value counts as missing.
    public func verify(body: UnsafeRawBufferPointer, signatureHeader header: String?) -> SignatureCheck {
        guard let header else { return .missing }
        let utf8 = header.utf8
        // Bound the work before copying anything: a valid value is 71 bytes plus whitespace.
        if utf8.count > 1024 { return .malformed }
        var received = Array(utf8)
        func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 }
        while let last = received.last, isSpace(last) { received.removeLast() }
        let leading = received.prefix(while: isSpace).count
        if leading > 0 { received.removeFirst(leading) }
        if received.isEmpty { return .missing }
        guard received.count == Self.headerLength, received.starts(with: Self.prefix) else { return .malformed }
        for i in Self.prefix.count..<received.count {
            let c = received[i]
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "f"): break
            case UInt8(ascii: "A")...UInt8(ascii: "F"): received[i] = c | 0x20
            default: return .malformed
            }
        }
        let expected = Array(signatureHeader(for: body).utf8)
        return constantTimeEquals(expected, received) ? .valid : .mismatch
    }

    /// Checks `signatureHeader` against `body` (see the buffer overload).
    public func verify(body: [UInt8], signatureHeader header: String?) -> SignatureCheck {
        body.withUnsafeBytes { verify(body: $0, signatureHeader: header) }
    }

    public var description: String { "GitHubSignatureVerifier(secret: <redacted>)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["secret": "<redacted>"]) }
}

// MARK: - Bearer tokens

/// Verifies `Authorization: Bearer <token>` (Argo CD notifications, the REST API) in
/// constant time. The scheme is case-insensitive; the token is compared byte for byte.
/// An empty configured token never authorizes anything. The token never appears in any
/// description.
public struct BearerTokenVerifier: Sendable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    private let token: [UInt8]

    public init(token: String) { self.token = Array(token.utf8) }

    /// `true` only for `Bearer <token>` (any case of `Bearer`, spaces or tabs between the
    /// scheme and the token, optional whitespace around the value) with exactly our token.
    public func verify(authorizationHeader header: String?) -> Bool {
        guard !token.isEmpty, let header else { return false }
        let bytes = Array(header.utf8)
        func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 }
        var start = 0, end = bytes.count
        while start < end, isSpace(bytes[start]) { start += 1 }
        while end > start, isSpace(bytes[end - 1]) { end -= 1 }
        let scheme: [UInt8] = Array("bearer".utf8)
        guard end - start > scheme.count else { return false }
        for i in 0..<scheme.count where bytes[start + i] | 0x20 != scheme[i] { return false }
        var tokenStart = start + scheme.count
        guard isSpace(bytes[tokenStart]) else { return false }
        while tokenStart < end, isSpace(bytes[tokenStart]) { tokenStart += 1 }
        return bytes.withUnsafeBytes { all in
            token.withUnsafeBytes { expected in
                constantTimeEquals(UnsafeRawBufferPointer(rebasing: all[tokenStart..<end]), expected)
            }
        }
    }

    public var description: String { "BearerTokenVerifier(token: <redacted>)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["token": "<redacted>"]) }
}
