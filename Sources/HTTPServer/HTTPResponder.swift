import CMicroHTTPD
import Foundation

/// Answers one request, now or later, from any thread. The first `respond` wins; later calls
/// are ignored. A handler that does not answer before returning suspends the connection
/// (libmicrohttpd's thread is freed) until `respond` is called.
public final class HTTPResponder: @unchecked Sendable {
    // Safe: every mutable field is guarded by `lock`.
    private let lock = NSLock()
    private var response: HTTPResponse?
    private var suspended = false
    private var connection: OpaquePointer?
    private let onRespond: (@Sendable (HTTPResponse) -> Void)?

    init(connection: OpaquePointer?, onRespond: (@Sendable (HTTPResponse) -> Void)? = nil) {
        self.connection = connection
        self.onRespond = onRespond
    }

    /// A responder not bound to a connection: for calling handlers directly (tests, in-process use).
    public static func detached(_ onRespond: @escaping @Sendable (HTTPResponse) -> Void) -> HTTPResponder {
        HTTPResponder(connection: nil, onRespond: onRespond)
    }

    public func respond(_ r: HTTPResponse) {
        lock.lock()
        guard response == nil else { lock.unlock(); return }
        response = r
        if suspended, let c = connection {
            suspended = false
            MHD_resume_connection(c)
        }
        lock.unlock()
        onRespond?(r)
    }

    /// Called on the MHD thread after the handler returned: the response if there is one,
    /// otherwise the connection is suspended (atomically with respect to `respond`).
    func takeOrSuspend() -> HTTPResponse? {
        lock.lock()
        defer { lock.unlock() }
        if let r = response { return r }
        if let c = connection {
            suspended = true
            MHD_suspend_connection(c)
        }
        return nil
    }

    /// Called on the MHD thread after a resume.
    func takeResponse() -> HTTPResponse? {
        lock.lock()
        defer { lock.unlock() }
        return response
    }
}
