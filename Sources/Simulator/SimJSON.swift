import Foundation
import HTTPServer

/// JSON in and out with Foundation's `JSONSerialization` (sorted keys, unescaped slashes).
public enum SimJSON {
    /// Makes values JSONSerialization accepts: substrings become strings, unknown values their description.
    static func normalize(_ value: Any) -> Any {
        switch value {
        case let object as [String: Any]: return object.mapValues(normalize)
        case let array as [Any]: return array.map(normalize)
        case let substring as Substring: return String(substring)
        case is String, is NSNull, is Bool, is Int, is Double, is NSNumber: return value
        default: return String(describing: value)
        }
    }

    public static func encode(_ value: Any) -> [UInt8] {
        let value = normalize(value)
        guard JSONSerialization.isValidJSONObject(value) || value is String || value is NSNumber || value is NSNull,
            let data = try? JSONSerialization.data(
                withJSONObject: value, options: [.sortedKeys, .withoutEscapingSlashes, .fragmentsAllowed])
        else { return Array("{}".utf8) }
        return Array(data)
    }

    public static func response(_ status: Int, _ value: Any, headers: [(String, String)] = []) -> HTTPResponse {
        var allHeaders: [(String, String)] = [("Content-Type", "application/json; charset=utf-8")]
        allHeaders.append(contentsOf: headers)
        return HTTPResponse(status: status, headers: allHeaders, body: encode(value))
    }

    public static func parse(_ body: [UInt8]) -> Any? {
        guard !body.isEmpty else { return nil }
        return try? JSONSerialization.jsonObject(with: Data(body), options: [.fragmentsAllowed])
    }

    public static func object(_ body: [UInt8]) -> [String: Any]? { parse(body) as? [String: Any] }

    /// `nil` becomes JSON `null`.
    static func orNull(_ value: Any?) -> Any { value ?? NSNull() }

    /// Percent-decodes one path segment.
    static func decode(_ segment: Substring) -> String { String(segment).removingPercentEncoding ?? String(segment) }
}
