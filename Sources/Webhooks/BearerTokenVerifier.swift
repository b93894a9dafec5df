// Bearer-token authentication (Argo CD notifications, the REST API), compared in constant time.
// The token never appears in descriptions, debug descriptions or mirrors.
import Foundation

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
        func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }
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
