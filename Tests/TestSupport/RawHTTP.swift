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
    public init(_ d: String) { description = d }
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
        for (k, v) in headers {
            head += "\(k): \(v)\r\n"
            if k.lowercased() == "content-length" || k.lowercased() == "transfer-encoding" { hasLength = true }
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
        var tv = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - Double(Int(timeout))) * 1e6))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var sa = sockaddr_in()
        sa.sin_family = sa_family_t(AF_INET)
        sa.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, host, &sa.sin_addr)
        let rc = withUnsafePointer(to: &sa) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard rc == 0 else {
            let e = errno
            close(fd)
            throw RawHTTPError("connect to \(host):\(port) failed: \(String(cString: strerror(e)))")
        }
        return fd
    }

    public static func writeAll(_ fd: Int32, _ bytes: [UInt8]) throws {
        var off = 0
        while off < bytes.count {
            let n = bytes[off...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 {
                // The server may answer early (e.g. 413) and close: let the caller read that answer.
                if errno == EPIPE || errno == ECONNRESET { return }
                throw RawHTTPError("write failed: \(String(cString: strerror(errno)))")
            }
            off += n
        }
    }

    public static func readAll(_ fd: Int32) throws -> [UInt8] {
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n == 0 { break }
            if n < 0 {
                if errno == ECONNRESET, !out.isEmpty { break }
                if errno == EAGAIN || errno == EWOULDBLOCK {
                    throw RawHTTPError("read timed out after \(out.count) bytes")
                }
                throw RawHTTPError("read failed: \(String(cString: strerror(errno)))")
            }
            out.append(contentsOf: buf[0..<n])
        }
        return out
    }

    public static func parse(_ raw: [UInt8]) throws -> RawHTTPResponse {
        let sep: [UInt8] = [13, 10, 13, 10]
        guard let end = raw.firstRange(of: sep) else {
            throw RawHTTPError("no complete response head in \(raw.count) bytes")
        }
        let head = String(decoding: raw[..<end.lowerBound], as: UTF8.self)
        var lines = head.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst().split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else { throw RawHTTPError("bad status line") }
        var headers: [String: String] = [:]
        for line in lines {
            guard let c = line.firstIndex(of: ":") else { continue }
            headers[line[..<c].lowercased()] = line[line.index(after: c)...].trimmingCharacters(in: .whitespaces)
        }
        var body = Array(raw[end.upperBound...])
        if let len = headers["content-length"].flatMap(Int.init), body.count > len { body = Array(body[0..<len]) }
        return RawHTTPResponse(status: status, headers: headers, body: body)
    }
}

/// A fresh directory under the system temp dir, removed by `remove()`.
public struct TemporaryDirectory: Sendable {
    public let path: String
    public init(_ prefix: String = "ai-operator-test") {
        path = NSTemporaryDirectory() + "\(prefix)-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    public func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// Re-evaluates `condition` every 10 ms until it holds or `seconds` pass; returns whether it held.
/// For effects that are asynchronous by design (a bounded wait, never a fixed sleep).
public func eventually(within seconds: Double = 5, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while true {
        if try condition() { return true }
        if Date() >= deadline { return false }
        usleep(10_000)
    }
}
