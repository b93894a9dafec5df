// The request path on libmicrohttpd's worker threads: the head is judged before any body byte is
// read (route, body limit, screen, budget), the body is buffered within its limits, and the
// handler runs once the request is whole. Refusals before the body are queued normally; a body
// refused while it arrives is answered on the socket and its connection closed.
import CMicroHTTPD
import Foundation

extension HTTPServer {
    func access(
        _ connection: OpaquePointer?, _ url: UnsafePointer<CChar>?, _ method: UnsafePointer<CChar>?,
        _ uploadData: UnsafePointer<CChar>?, _ uploadSize: UnsafeMutablePointer<Int>?,
        _ conCls: UnsafeMutablePointer<UnsafeMutableRawPointer?>?
    ) -> MHD_Result {
        guard let connection, let conCls, let uploadSize else { return .NO }
        guard let raw = conCls.pointee else { return begin(connection, url, method, conCls) }
        let state = Unmanaged<RequestState>.fromOpaque(raw).takeUnretainedValue()
        if let responder = state.responder {
            // Resumed after a deferred answer.
            guard let response = responder.takeResponse() else { return .YES }
            return queue(connection, state, response)
        }
        let size = uploadSize.pointee
        if size > 0 {
            uploadSize.pointee = 0
            return receive(state, uploadData, size)
        }
        return arrived(connection, state)
    }

    /// The first call: only the head is here. Everything that can refuse the request without
    /// its body does so now, so a refused body is never read.
    private func begin(
        _ connection: OpaquePointer, _ url: UnsafePointer<CChar>?, _ method: UnsafePointer<CChar>?,
        _ conCls: UnsafeMutablePointer<UnsafeMutableRawPointer?>
    ) -> MHD_Result {
        let state = RequestState(
            method: method.map { String(cString: $0) } ?? "GET",
            target: url.map { String(cString: $0) } ?? "/")
        _ = MHD_get_connection_values(
            connection, .HEADER_KIND, MHDCallbacks.collect,
            Unmanaged.passUnretained(state.headers).toOpaque())
        _ = MHD_get_connection_values(
            connection, .GET_ARGUMENT_KIND, MHDCallbacks.collect,
            Unmanaged.passUnretained(state.query).toOpaque())
        conCls.pointee = Unmanaged.passRetained(state).toOpaque()
        lock.lock()
        inFlight[ObjectIdentifier(state)] = state
        lock.unlock()
        if let context = ConnectionInfo.context(of: connection) {
            let clock = Unmanaged<ConnectionClock>.fromOpaque(context).takeUnretainedValue()
            clock.requestBegins(now: DispatchTime.now().uptimeNanoseconds)
            state.clock = clock
        }
        state.path = splitTarget(state.target).0
        let found = router.lookup(method: state.method, path: state.path)
        guard case .found(let route, let parameters) = found else {
            let refusal =
                Router.refusal(found, method: state.method, path: state.path)
                ?? .error(404, "not_found", "no such path: \(state.path)")
            return queue(connection, state, refusal)
        }
        state.route = route
        state.parameters = parameters
        let limit = route.options.maxBodyBytes ?? (route.method == "GET" ? 0 : configuration.maxBodyBytes)
        state.bodyLimit = limit
        // A length that is not a number is not read either (libmicrohttpd refuses most first).
        let lengthHeader = state.headers.values["content-length"]
        let declared = lengthHeader.map { Int($0) ?? .max }
        let chunked = declared == nil && state.headers.values["transfer-encoding"] != nil
        if (declared ?? 0) > limit || (chunked && limit == 0) {
            return queue(connection, state, refuse(state, tooLarge(limit)))
        }
        if let screen = route.options.screen, let answer = screen(head(state)) {
            return queue(connection, state, answer)
        }
        if let declared, declared > 0 {
            guard budget.reserve(declared) else { return queue(connection, state, refuse(state, overloaded())) }
            state.reserved = declared
            state.body.reserveCapacity(declared)
        }
        return .YES
    }

    /// A piece of the body: buffered within the route's limit and the server's budget.
    private func receive(_ state: RequestState, _ data: UnsafePointer<CChar>?, _ size: Int) -> MHD_Result {
        let total = state.body.count + size
        if total > state.bodyLimit { return cut(state, refuse(state, tooLarge(state.bodyLimit))) }
        if total > state.reserved {
            // A chunked body: it takes from the budget as it comes.
            guard budget.reserve(total - state.reserved) else { return cut(state, refuse(state, overloaded())) }
            state.reserved = total
        }
        if let data {
            data.withMemoryRebound(to: UInt8.self, capacity: size) {
                state.body.append(contentsOf: UnsafeBufferPointer(start: $0, count: size))
            }
        }
        if let clock = state.clock, clock.isOverdue(now: DispatchTime.now().uptimeNanoseconds) { return .NO }
        return .YES
    }

    /// The whole request is here: its handler runs, and answers now or later.
    private func arrived(_ connection: OpaquePointer, _ state: RequestState) -> MHD_Result {
        guard let route = state.route else { return .NO }
        if let clock = state.clock {
            if clock.isOverdue(now: DispatchTime.now().uptimeNanoseconds) { return .NO }
            clock.requestArrived()
        }
        var request = HTTPRequest(
            method: state.method, path: state.path, query: state.query.values,
            headers: state.headers.values, body: state.body)
        request.pathParameters = state.parameters
        request.routePattern = route.pattern
        state.body = []
        let responder = HTTPResponder(connection: connection)
        state.responder = responder
        route.handler(request, responder)
        if let response = responder.takeOrSuspend() {
            return queue(connection, state, response)
        }
        return .YES
    }

    func completed(_ conCls: UnsafeMutablePointer<UnsafeMutableRawPointer?>?) {
        guard let conCls, let raw = conCls.pointee else { return }
        let state = Unmanaged<RequestState>.takeRetainedValue(Unmanaged<RequestState>.fromOpaque(raw))()
        conCls.pointee = nil
        budget.release(state.reserved)
        let now = DispatchTime.now().uptimeNanoseconds
        state.clock?.requestEnded(now: now)
        lock.lock()
        inFlight[ObjectIdentifier(state)] = nil
        if inFlight.isEmpty { lock.broadcast() }
        lock.unlock()
        if let observer {
            let seconds = Double(now - state.started) / 1e9
            observer(
                Completed(
                    method: Self.methodLabel(state.method), route: state.route?.pattern ?? "unmatched",
                    status: state.status, seconds: seconds))
        }
    }

    /// The method as a metrics label: one of a closed set, whatever the request says.
    static func methodLabel(_ method: String) -> String {
        switch method {
        case "GET", "POST", "HEAD": return method
        default: return "other"
        }
    }

    /// The request as its handler would see it, without a body (for screens and refusal notices).
    private func head(_ state: RequestState) -> HTTPRequest {
        var request = HTTPRequest(
            method: state.method, path: state.path, query: state.query.values, headers: state.headers.values)
        request.pathParameters = state.parameters
        request.routePattern = state.route?.pattern ?? ""
        return request
    }

    /// A refusal by the server itself, told to the route first.
    private func refuse(_ state: RequestState, _ response: HTTPResponse) -> HTTPResponse {
        state.route?.options.refused?(head(state), response.status)
        return response
    }

    /// Refuses a body while it is still arriving: answer on the socket, then close.
    private func cut(_ state: RequestState, _ response: HTTPResponse) -> MHD_Result {
        state.status = response.status
        if let clock = state.clock { RawAnswer.send(response, to: clock.socket) }
        return .NO
    }

    private func tooLarge(_ limit: Int) -> HTTPResponse {
        limit == 0
            ? .error(413, "payload_too_large", "this route takes no request body")
            : .error(413, "payload_too_large", "the body exceeds \(limit) bytes")
    }

    private func overloaded() -> HTTPResponse {
        .error(
            503, "overloaded", "too many request bodies are in flight; retry shortly",
            headers: [("Retry-After", "1")])
    }

    func queue(_ connection: OpaquePointer, _ state: RequestState, _ response: HTTPResponse) -> MHD_Result {
        state.status = response.status
        if response.status == 0 { return .NO }
        let answer: OpaquePointer? = response.body.withUnsafeBytes { buf in
            MHD_create_response_from_buffer(
                buf.count, UnsafeMutableRawPointer(mutating: buf.baseAddress), .RESPMEM_MUST_COPY)
        }
        guard let answer else { return .NO }
        for (name, value) in response.headers {
            _ = MHD_add_response_header(answer, name, value)
        }
        let result = MHD_queue_response(connection, UInt32(response.status), answer)
        MHD_destroy_response(answer)
        return result
    }
}
