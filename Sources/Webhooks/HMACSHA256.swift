// HMAC-SHA256 through libcrypto: the one-shot MAC, and a key prepared once for the MACs of
// many messages (what the GitHub signature check uses on every delivery).
import COpenSSL
import Foundation

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
        key.withUnsafeBytes { keyBytes in
            message.withUnsafeBytes { messageBytes in authenticationCode(key: keyBytes, message: messageBytes) }
        }
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
                    key.withUnsafeBufferPointer { keyBytes in
                        EVP_MAC_init(ctx, keyBytes.baseAddress ?? emptyPointer, keyBytes.count, &params)
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
