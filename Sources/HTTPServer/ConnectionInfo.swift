// libmicrohttpd's `MHD_get_connection_info`, reached through the CMicroHTTPD shim's non-variadic
// wrapper: the request deadline needs each connection's socket, and each request its connection's
// clock.
import CMicroHTTPD

/// A connection's socket and its context, from libmicrohttpd.
enum ConnectionInfo {
    /// The connection's socket (nil if libmicrohttpd cannot say).
    static func socket(of connection: OpaquePointer) -> Int32? {
        ai_mhd_connection_info(connection, .CONNECTION_INFO_CONNECTION_FD).map { $0.pointee.connect_fd }
    }

    /// What the connection-opened notification stored for the connection.
    static func context(of connection: OpaquePointer) -> UnsafeMutableRawPointer? {
        ai_mhd_connection_info(connection, .CONNECTION_INFO_SOCKET_CONTEXT)?.pointee.socket_context
    }
}
