// The operator's swift-log handler: formats each event as a JSON or text line and hands it
// to `LogOutput`.
import Foundation
import Logging

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
        if let eventMetadata = event.metadata { all.merge(eventMetadata) { $1 } }
        let timestamp = Self.timestamp()
        if json {
            var object: [String: Any] = [
                "timestamp": timestamp, "level": event.level.rawValue, "logger": label,
                "message": event.message.description,
            ]
            for (key, value) in all { object[key] = Self.plain(value) }
            let data =
                (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]))
                ?? Data()
            output.write(String(decoding: data, as: UTF8.self))
        } else {
            let meta = all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            output.write(
                "\(timestamp) \(event.level.rawValue.uppercased()) \(label): \(event.message)\(meta.isEmpty ? "" : " " + meta)"
            )
        }
    }

    static func plain(_ value: Logger.Metadata.Value) -> Any {
        switch value {
        case .string(let string): return string
        case .stringConvertible(let convertible): return convertible.description
        case .array(let array): return array.map(plain)
        case .dictionary(let dictionary): return dictionary.mapValues(plain)
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
