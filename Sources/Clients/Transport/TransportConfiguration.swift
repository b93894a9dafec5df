/// Settings of the libcurl transport. TLS peer and host verification are always on.
public struct TransportConfiguration: Sendable {
    /// Time allowed to establish a connection (TCP + TLS).
    public var connectTimeout: Duration
    /// Time allowed for a whole request, unless the request sets its own.
    public var requestTimeout: Duration
    /// A PEM bundle of trusted CAs (e.g. the in-cluster `ca.crt`); nil = the system store.
    public var caFile: String?
    /// Bodies larger than this fail with `TransportError.Kind.responseTooLarge`.
    public var maxResponseBytes: Int
    /// Idle connections libcurl keeps for reuse.
    public var maxCachedConnections: Int
    /// Redirects followed (GitHub answers 301/302/307 for moved repositories).
    public var maxRedirects: Int

    public init(
        connectTimeout: Duration = .seconds(10),
        requestTimeout: Duration = .seconds(30),
        caFile: String? = nil,
        maxResponseBytes: Int = 16 * 1024 * 1024,
        maxCachedConnections: Int = 32,
        maxRedirects: Int = 5
    ) {
        self.connectTimeout = connectTimeout
        self.requestTimeout = requestTimeout
        self.caFile = caFile
        self.maxResponseBytes = maxResponseBytes
        self.maxCachedConnections = maxCachedConnections
        self.maxRedirects = maxRedirects
    }
}

extension Duration {
    /// Whole milliseconds, at least 1 for a positive duration.
    var milliseconds: Int {
        let (wholeSeconds, atto) = components
        let ms = Int(wholeSeconds) * 1000 + Int(atto / 1_000_000_000_000_000)
        return (ms == 0 && atto > 0) ? 1 : ms
    }

    var seconds: Double {
        let (wholeSeconds, atto) = components
        return Double(wholeSeconds) + Double(atto) / 1e18
    }
}
