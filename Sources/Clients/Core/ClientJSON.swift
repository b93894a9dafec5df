import Foundation

/// JSON decoding shared by the clients: snake_case keys to camelCase properties, ISO 8601
/// timestamps with or without fractional seconds.
enum ClientJSON {
    static let decoder: JSONDecoder = {
        let d = JSONDecoder()
        d.keyDecodingStrategy = .convertFromSnakeCase
        d.dateDecodingStrategy = .custom { decoder in
            let c = try decoder.singleValueContainer()
            let s = try c.decode(String.self)
            guard let date = parseDate(s) else {
                throw DecodingError.dataCorruptedError(in: c, debugDescription: "not an ISO 8601 timestamp: \(s)")
            }
            return date
        }
        return d
    }()

    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }()

    static func decode<T: Decodable>(_ type: T.Type, _ body: [UInt8]) throws -> T {
        do {
            // The decoder reads the bytes in place (no copy of a list of thousands of apps);
            // the `Data` does not outlive the call, and nothing decoded points into it.
            return try body.withUnsafeBytes { raw in
                guard let base = raw.baseAddress, raw.count > 0 else { return try decoder.decode(type, from: Data()) }
                return try decoder.decode(
                    type,
                    from: Data(
                        bytesNoCopy: UnsafeMutableRawPointer(mutating: base),
                        count: raw.count, deallocator: .none))
            }
        } catch let e as DecodingError {
            throw APIError(code: .validationError, call: "", message: "unexpected response body: \(describe(e))")
        }
    }

    static func encode<T: Encodable>(_ value: T) -> [UInt8] {
        (try? encoder.encode(value)).map(Array.init) ?? Array("{}".utf8)
    }

    static func parseDate(_ s: String) -> Date? {
        if let d = try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(s) { return d }
        return try? Date.ISO8601FormatStyle().parse(s)
    }

    static func timestamp(_ d: Date) -> String {
        d.formatted(Date.ISO8601FormatStyle(timeZone: TimeZone(identifier: "UTC")!))
    }

    /// The `message` field of a JSON error body, if any (GitHub, Argo CD, Kubernetes all use it).
    static func message(_ body: [UInt8]) -> String? {
        guard let obj = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] else { return nil }
        var m = (obj["message"] as? String) ?? (obj["error"] as? String)
        if let errors = obj["errors"] as? [[String: Any]] {
            let details = errors.compactMap { ($0["message"] as? String) ?? ($0["code"] as? String) }
            if !details.isEmpty { m = (m ?? "") + " (" + details.joined(separator: "; ") + ")" }
        }
        return m
    }

    private static func describe(_ e: DecodingError) -> String {
        switch e {
        case .keyNotFound(let k, let c): return "missing \(path(c.codingPath + [k]))"
        case .typeMismatch(_, let c), .valueNotFound(_, let c): return "wrong type at \(path(c.codingPath))"
        case .dataCorrupted(let c): return "invalid data at \(path(c.codingPath)): \(c.debugDescription)"
        @unknown default: return "\(e)"
        }
    }

    private static func path(_ keys: [any CodingKey]) -> String {
        keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
    }
}

/// Percent-encoding for URL parts built by the clients.
enum URLPart {
    /// One path segment (a `/` is encoded).
    static func segment(_ s: String) -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "/?#;")
        return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? s
    }

    /// A path whose `/` separators stay (file paths, branch names in refs).
    static func path(_ s: String) -> String {
        s.split(separator: "/", omittingEmptySubsequences: false).map { segment(String($0)) }.joined(separator: "/")
    }

    static func query(_ items: [(String, String?)]) -> String {
        var allowed = CharacterSet.urlQueryAllowed
        allowed.remove(charactersIn: "&=+?#")
        let parts = items.compactMap { k, v in
            v.map { "\(k)=\($0.addingPercentEncoding(withAllowedCharacters: allowed) ?? $0)" }
        }
        return parts.isEmpty ? "" : "?" + parts.joined(separator: "&")
    }
}
