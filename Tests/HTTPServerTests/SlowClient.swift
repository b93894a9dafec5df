// A client that sends its request a little at a time (a byte every so often), to see when the
// server gives up on it: the request-deadline tests' sender.
import Foundation
import TestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// How a slow send ended: when the server closed the connection (nil: it stayed open until the
/// client stopped), and what it answered meanwhile.
struct SlowSendResult {
    let closedAfter: Double?
    let answer: [UInt8]
}

enum SlowClient {
    /// Connects, sends `head` at once, then one byte of `trickle` every `interval` seconds until
    /// the server closes the connection or `limit` seconds have passed since connecting.
    static func send(port: Int, head: [UInt8], trickle: [UInt8], interval: Double, limit: Double) throws
        -> SlowSendResult
    {
        let fd = try RawHTTP.connect(port: port, timeout: limit + 5)
        defer { close(fd) }
        let start = Date()
        var answer: [UInt8] = []
        if !head.isEmpty { try RawHTTP.writeAll(fd, head) }
        var next = 0
        while Date().timeIntervalSince(start) < limit {
            // Wait up to `interval` for the server to answer or close; then send the next byte.
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            if poll(&poller, 1, Int32(interval * 1000)) > 0 {
                var buffer = [UInt8](repeating: 0, count: 4096)
                let received = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if received > 0 {
                    answer += buffer[0..<received]
                    continue
                }
                return SlowSendResult(closedAfter: Date().timeIntervalSince(start), answer: answer)
            }
            if next < trickle.count {
                let sent = withUnsafeBytes(of: trickle[next]) { Glibc.send(fd, $0.baseAddress, 1, Int32(MSG_NOSIGNAL)) }
                if sent < 0 { return SlowSendResult(closedAfter: Date().timeIntervalSince(start), answer: answer) }
                next += 1
            }
        }
        return SlowSendResult(closedAfter: nil, answer: answer)
    }
}
