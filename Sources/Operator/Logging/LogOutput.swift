import Foundation
import Logging

/// Where log lines go (stderr by default; tests capture them). Every line passes through the
/// redactor first, so a configured secret can never be written, whatever a message holds.
public final class LogOutput: @unchecked Sendable {
    // Safe: `redactor` and `capture` are only touched under `lock`.
    private let lock = NSLock()
    private var redactor = Redactor(secrets: [])
    private var capture: [String]?
    private let fd: Int32

    public init(fd: Int32 = 2, capturing: Bool = false) {
        self.fd = fd
        capture = capturing ? [] : nil
    }

    public func setSecrets(_ secrets: [String]) {
        lock.lock()
        redactor = Redactor(secrets: secrets)
        lock.unlock()
    }

    public func write(_ line: String) {
        lock.lock()
        let safe = redactor.redact(line)
        if capture != nil {
            capture!.append(safe)
        } else {
            var bytes = Array(safe.utf8)
            bytes.append(10)
            bytes.withUnsafeBytes { _ = Foundation.write(fd, $0.baseAddress, $0.count) }
        }
        lock.unlock()
    }

    public var captured: [String] {
        lock.lock()
        defer { lock.unlock() }
        return capture ?? []
    }
}

/// Replaces every occurrence of a secret value with `[REDACTED]`.
public struct Redactor: Sendable {
    let secrets: [String]
    public init(secrets: [String]) { self.secrets = secrets.filter { $0.count >= 4 }.sorted { $0.count > $1.count } }
    public func redact(_ s: String) -> String {
        var out = s
        for secret in secrets where out.contains(secret) {
            out = out.replacingOccurrences(of: secret, with: "[REDACTED]")
        }
        return out
    }
}

/// A swift-log handler writing one line per event: JSON (`LOG_FORMAT=json`, for log
/// shippers) or text.
public struct OperatorLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    public var logLevel: Logger.Level
    let label: String
    let json: Bool
    let output: LogOutput

    public init(label: String, level: Logger.Level, json: Bool, output: LogOutput) {
        self.label = label
        self.logLevel = level
        self.json = json
        self.output = output
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var all = metadata
        if let provided = metadataProvider?.get() { all.merge(provided) { $1 } }
        if let m = event.metadata { all.merge(m) { $1 } }
        let ts = Self.timestamp()
        if json {
            var obj: [String: Any] = [
                "timestamp": ts, "level": event.level.rawValue, "logger": label,
                "message": event.message.description,
            ]
            for (k, v) in all { obj[k] = Self.plain(v) }
            let data =
                (try? JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys, .withoutEscapingSlashes]))
                ?? Data()
            output.write(String(decoding: data, as: UTF8.self))
        } else {
            let meta = all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            output.write(
                "\(ts) \(event.level.rawValue.uppercased()) \(label): \(event.message)\(meta.isEmpty ? "" : " " + meta)"
            )
        }
    }

    static func plain(_ v: Logger.Metadata.Value) -> Any {
        switch v {
        case .string(let s): return s
        case .stringConvertible(let c): return c.description
        case .array(let a): return a.map(plain)
        case .dictionary(let d): return d.mapValues(plain)
        }
    }

    static func timestamp() -> String {
        Date().formatted(
            Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: TimeZone(identifier: "UTC")!))
    }

    public static func level(_ name: String) -> Logger.Level {
        switch name.uppercased() {
        case "TRACE": return .trace
        case "DEBUG": return .debug
        case "NOTICE": return .notice
        case "WARNING", "WARN": return .warning
        case "ERROR": return .error
        case "CRITICAL": return .critical
        default: return .info
        }
    }
}
