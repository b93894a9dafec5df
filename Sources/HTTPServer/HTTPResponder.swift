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
    private let connection: OpaquePointer

    init(connection: OpaquePointer) {
        self.connection = connection
    }

    public func respond(_ answer: HTTPResponse) {
        lock.lock()
        guard response == nil else {
            lock.unlock()
            return
        }
        response = answer
        if suspended {
            suspended = false
            MHD_resume_connection(connection)
        }
        lock.unlock()
    }

    /// Called on the MHD thread after the handler returned: the response if there is one,
    /// otherwise the connection is suspended (atomically with respect to `respond`).
    func takeOrSuspend() -> HTTPResponse? {
        lock.lock()
        defer { lock.unlock() }
        if let response { return response }
        suspended = true
        MHD_suspend_connection(connection)
        return nil
    }

    /// Called on the MHD thread after a resume.
    func takeResponse() -> HTTPResponse? {
        lock.lock()
        defer { lock.unlock() }
        return response
    }
}
