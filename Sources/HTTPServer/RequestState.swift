// What libmicrohttpd keeps for each request while it is read and answered: the request so far,
// its headers and query, its route and limits, and how it ended.
import Foundation

/// Per-request state, owned by libmicrohttpd's `*con_cls` from the first call to the
/// completion callback. Only the connection's current worker thread touches it.
final class RequestState {
    let method: String
    let target: String
    let headers = ValueBox(lowercaseKeys: true)
    let query = ValueBox(lowercaseKeys: false)
    var body: [UInt8] = []
    /// The path without its query.
    var path = ""
    /// The route matched from the head; nil when none took the request (answered 404/405).
    var route: Router.Route?
    var parameters: [String: String] = [:]
    /// The largest body this request may bring (the route's limit).
    var bodyLimit = 0
    /// Bytes of the server's in-flight body budget this request holds until it completes.
    var reserved = 0
    /// Its connection's request deadline.
    var clock: ConnectionClock?
    var responder: HTTPResponder?
    var status = 0
    let started = DispatchTime.now().uptimeNanoseconds

    init(method: String, target: String) {
        self.method = method
        self.target = target
    }
}

/// Collects header or query values through libmicrohttpd's iterator.
final class ValueBox {
    let lowercaseKeys: Bool
    var values: [String: String] = [:]
    init(lowercaseKeys: Bool) {
        self.lowercaseKeys = lowercaseKeys
        // Headers: room for a typical request's, so the table is not regrown header by header.
        if lowercaseKeys { values.reserveCapacity(12) }
    }
}
