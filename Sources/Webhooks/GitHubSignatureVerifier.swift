// GitHub webhook authentication: the `X-Hub-Signature-256` header checked against the HMAC-SHA256
// of the raw body. The secret never appears in descriptions, debug descriptions or mirrors.
import COpenSSL
import Foundation

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
            func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }
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
                var digitIndex = start + Self.prefix.count
                for byteIndex in 0..<HMACSHA256.byteCount {
                    guard let high = hexValue(value[digitIndex]), let low = hexValue(value[digitIndex + 1]) else {
                        return .malformed
                    }
                    received[byteIndex] = high << 4 | low
                    digitIndex += 2
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
