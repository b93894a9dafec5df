import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A listening TCP socket we create ourselves, so that port 0 works (tests bind free ports)
/// and the bound port is known without libmicrohttpd's variadic info call.
struct ListenSocket {
    let fd: Int32
    let port: Int

    /// `host:port`, `[v6]:port`, or `:port`. Hosts: IPv4/IPv6 literals, `localhost`.
    static func parse(_ address: String) throws -> (host: String, port: Int) {
        var host: String
        var portText: Substring
        if address.hasPrefix("[") {
            guard let close = address.firstIndex(of: "]") else { throw HTTPServerError.invalidAddress(address) }
            host = String(address[address.index(after: address.startIndex)..<close])
            let rest = address[address.index(after: close)...]
            guard rest.hasPrefix(":") else { throw HTTPServerError.invalidAddress(address) }
            portText = rest.dropFirst()
        } else {
            guard let colon = address.lastIndex(of: ":") else { throw HTTPServerError.invalidAddress(address) }
            host = String(address[..<colon])
            portText = address[address.index(after: colon)...]
        }
        if host.isEmpty { host = "0.0.0.0" }
        if host == "localhost" { host = "127.0.0.1" }
        guard let port = Int(portText), (0...65535).contains(port) else {
            throw HTTPServerError.invalidAddress(address)
        }
        return (host, port)
    }

    static func open(address: String, backlog: Int32 = 1024) throws -> ListenSocket {
        let (host, port) = try parse(address)
        var v4 = in_addr()
        var v6 = in6_addr()
        let family: Int32
        if inet_pton(AF_INET, host, &v4) == 1 {
            family = AF_INET
        } else if inet_pton(AF_INET6, host, &v6) == 1 {
            family = AF_INET6
        } else {
            throw HTTPServerError.invalidAddress(address)
        }
        let fd = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw HTTPServerError.system("socket", errno) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var rc: Int32
        if family == AF_INET {
            var sa = sockaddr_in()
            sa.sin_family = sa_family_t(AF_INET)
            sa.sin_port = in_port_t(UInt16(port).bigEndian)
            sa.sin_addr = v4
            rc = withUnsafePointer(to: &sa) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        } else {
            var sa = sockaddr_in6()
            sa.sin6_family = sa_family_t(AF_INET6)
            sa.sin6_port = in_port_t(UInt16(port).bigEndian)
            sa.sin6_addr = v6
            rc = withUnsafePointer(to: &sa) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size))
                }
            }
        }
        guard rc == 0 else {
            let bindError = errno
            close(fd)
            throw HTTPServerError.system("bind \(address)", bindError)
        }
        guard listen(fd, backlog) == 0 else {
            let listenError = errno
            close(fd)
            throw HTTPServerError.system("listen", listenError)
        }
        // Non-blocking: several libmicrohttpd threads accept on it.
        let flags = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
        var storage = sockaddr_storage()
        var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let boundPort: Int = withUnsafeMutablePointer(to: &storage) { storagePointer in
            storagePointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { boundAddress -> Int in
                guard getsockname(fd, boundAddress, &len) == 0 else { return port }
                if boundAddress.pointee.sa_family == sa_family_t(AF_INET) {
                    return boundAddress.withMemoryRebound(to: sockaddr_in.self, capacity: 1) {
                        Int(UInt16(bigEndian: $0.pointee.sin_port))
                    }
                }
                return boundAddress.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) {
                    Int(UInt16(bigEndian: $0.pointee.sin6_port))
                }
            }
        }
        return ListenSocket(fd: fd, port: boundPort)
    }
}
