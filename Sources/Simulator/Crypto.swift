import COpenSSL
import Foundation

/// Small libcrypto helpers: git-style SHA-1 object ids, webhook HMACs, RS256 verification of
/// GitHub App JWTs, and key-pair generation for tests and the demo.
public enum SimulatorCrypto {
    public static func sha1Hex(_ bytes: [UInt8]) -> String { digestHex(bytes, EVP_sha1()) }
    public static func sha256Hex(_ bytes: [UInt8]) -> String { digestHex(bytes, EVP_sha256()) }

    static func digestHex(_ bytes: [UInt8], _ md: OpaquePointer?) -> String {
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var len: UInt32 = 0
        let ok = bytes.withUnsafeBytes { buf in
            out.withUnsafeMutableBufferPointer { outBuffer in
                EVP_Digest(buf.baseAddress, buf.count, outBuffer.baseAddress, &len, md, nil)
            }
        }
        precondition(ok == 1, "EVP_Digest failed")
        return hex(out[0..<Int(len)])
    }

    /// Lowercase hex HMAC-SHA256 (one-shot `HMAC`, not deprecated in OpenSSL 3.0).
    public static func hmacSHA256Hex(key: [UInt8], data: [UInt8]) -> String {
        var out = [UInt8](repeating: 0, count: 32)
        var len: UInt32 = 0
        key.withUnsafeBufferPointer { keyBuffer in
            data.withUnsafeBufferPointer { dataBuffer in
                out.withUnsafeMutableBufferPointer { outBuffer in
                    _ = HMAC(
                        EVP_sha256(), keyBuffer.baseAddress, Int32(keyBuffer.count), dataBuffer.baseAddress,
                        dataBuffer.count, outBuffer.baseAddress, &len)
                }
            }
        }
        return hex(out[0..<Int(len)])
    }

    public static func randomBytes(_ count: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        let ok = out.withUnsafeMutableBufferPointer { RAND_bytes($0.baseAddress, Int32(count)) }
        if ok != 1 { for i in 0..<count { out[i] = UInt8.random(in: 0...255) } }
        return out
    }

    public static func hex<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
        let digits = Array("0123456789abcdef".utf8)
        var text = [UInt8]()
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 15)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    public static func base64URLDecode(_ encoded: Substring) -> [UInt8]? {
        var base64 = encoded.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        return Data(base64Encoded: base64).map { Array($0) }
    }

    public static func base64URLEncode(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// Loads a public key (`BEGIN PUBLIC KEY`) or a private key (whose public half is used).
    /// The BIO does not copy the text, so the read happens inside `withCString`.
    static func loadKey(pem: String) -> OpaquePointer? {
        pem.withCString { pemText -> OpaquePointer? in
            guard let bio = BIO_new_mem_buf(pemText, -1) else { return nil }
            defer { BIO_free(bio) }
            if pem.contains("PUBLIC KEY") { return PEM_read_bio_PUBKEY(bio, nil, nil, nil) }
            return PEM_read_bio_PrivateKey(bio, nil, nil, nil)
        }
    }

    /// RSASSA-PKCS1-v1_5 with SHA-256 (`RS256`) verification.
    public static func verifyRS256(publicKeyPEM: String, signingInput: [UInt8], signature: [UInt8]) -> Bool {
        guard let key = loadKey(pem: publicKeyPEM) else {
            ERR_clear_error()
            return false
        }
        defer { EVP_PKEY_free(key) }
        guard EVP_PKEY_is_a(key, "RSA") == 1, let ctx = EVP_MD_CTX_new() else { return false }
        defer { EVP_MD_CTX_free(ctx) }
        guard EVP_DigestVerifyInit(ctx, nil, EVP_sha256(), nil, key) == 1 else {
            ERR_clear_error()
            return false
        }
        let rc = signature.withUnsafeBufferPointer { sig in
            signingInput.withUnsafeBufferPointer { tbs in
                EVP_DigestVerify(ctx, sig.baseAddress, sig.count, tbs.baseAddress, tbs.count)
            }
        }
        ERR_clear_error()
        return rc == 1
    }

    /// RS256 signature with a PEM private key (PKCS#1 or PKCS#8). For the demo and tests.
    public static func signRS256(privateKeyPEM: String, _ input: [UInt8]) -> [UInt8]? {
        guard let key = loadKey(pem: privateKeyPEM) else {
            ERR_clear_error()
            return nil
        }
        defer { EVP_PKEY_free(key) }
        guard let ctx = EVP_MD_CTX_new() else { return nil }
        defer { EVP_MD_CTX_free(ctx) }
        guard EVP_DigestSignInit(ctx, nil, EVP_sha256(), nil, key) == 1 else {
            ERR_clear_error()
            return nil
        }
        var len = 0
        let ok1 = input.withUnsafeBufferPointer { EVP_DigestSign(ctx, nil, &len, $0.baseAddress, $0.count) }
        guard ok1 == 1 else { return nil }
        var out = [UInt8](repeating: 0, count: len)
        let ok2 = input.withUnsafeBufferPointer { inputBuffer in
            out.withUnsafeMutableBufferPointer {
                EVP_DigestSign(ctx, $0.baseAddress, &len, inputBuffer.baseAddress, inputBuffer.count)
            }
        }
        guard ok2 == 1 else { return nil }
        return Array(out[0..<len])
    }

    /// A GitHub App JWT (`iat = now-60`, `exp = now+540` by default) signed with `privateKeyPEM`.
    public static func appJWT(
        privateKeyPEM: String, issuer: String, now: Date = Date(),
        iatOffset: Int = -60, expOffset: Int = 540
    ) -> String? {
        let seconds = Int(now.timeIntervalSince1970)
        let header = base64URLEncode(Array(#"{"alg":"RS256","typ":"JWT"}"#.utf8))
        let issJSON = Int(issuer) != nil ? issuer : "\"\(issuer)\""
        let claims = base64URLEncode(
            Array(#"{"iat":\#(seconds + iatOffset),"exp":\#(seconds + expOffset),"iss":\#(issJSON)}"#.utf8))
        let input = Array("\(header).\(claims)".utf8)
        guard let sig = signRS256(privateKeyPEM: privateKeyPEM, input) else { return nil }
        return "\(header).\(claims).\(base64URLEncode(sig))"
    }

    /// A fresh RSA key pair as PEM: (PKCS#1 `BEGIN RSA PRIVATE KEY`, SPKI `BEGIN PUBLIC KEY`).
    public static func generateRSAKeyPair(bits: Int = 2048) -> (privatePEM: String, publicPEM: String)? {
        guard let ctx = EVP_PKEY_CTX_new_from_name(nil, "RSA", nil) else { return nil }
        defer { EVP_PKEY_CTX_free(ctx) }
        guard EVP_PKEY_keygen_init(ctx) == 1, EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, Int32(bits)) == 1 else {
            return nil
        }
        var key: OpaquePointer?
        guard EVP_PKEY_generate(ctx, &key) == 1, let key else { return nil }
        defer { EVP_PKEY_free(key) }
        func pem(_ write: (OpaquePointer) -> Int32) -> String? {
            guard let bio = BIO_new(BIO_s_mem()) else { return nil }
            defer { BIO_free(bio) }
            guard write(bio) == 1 else { return nil }
            var out: [UInt8] = []
            var buf = [UInt8](repeating: 0, count: 4096)
            while true {
                let readCount = buf.withUnsafeMutableBytes { BIO_read(bio, $0.baseAddress, Int32($0.count)) }
                if readCount <= 0 { break }
                out += buf[0..<Int(readCount)]
            }
            return String(decoding: out, as: UTF8.self)
        }
        // PEM_write_bio_PrivateKey_traditional writes PKCS#1 for RSA keys (what GitHub hands out).
        guard let priv = pem({ PEM_write_bio_PrivateKey_traditional($0, key, nil, nil, 0, nil, nil) }),
            let pub = pem({ PEM_write_bio_PUBKEY($0, key) })
        else { return nil }
        return (priv, pub)
    }
}
