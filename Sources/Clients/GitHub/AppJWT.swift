import Foundation

/// The GitHub App JWT (protocols §2.1): header `{"alg":"RS256","typ":"JWT"}`, claims
/// `iat = now - 60`, `exp = now + 540` (under GitHub's 10-minute maximum), `iss` = App id or
/// client id; base64url without padding; RS256 signature.
enum AppJWT {
    static let lifetime: TimeInterval = 540

    static func make(issuer: String, key: RSASigningKey, now: Date) throws -> String {
        let issuedAt = Int(now.timeIntervalSince1970)
        let header = base64URL(Array(#"{"alg":"RS256","typ":"JWT"}"#.utf8))
        // A numeric App id is sent as a number, a client id (`Iv1.…`) as a string.
        let issuerClaim = Int(issuer) != nil ? issuer : jsonString(issuer)
        let claims = base64URL(
            Array(#"{"iat":\#(issuedAt - 60),"exp":\#(issuedAt + Int(lifetime)),"iss":\#(issuerClaim)}"#.utf8))
        let signingInput = "\(header).\(claims)"
        let signature = try key.signRS256(Array(signingInput.utf8))
        return "\(signingInput).\(base64URL(signature))"
    }

    static func base64URL(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    private static func jsonString(_ text: String) -> String {
        let data = try? JSONSerialization.data(withJSONObject: [text], options: [])
        let array = data.map { String(decoding: $0, as: UTF8.self) } ?? "[\"\"]"
        return String(array.dropFirst().dropLast())
    }
}
