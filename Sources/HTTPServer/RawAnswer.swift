// An answer written straight to a connection's socket, for the one case libmicrohttpd 0.9.75
// cannot answer itself: a body refused while it is still arriving (it queues an answer only
// before the body is read or after all of it). The connection is closed right after.
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Writes a whole response (with `Connection: close`) and ends the connection's sending side,
/// so the client reads the answer and then the end of the stream.
enum RawAnswer {
    static func send(_ response: HTTPResponse, to socket: Int32) {
        var head = "HTTP/1.1 \(response.status) \(reason(response.status))\r\n"
        for (name, value) in response.headers { head += "\(name): \(value)\r\n" }
        head += "Content-Length: \(response.body.count)\r\nConnection: close\r\n\r\n"
        let bytes = Array(head.utf8) + response.body
        // Nothing was written on this connection yet (or only "100 Continue"): the socket's send
        // buffer takes these few hundred bytes whole. Never blocks: libmicrohttpd's worker thread.
        _ = bytes.withUnsafeBytes { Glibc.send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT)) }
        shutdown(socket, Int32(SHUT_WR))
    }

    static func reason(_ status: Int) -> String {
        switch status {
        case 413: return "Payload Too Large"
        case 503: return "Service Unavailable"
        default: return "Error"
        }
    }
}
