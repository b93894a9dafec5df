import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The transport of webhook deliveries: a tiny blocking HTTP/1.1 POST over a plain socket, so the
/// simulator needs no HTTP client of its own (only the answer's status line is read).
extension WebhookSender {
    struct PostError: Error { let description: String }

    /// A tiny blocking HTTP/1.1 POST over a plain socket (runs on the sender's queue only).
    static func post(url: String, headers: [(String, String)], body: [UInt8], timeout: Double) -> Result<Int, PostError>
    {
        guard url.hasPrefix("http://") else {
            return .failure(PostError(description: "only http:// targets are supported"))
        }
        let rest = url.dropFirst("http://".count)
        let hostPort = rest.prefix { $0 != "/" }
        let path = rest.dropFirst(hostPort.count)
        var host = String(hostPort)
        var port = 80
        if let colon = hostPort.lastIndex(of: ":"), let parsedPort = Int(hostPort[hostPort.index(after: colon)...]) {
            host = String(hostPort[..<colon])
            port = parsedPort
        }
        if host == "localhost" { host = "127.0.0.1" }
        var addr = in_addr()
        guard inet_pton(AF_INET, host, &addr) == 1 else {
            return .failure(PostError(description: "host must be an IPv4 literal or localhost"))
        }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return .failure(PostError(description: "socket failed")) }
        defer { close(fd) }
        var tv = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - Double(Int(timeout))) * 1e6))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var sa = sockaddr_in()
        sa.sin_family = sa_family_t(AF_INET)
        sa.sin_port = in_port_t(UInt16(port).bigEndian)
        sa.sin_addr = addr
        let rc = withUnsafePointer(to: &sa) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard rc == 0 else {
            return .failure(PostError(description: "connect failed: \(String(cString: strerror(errno)))"))
        }
        var head =
            "POST \(path.isEmpty ? "/" : String(path)) HTTP/1.1\r\nHost: \(hostPort)\r\nAccept: */*\r\nConnection: close\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        head += "Content-Length: \(body.count)\r\n\r\n"
        let bytes = Array(head.utf8) + body
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes {
                Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
            }
            if written <= 0 {
                return .failure(PostError(description: "write failed: \(String(cString: strerror(errno)))"))
            }
            offset += written
        }
        // Only the status line matters.
        var got: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 4096)
        while !got.contains(10) && got.count < 65536 {
            let received = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if received <= 0 {
                return .failure(
                    PostError(
                        description: received == 0
                            ? "connection closed without an answer" : "timed out waiting for the answer"
                    ))
            }
            got += buf[0..<received]
        }
        let line = String(decoding: got.prefix { $0 != 13 && $0 != 10 }, as: UTF8.self).split(separator: " ")
        guard line.count >= 2, let code = Int(line[1]) else {
            return .failure(PostError(description: "bad status line"))
        }
        return .success(code)
    }
}
