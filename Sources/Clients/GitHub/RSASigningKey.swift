import COpenSSL
import Foundation

/// An RSA private key loaded once from PEM (PKCS#1 or PKCS#8), signing RS256
/// (RSASSA-PKCS1-v1_5 with SHA-256) with libcrypto. The key material never leaves libcrypto.
final class RSASigningKey: @unchecked Sendable {
    // Safe: `key` is immutable after init and only read; signing serialises on `lock`.
    private let key: OpaquePointer
    private let lock = NSLock()

    struct LoadError: Error, CustomStringConvertible {
        let description: String
    }

    init(pem: Secret) throws {
        // BIO_new_mem_buf does not copy: read inside withCString.
        let loaded: OpaquePointer? = pem.value.withCString { pemText in
            guard let bio = BIO_new_mem_buf(pemText, -1) else { return nil }
            defer { BIO_free(bio) }
            return PEM_read_bio_PrivateKey(bio, nil, nil, nil)
        }
        guard let loaded else {
            let reason = Self.lastOpenSSLError()
            throw LoadError(description: "the GitHub App private key could not be loaded (\(reason))")
        }
        guard EVP_PKEY_is_a(loaded, "RSA") == 1 else {
            EVP_PKEY_free(loaded)
            throw LoadError(description: "the GitHub App private key is not an RSA key")
        }
        key = loaded
    }

    deinit { EVP_PKEY_free(key) }

    func signRS256(_ input: [UInt8]) throws -> [UInt8] {
        lock.lock()
        defer { lock.unlock() }
        guard let ctx = EVP_MD_CTX_new() else { throw LoadError(description: "EVP_MD_CTX_new failed") }
        defer { EVP_MD_CTX_free(ctx) }
        guard EVP_DigestSignInit(ctx, nil, EVP_sha256(), nil, key) == 1 else {
            throw LoadError(description: "EVP_DigestSignInit failed (\(Self.lastOpenSSLError()))")
        }
        var length = 0
        let sized = input.withUnsafeBufferPointer { EVP_DigestSign(ctx, nil, &length, $0.baseAddress, $0.count) }
        guard sized == 1 else { throw LoadError(description: "EVP_DigestSign failed (\(Self.lastOpenSSLError()))") }
        var out = [UInt8](repeating: 0, count: length)
        let signed = input.withUnsafeBufferPointer { inputBuffer in
            out.withUnsafeMutableBufferPointer {
                EVP_DigestSign(ctx, $0.baseAddress, &length, inputBuffer.baseAddress, inputBuffer.count)
            }
        }
        guard signed == 1 else { throw LoadError(description: "EVP_DigestSign failed (\(Self.lastOpenSSLError()))") }
        return Array(out[0..<length])
    }

    private static func lastOpenSSLError() -> String {
        let code = ERR_get_error()
        ERR_clear_error()
        guard code != 0 else { return "no detail" }
        var buf = [CChar](repeating: 0, count: 256)
        return buf.withUnsafeMutableBufferPointer { buffer in
            ERR_error_string_n(code, buffer.baseAddress, buffer.count)
            return String(cString: buffer.baseAddress!)
        }
    }
}
