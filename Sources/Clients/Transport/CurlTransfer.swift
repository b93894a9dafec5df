import CCurl
import CCurlShim
import Foundation

/// One request in flight: its easy handle and everything libcurl points into (header list,
/// error buffer, response buffers), kept alive until the transfer is finished. Only the I/O
/// thread touches the easy handle and the buffers; `finish` may race with cancellation and
/// resumes the continuation exactly once.
final class CurlTransfer: @unchecked Sendable {
    // Safe: `easy`, `headerList`, `body`, `headers`, `overflow` are used on the I/O thread only;
    // `continuation` and `cancelRequested` are guarded by `lock`.
    let request: OutboundRequest
    let maxResponseBytes: Int
    private let lock = NSLock()
    private var continuation: CheckedContinuation<OutboundResponse, any Error>?
    private var cancelRequested = false

    var easy: UnsafeMutableRawPointer?
    private var headerList: UnsafeMutablePointer<curl_slist>?
    private let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
    var body: [UInt8] = []
    var headers: [String: String] = [:]
    var overflow = false

    init(request: OutboundRequest, maxResponseBytes: Int) {
        self.request = request
        self.maxResponseBytes = maxResponseBytes
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
    }

    deinit {
        cleanup()
        errorBuffer.deallocate()
    }

    func attach(_ waiting: CheckedContinuation<OutboundResponse, any Error>) {
        lock.lock()
        continuation = waiting
        lock.unlock()
    }

    /// Marks the transfer cancelled; true if it was still waiting for an answer.
    func requestCancel() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        cancelRequested = true
        return continuation != nil
    }

    var isCancelRequested: Bool {
        lock.lock()
        defer { lock.unlock() }
        return cancelRequested
    }

    func finish(_ result: Result<OutboundResponse, any Error>) {
        lock.lock()
        let waiting = continuation
        continuation = nil
        lock.unlock()
        waiting?.resume(with: result)
    }

    /// Creates and configures the easy handle. Returns an error message if a setting was refused.
    func prepare(_ config: TransportConfiguration) -> String? {
        guard let handle = curl_easy_init() else { return "curl_easy_init failed" }
        easy = handle
        let selfPointer = Unmanaged.passUnretained(self).toOpaque()
        var rc = CURLE_OK
        func check(_ code: CURLcode) { if rc == CURLE_OK { rc = code } }

        check(shim_easy_setopt_str(handle, CURLOPT_URL, request.url))
        check(shim_easy_setopt_long(handle, CURLOPT_NOSIGNAL, 1))
        check(shim_easy_setopt_ptr(handle, CURLOPT_ERRORBUFFER, UnsafeMutableRawPointer(errorBuffer)))
        check(shim_easy_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, config.connectTimeout.milliseconds))
        check(
            shim_easy_setopt_long(handle, CURLOPT_TIMEOUT_MS, (request.timeout ?? config.requestTimeout).milliseconds))
        check(shim_easy_setopt_long(handle, CURLOPT_SSL_VERIFYPEER, 1))
        check(shim_easy_setopt_long(handle, CURLOPT_SSL_VERIFYHOST, 2))
        if let caFile = request.caFile ?? config.caFile { check(shim_easy_setopt_str(handle, CURLOPT_CAINFO, caFile)) }
        check(shim_easy_setopt_long(handle, CURLOPT_FOLLOWLOCATION, config.maxRedirects > 0 ? 1 : 0))
        check(shim_easy_setopt_long(handle, CURLOPT_MAXREDIRS, config.maxRedirects))
        check(shim_easy_setopt_off(handle, CURLOPT_MAXFILESIZE_LARGE, curl_off_t(maxResponseBytes)))
        check(shim_easy_setopt_str(handle, CURLOPT_ACCEPT_ENCODING, ""))
        check(shim_easy_setopt_write_cb(handle, CURLOPT_WRITEFUNCTION, CurlCallbacks.write))
        check(shim_easy_setopt_ptr(handle, CURLOPT_WRITEDATA, selfPointer))
        check(shim_easy_setopt_write_cb(handle, CURLOPT_HEADERFUNCTION, CurlCallbacks.header))
        check(shim_easy_setopt_ptr(handle, CURLOPT_HEADERDATA, selfPointer))

        let method = request.method.uppercased()
        switch method {
        case "GET" where request.body == nil:
            check(shim_easy_setopt_long(handle, CURLOPT_HTTPGET, 1))
        case "HEAD":
            check(shim_easy_setopt_long(handle, CURLOPT_NOBODY, 1))
        default:
            if method != "POST" { check(shim_easy_setopt_str(handle, CURLOPT_CUSTOMREQUEST, method)) }
            if let body = request.body {
                // COPYPOSTFIELDS copies: the Swift array need not outlive this call.
                check(shim_easy_setopt_long(handle, CURLOPT_POSTFIELDSIZE, body.count))
                if body.isEmpty {
                    check(shim_easy_setopt_str(handle, CURLOPT_COPYPOSTFIELDS, ""))
                } else {
                    body.withUnsafeBytes { raw in
                        check(
                            shim_easy_setopt_ptr(
                                handle, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: raw.baseAddress!)))
                    }
                }
            } else if method == "POST" || method == "PUT" || method == "PATCH" {
                check(shim_easy_setopt_long(handle, CURLOPT_POSTFIELDSIZE, 0))
                check(shim_easy_setopt_str(handle, CURLOPT_COPYPOSTFIELDS, ""))
            }
        }

        var list: UnsafeMutablePointer<curl_slist>?
        for (name, value) in request.headers {
            // curl_slist_append copies the string.
            if let next = curl_slist_append(list, "\(name): \(value)") { list = next }
        }
        // No `Expect: 100-continue` round trip for larger bodies.
        if let next = curl_slist_append(list, "Expect:") { list = next }
        headerList = list
        check(shim_easy_setopt_ptr(handle, CURLOPT_HTTPHEADER, UnsafeMutableRawPointer(list)))
        return rc == CURLE_OK ? nil : String(cString: curl_easy_strerror(rc))
    }

    /// The outcome once libcurl reported the transfer done with `code`.
    func outcome(_ code: CURLcode) -> Result<OutboundResponse, any Error> {
        guard let handle = easy else { return .failure(TransportError(kind: .other, message: "no handle")) }
        if code == CURLE_OK {
            var status = 0
            _ = shim_easy_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
            var connects = 0
            _ = shim_easy_getinfo_long(handle, CURLINFO_NUM_CONNECTS, &connects)
            return .success(
                OutboundResponse(status: status, headers: headers, body: body, reusedConnection: connects == 0))
        }
        let detail = errorBuffer.pointee == 0 ? String(cString: curl_easy_strerror(code)) : String(cString: errorBuffer)
        let kind: TransportError.Kind
        switch code {
        case _ where overflow, CURLE_FILESIZE_EXCEEDED: kind = .responseTooLarge
        case CURLE_OPERATION_TIMEDOUT: kind = .timedOut
        case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY: kind = .connectFailed
        case CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL: kind = .invalidRequest
        default: kind = .other
        }
        let message = kind == .responseTooLarge ? "response larger than \(maxResponseBytes) bytes" : detail
        return .failure(TransportError(kind: kind, curlCode: Int(code.rawValue), message: message))
    }

    /// Frees the easy handle and the header list (after removal from the multi handle).
    func cleanup() {
        if let handle = easy {
            curl_easy_cleanup(handle)
            easy = nil
        }
        if let list = headerList {
            curl_slist_free_all(list)
            headerList = nil
        }
    }

    // Called from the callbacks on the I/O thread.
    func append(_ data: UnsafeRawBufferPointer) -> Bool {
        if body.count + data.count > maxResponseBytes {
            overflow = true
            return false
        }
        if body.isEmpty, let declared = headers["content-length"].flatMap(Int.init), declared > data.count,
            declared <= maxResponseBytes
        {
            // One allocation of the announced size: a large list is not grown by doubling
            // (which would hold up to twice its size, plus a copy at every step).
            body.reserveCapacity(declared)
        }
        body.append(contentsOf: data)
        return true
    }

    func headerLine(_ line: String) {
        if line.hasPrefix("HTTP/") {
            // A new response (redirect, 100 Continue): forget the previous headers.
            headers.removeAll()
            return
        }
        guard let colon = line.firstIndex(of: ":") else { return }
        let name = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
        let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespacesAndNewlines)
        guard !name.isEmpty else { return }
        if let existing = headers[name] {
            headers[name] = existing + ", " + value
        } else {
            headers[name] = value
        }
    }
}
