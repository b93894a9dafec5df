// What libmicrohttpd keeps for each request while it is read and answered: the request so far,
// its headers and query, and how it ended.
import Foundation

/// Per-request state, owned by libmicrohttpd's `*con_cls` from the first call to the
/// completion callback. Only the connection's current worker thread touches it.
final class RequestState {
    let method: String
    let target: String
    let headers = ValueBox(lowercaseKeys: true)
    let query = ValueBox(lowercaseKeys: false)
    var body: [UInt8] = []
    var tooLarge = false
    var discarded = 0
    var responder: HTTPResponder?
    var status = 0
    var route = "unmatched"
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
