import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Why the HTTP server could not start: a listen address it cannot use, or a failed system call.
public enum HTTPServerError: Error, CustomStringConvertible, Sendable {
    case invalidAddress(String)
    case system(String, Int32)
    case startFailed(String)

    public var description: String {
        switch self {
        case .invalidAddress(let address): return "invalid listen address '\(address)' (expected host:port)"
        case .system(let what, let code): return "\(what) failed: \(String(cString: strerror(code)))"
        case .startFailed(let why): return "the HTTP server could not start: \(why)"
        }
    }
}
