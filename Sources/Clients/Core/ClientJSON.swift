import Foundation

/// JSON decoding shared by the clients: snake_case keys to camelCase properties, ISO 8601
/// timestamps with or without fractional seconds.
enum ClientJSON {
    static let decoder: JSONDecoder = {
        let jsonDecoder = JSONDecoder()
        jsonDecoder.keyDecodingStrategy = .convertFromSnakeCase
        jsonDecoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let date = parseDate(text) else {
                throw DecodingError.dataCorruptedError(
                    in: container, debugDescription: "not an ISO 8601 timestamp: \(text)")
            }
            return date
        }
        return jsonDecoder
    }()

    static let encoder: JSONEncoder = {
        let jsonEncoder = JSONEncoder()
        jsonEncoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return jsonEncoder
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
        } catch let decodingError as DecodingError {
            throw APIError(
                code: .validationError, call: "", message: "unexpected response body: \(describe(decodingError))")
        }
    }

    static func encode<T: Encodable>(_ value: T) -> [UInt8] {
        (try? encoder.encode(value)).map(Array.init) ?? Array("{}".utf8)
    }

    static func parseDate(_ text: String) -> Date? {
        if let date = try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text) { return date }
        return try? Date.ISO8601FormatStyle().parse(text)
    }

    static func timestamp(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(timeZone: TimeZone(identifier: "UTC")!))
    }

    /// The `message` field of a JSON error body, if any (GitHub, Argo CD, Kubernetes all use it).
    static func message(_ body: [UInt8]) -> String? {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] else { return nil }
        var message = (object["message"] as? String) ?? (object["error"] as? String)
        if let errors = object["errors"] as? [[String: Any]] {
            let details = errors.compactMap { ($0["message"] as? String) ?? ($0["code"] as? String) }
            if !details.isEmpty { message = (message ?? "") + " (" + details.joined(separator: "; ") + ")" }
        }
        return message
    }

    private static func describe(_ error: DecodingError) -> String {
        switch error {
        case .keyNotFound(let key, let context): return "missing \(path(context.codingPath + [key]))"
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return "wrong type at \(path(context.codingPath))"
        case .dataCorrupted(let context):
            return "invalid data at \(path(context.codingPath)): \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }

    private static func path(_ keys: [any CodingKey]) -> String {
        keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
    }
}
