// Webhook authentication: HMAC-SHA256 (GitHub `X-Hub-Signature-256`) and bearer tokens
// (Argo CD notifications). Both compare in constant time through libcrypto's
// `CRYPTO_memcmp`. Secrets never appear in descriptions, debug descriptions or mirrors.
import COpenSSL
import Foundation

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
            let dataPointer =
                message.baseAddress?.assumingMemoryBound(to: UInt8.self)
                ?? UnsafePointer(emptyPointer)
            var out = [UInt8](repeating: 0, count: byteCount)
            var outLength: UInt32 = 0
            let result = out.withUnsafeMutableBufferPointer { buffer in
                HMAC(
                    EVP_sha256(), keyPointer, Int32(key.count), dataPointer, message.count,
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

extension HMACSHA256 {
    /// A key prepared once, for the MACs of many messages.
    ///
    /// The one-shot `HMAC()` looks the algorithm up in libcrypto's provider tables, allocates a
    /// context and hashes the padded key again for every message: on an 8 KB webhook body that
    /// is about as much work as hashing the body itself. Here one libcrypto HMAC context takes
    /// the key once; each message gets a context reset to that keyed state (`EVP_MAC_init` with
    /// no key copies the saved inner hash state) from a small pool, so concurrent callers never
    /// share one. Any thread may use a key.
    public final class Key: @unchecked Sendable {
        // Safe: `template` is only read (duplicated) after init; `idle` is only touched under `lock`.
        private let template: OpaquePointer
        private let lock = NSLock()
        private var idle: [OpaquePointer] = []
        /// Contexts kept for reuse; more concurrent callers get a fresh one, freed afterwards.
        private static let poolLimit = 16

        /// Traps only if libcrypto itself fails (allocation failure or a missing default
        /// provider), which no key can cause.
        public init(_ key: [UInt8]) {
            guard let mac = EVP_MAC_fetch(nil, "HMAC", nil) else { preconditionFailure("libcrypto has no HMAC") }
            defer { EVP_MAC_free(mac) }
            guard let ctx = EVP_MAC_CTX_new(mac) else {
                preconditionFailure("libcrypto could not allocate an HMAC context")
            }
            var digest = Array("SHA256".utf8CString)
            // Never hand libcrypto a NULL key pointer, even for an empty key.
            var empty: UInt8 = 0
            let ok = digest.withUnsafeMutableBufferPointer { name in
                var params = [
                    OSSL_PARAM_construct_utf8_string("digest", name.baseAddress, 0), OSSL_PARAM_construct_end(),
                ]
                return withUnsafePointer(to: &empty) { emptyPointer in
                    key.withUnsafeBufferPointer { k in
                        EVP_MAC_init(ctx, k.baseAddress ?? emptyPointer, k.count, &params)
                    }
                }
            }
            precondition(ok == 1, "libcrypto HMAC-SHA256 init failed")
            template = ctx
        }

        deinit {
            EVP_MAC_CTX_free(template)
            for ctx in idle { EVP_MAC_CTX_free(ctx) }
        }

        /// Writes the 32-byte MAC of `message` to `out` (which must hold 32 bytes).
        public func authenticationCode(of message: UnsafeRawBufferPointer, into out: UnsafeMutablePointer<UInt8>) {
            lock.lock()
            let reused = idle.popLast()
            lock.unlock()
            guard let ctx = reused ?? EVP_MAC_CTX_dup(template) else {
                preconditionFailure("libcrypto could not allocate an HMAC context")
            }
            var empty: UInt8 = 0
            var length = 0
            let ok = withUnsafeMutablePointer(to: &empty) { emptyPointer in
                // No key: back to the keyed state, ready for a new message.
                EVP_MAC_init(ctx, nil, 0, nil) == 1
                    && EVP_MAC_update(
                        ctx, message.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? UnsafePointer(emptyPointer),
                        message.count) == 1
                    && EVP_MAC_final(ctx, out, &length, HMACSHA256.byteCount) == 1
            }
            precondition(ok && length == HMACSHA256.byteCount, "libcrypto HMAC-SHA256 failed")
            lock.lock()
            if idle.count < Self.poolLimit {
                idle.append(ctx)
                lock.unlock()
            } else {
                lock.unlock()
                EVP_MAC_CTX_free(ctx)
            }
        }

        /// The 32-byte MAC of `message`.
        public func authenticationCode(of message: UnsafeRawBufferPointer) -> [UInt8] {
            [UInt8](unsafeUninitializedCapacity: HMACSHA256.byteCount) { buffer, count in
                authenticationCode(of: message, into: buffer.baseAddress!)
                count = HMACSHA256.byteCount
            }
        }
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

/// The value of one hexadecimal digit of either case, `nil` for any other byte.
@inline(__always)
func hexValue(_ c: UInt8) -> UInt8? {
    switch c {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
    default: nil
    }
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
/// The received digest is decoded from hex (digits of either case; GitHub sends lowercase) and
/// compared to the MAC we compute in constant time (`CRYPTO_memcmp`). The secret is prepared
/// once (`HMACSHA256.Key`) and never appears in any description.
public struct GitHubSignatureVerifier: Sendable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    /// The header name GitHub uses.
    public static let headerName = "X-Hub-Signature-256"
    static let prefix: [UInt8] = Array("sha256=".utf8)
    static let headerLength = 7 + 2 * 32  // "sha256=" + 64 hex digits

    private let key: HMACSHA256.Key

    /// - Parameter secret: the webhook secret configured on the GitHub App (UTF-8).
    public init(secret: String) { key = HMACSHA256.Key(Array(secret.utf8)) }
    /// - Parameter secret: the webhook secret as raw bytes.
    public init(secret: [UInt8]) { key = HMACSHA256.Key(secret) }

    /// The header value GitHub would send for `body`: `sha256=` + 64 lowercase hex digits.
    public func signatureHeader(for body: UnsafeRawBufferPointer) -> String {
        "sha256=" + lowercaseHex(key.authenticationCode(of: body))
    }

    /// The header value GitHub would send for `body`.
    public func signatureHeader(for body: [UInt8]) -> String {
        body.withUnsafeBytes { signatureHeader(for: $0) }
    }

    /// Checks `signatureHeader` (the raw header value, `nil` when absent) against `body`
    /// (the raw request body exactly as received). Surrounding spaces/tabs are ignored;
    /// an empty value counts as missing.
    public func verify(body: UnsafeRawBufferPointer, signatureHeader header: String?) -> SignatureCheck {
        guard var header else { return .missing }
        // Bound the work before looking at anything: a valid value is 71 bytes plus whitespace.
        if header.utf8.count > 1024 { return .malformed }
        return header.withUTF8 { value in
            func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 }
            var start = 0
            var end = value.count
            while start < end, isSpace(value[start]) { start += 1 }
            while end > start, isSpace(value[end - 1]) { end -= 1 }
            if start == end { return .missing }
            guard end - start == Self.headerLength,
                Self.prefix.indices.allSatisfy({ value[start + $0] == Self.prefix[$0] })
            else { return .malformed }
            // The received digest as bytes (hex digits of either case), next to the one we compute.
            return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 2 * HMACSHA256.byteCount) { digests in
                let received = digests.baseAddress!
                let expected = received + HMACSHA256.byteCount
                var i = start + Self.prefix.count
                for n in 0..<HMACSHA256.byteCount {
                    guard let high = hexValue(value[i]), let low = hexValue(value[i + 1]) else { return .malformed }
                    received[n] = high << 4 | low
                    i += 2
                }
                key.authenticationCode(of: body, into: expected)
                return CRYPTO_memcmp(received, expected, HMACSHA256.byteCount) == 0 ? .valid : .mismatch
            }
        }
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
        var start = 0
        var end = bytes.count
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
