import Foundation

/// One request as a simulator saw it, for assertions. Credentials are redacted: the
/// `authorization` header keeps only its scheme (`Bearer <redacted>`), cookies are dropped.
public struct LoggedRequest: Sendable {
    public let method: String
    public let path: String
    public let query: [String: String]
    public let headers: [String: String]
    public let body: [UInt8]
    /// 0 when the connection was dropped without an answer.
    public let status: Int
    public let at: Date

    public var bodyText: String { String(decoding: body, as: UTF8.self) }
    public var bodyJSON: [String: Any]? { (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] }
}
