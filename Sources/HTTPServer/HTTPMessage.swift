import Foundation

/// One HTTP request, fully read. Header names are lowercased.
public struct HTTPRequest: Sendable {
    public let method: String
    /// The path without the query string, percent-decoding not applied.
    public let path: String
    public let query: [String: String]
    public let headers: [String: String]
    public let body: [UInt8]
    /// Values of `{name}` segments of the matched route.
    public internal(set) var pathParameters: [String: String] = [:]
    /// The pattern of the matched route (for metrics labels), e.g. `/api/v1/rollbacks/{id}`.
    public internal(set) var routePattern: String = ""

    public init(
        method: String, path: String, query: [String: String] = [:], headers: [String: String] = [:], body: [UInt8] = []
    ) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
    }

    public func header(_ name: String) -> String? {
        // Callers mostly pass lowercase names already: skip the copy then.
        name.utf8.contains(where: { $0 >= 65 && $0 <= 90 }) ? headers[name.lowercased()] : headers[name]
    }
}

/// One HTTP response.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: [UInt8]

    public init(status: Int, headers: [(String, String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// Closes the connection without any answer (for fault injection in simulators).
    public static let dropConnection = HTTPResponse(status: 0)

    public static func text(_ status: Int, _ text: String, contentType: String = "text/plain; charset=utf-8")
        -> HTTPResponse
    {
        HTTPResponse(status: status, headers: [("Content-Type", contentType)], body: Array(text.utf8))
    }

    /// A JSON body from raw bytes already encoded.
    public static func json(_ status: Int, bytes: [UInt8]) -> HTTPResponse {
        HTTPResponse(status: status, headers: jsonHeaders, body: bytes)
    }

    /// Shared by every JSON answer (one array, not one per response).
    private static let jsonHeaders = [("Content-Type", "application/json")]

    /// A flat JSON object of string members, written directly (no encoder: hot paths use it).
    public static func json(_ status: Int, fields: KeyValuePairs<String, String>) -> HTTPResponse {
        var out: [UInt8] = [UInt8(ascii: "{")]
        out.reserveCapacity(64)
        var first = true
        for (name, value) in fields {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            appendJSONString(name, to: &out)
            out.append(UInt8(ascii: ":"))
            appendJSONString(value, to: &out)
        }
        out.append(UInt8(ascii: "}"))
        return .json(status, bytes: out)
    }

    static func appendJSONString(_ text: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        // Most values (ids, codes) need no escaping: copy them whole.
        if !text.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            out.append(contentsOf: text.utf8)
            out.append(UInt8(ascii: "\""))
            return
        }
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out += [92, 34]
            case UInt8(ascii: "\\"): out += [92, 92]
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out += [92, UInt8(ascii: "u"), 48, 48, hex[Int(byte >> 4)], hex[Int(byte & 15)]]
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// A JSON body from an `Encodable` value (sorted keys, ISO 8601 dates with milliseconds).
    public static func json<T: Encodable>(_ status: Int, _ value: T) -> HTTPResponse {
        do {
            return .json(status, bytes: Array(try JSONCoding.encoder.encode(value)))
        } catch {
            return .error(500, "internal", "the response could not be encoded")
        }
    }

    /// The error shape of the whole API: `{"error": "<code>", "message": "..."}`.
    public static func error(_ status: Int, _ code: String, _ message: String, headers: [(String, String)] = [])
        -> HTTPResponse
    {
        var response = HTTPResponse.json(status, fields: ["error": code, "message": message])
        response.headers.append(contentsOf: headers)
        return response
    }
}
