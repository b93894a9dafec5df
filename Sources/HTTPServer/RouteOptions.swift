// What a route accepts before its handler runs: how large a body, and what a look at the
// headers alone may refuse. Decided before any body byte is read, so a stranger's upload costs
// nothing on a route that would refuse it anyway.
import Foundation

/// A route's door: its body limit, a screen of the request head, and who hears of the server's
/// own refusals on it.
public struct RouteOptions: Sendable {
    /// The largest body the route reads: a larger declared `Content-Length` is answered 413
    /// before the body is read; a chunked body is answered 413 and its connection closed as
    /// soon as it passes the limit. `nil`: none (0) for GET (and HEAD), the server's
    /// `maxBodyBytes` for other methods.
    public var maxBodyBytes: Int?
    /// Sees the request once its headers are in (`body` empty), before any body byte is read:
    /// an answer ends the request there (e.g. 401 without the authentication header).
    public var screen: (@Sendable (HTTPRequest) -> HTTPResponse?)?
    /// Told of each refusal the server itself gives one of the route's requests (413 too large,
    /// 503 over the in-flight body budget), with the request head and the status.
    public var refused: (@Sendable (HTTPRequest, Int) -> Void)?

    public init(
        maxBodyBytes: Int? = nil, screen: (@Sendable (HTTPRequest) -> HTTPResponse?)? = nil,
        refused: (@Sendable (HTTPRequest, Int) -> Void)? = nil
    ) {
        self.maxBodyBytes = maxBodyBytes
        self.screen = screen
        self.refused = refused
    }
}
