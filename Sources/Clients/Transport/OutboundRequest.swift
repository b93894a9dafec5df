/// One HTTP request to an external API. Header values may hold credentials: they are never
/// logged, recorded or put into error messages by this target.
public struct OutboundRequest: Sendable {
    public var method: String
    /// The full URL. It never carries a secret (credentials go in headers).
    public var url: String
    public var headers: [(String, String)]
    public var body: [UInt8]?
    /// Overrides the transport's total timeout for this request.
    public var timeout: Duration?
    /// Overrides the transport's CA bundle for this request (e.g. the cluster's `ca.crt`).
    public var caFile: String?

    public init(
        method: String, url: String, headers: [(String, String)] = [], body: [UInt8]? = nil, timeout: Duration? = nil,
        caFile: String? = nil
    ) {
        self.caFile = caFile
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
    }
}

/// One HTTP response. Header names are lowercased; repeated headers are joined with ", ".
public struct OutboundResponse: Sendable {
    public var status: Int
    public var headers: [String: String]
    public var body: [UInt8]
    /// True when the transfer reused a cached connection (no new connect).
    public var reusedConnection: Bool

    public init(status: Int, headers: [String: String] = [:], body: [UInt8] = [], reusedConnection: Bool = false) {
        self.status = status
        self.headers = headers
        self.body = body
        self.reusedConnection = reusedConnection
    }

    public func header(_ name: String) -> String? { headers[name.lowercased()] }
    public var text: String { String(decoding: body, as: UTF8.self) }
}

/// A failure below HTTP: the request got no complete answer. Messages come from libcurl's
/// error buffer (host and port at most, never headers or paths with credentials).
public struct TransportError: Error, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        case connectFailed, timedOut, responseTooLarge, cancelled, shutdown, invalidRequest, other
    }
    public let kind: Kind
    /// The libcurl result code (0 when the failure did not come from libcurl).
    public let curlCode: Int
    public let message: String

    public init(kind: Kind, curlCode: Int = 0, message: String) {
        self.kind = kind
        self.curlCode = curlCode
        self.message = message
    }

    public var description: String {
        curlCode == 0
            ? "transport \(kind.rawValue): \(message)" : "transport \(kind.rawValue) (curl \(curlCode)): \(message)"
    }
}

/// What every client sends through: the libcurl transport, or a fake in unit tests.
public protocol HTTPTransporting: Sendable {
    func send(_ request: OutboundRequest) async throws -> OutboundResponse
}
