import Foundation

/// A configuration problem, reported as one line naming the setting. Never carries a
/// secret's value.
public enum ConfigError: Error, CustomStringConvertible, Equatable, Sendable {
    case missing(String, String)
    case invalid(String, String)
    case unreadable(String, String)
    case syntax(String, Int, String)

    public var description: String {
        switch self {
        case .missing(let key, let hint): return "configuration error: \(key) is required (\(hint))"
        case .invalid(let key, let why): return "configuration error: \(key) is invalid: \(why)"
        case .unreadable(let key, let path): return "configuration error: \(key): cannot read \(path)"
        case .syntax(let file, let line, let why): return "configuration error: \(file) line \(line): \(why)"
        }
    }
}
