import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A response read by `RawHTTP`.
public struct RawHTTPResponse: Sendable {
    public let status: Int
    public let headers: [String: String]
    public let body: [UInt8]

    public var text: String { String(decoding: body, as: UTF8.self) }
    public var json: [String: Any]? { (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] }
    public func header(_ name: String) -> String? { headers[name.lowercased()] }
}

public struct RawHTTPError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A deliberately small, blocking HTTP/1.1 client over a plain socket, for tests: it can send
/// malformed requests, and every read and write has a hard timeout. One request per connection.
public enum RawHTTP {
    public static func request(
        port: Int, method: String, path: String, headers: [(String, String)] = [],
        body: [UInt8] = [], host: String = "127.0.0.1", timeout: Double = 10
    ) throws -> RawHTTPResponse {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: \(host):\(port)\r\nConnection: close\r\n"
        var hasLength = false
        for (name, value) in headers {
            head += "\(name): \(value)\r\n"
            if name.lowercased() == "content-length" || name.lowercased() == "transfer-encoding" { hasLength = true }
        }
        if !hasLength && (!body.isEmpty || method == "POST" || method == "PUT") {
            head += "Content-Length: \(body.count)\r\n"
        }
        head += "\r\n"
        return try send(port: port, bytes: Array(head.utf8) + body, host: host, timeout: timeout)
    }

    /// Sends raw bytes and reads the response until the server closes the connection.
    public static func send(port: Int, bytes: [UInt8], host: String = "127.0.0.1", timeout: Double = 10) throws
        -> RawHTTPResponse
    {
        let fd = try connect(port: port, host: host, timeout: timeout)
        defer { close(fd) }
        try writeAll(fd, bytes)
        let raw = try readAll(fd)
        return try parse(raw)
    }

    /// Opens a connection (for tests that hold connections open or write slowly).
    public static func connect(port: Int, host: String = "127.0.0.1", timeout: Double = 10) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw RawHTTPError("socket failed") }
        var socketTimeout = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - Double(Int(timeout))) * 1e6))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &socketTimeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &socketTimeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, host, &address.sin_addr)
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard rc == 0 else {
            let connectError = errno
            close(fd)
            throw RawHTTPError("connect to \(host):\(port) failed: \(String(cString: strerror(connectError)))")
        }
        return fd
    }

    public static func writeAll(_ fd: Int32, _ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes {
                Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
            }
            if sent <= 0 {
                // The server may answer early (e.g. 413) and close: let the caller read that answer.
                if errno == EPIPE || errno == ECONNRESET { return }
                throw RawHTTPError("write failed: \(String(cString: strerror(errno)))")
            }
            offset += sent
        }
    }

    public static func readAll(_ fd: Int32) throws -> [UInt8] {
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let received = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if received == 0 { break }
            if received < 0 {
                if errno == ECONNRESET, !out.isEmpty { break }
                if errno == EAGAIN || errno == EWOULDBLOCK {
                    throw RawHTTPError("read timed out after \(out.count) bytes")
                }
                throw RawHTTPError("read failed: \(String(cString: strerror(errno)))")
            }
            out.append(contentsOf: buffer[0..<received])
        }
        return out
    }

    public static func parse(_ raw: [UInt8]) throws -> RawHTTPResponse {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard let end = raw.firstRange(of: separator) else {
            throw RawHTTPError("no complete response head in \(raw.count) bytes")
        }
        let head = String(decoding: raw[..<end.lowerBound], as: UTF8.self)
        var lines = head.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst().split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else { throw RawHTTPError("bad status line") }
        var headers: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(
                in: .whitespaces)
        }
        var body = Array(raw[end.upperBound...])
        if let length = headers["content-length"].flatMap(Int.init), body.count > length {
            body = Array(body[0..<length])
        }
        return RawHTTPResponse(status: status, headers: headers, body: body)
    }
}
