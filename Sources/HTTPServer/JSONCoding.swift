// How the API writes JSON: the shared encoder, and the timestamp format it writes dates in.
import Foundation

/// The shared JSON encoder: UTC timestamps with milliseconds, sorted keys (stable answers).
public enum JSONCoding {
    public static let encoder: JSONEncoder = {
        let jsonEncoder = JSONEncoder()
        jsonEncoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        jsonEncoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(Timestamp.string(date))
        }
        return jsonEncoder
    }()
}

/// ISO 8601 UTC timestamps with milliseconds, e.g. `2026-11-21T17:53:00.123Z`.
public enum Timestamp {
    public static func string(_ date: Date) -> String {
        date.formatted(
            Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: TimeZone(identifier: "UTC")!))
    }

    public static func parse(_ text: String) -> Date? {
        if let date = try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text) { return date }
        return try? Date.ISO8601FormatStyle().parse(text)
    }
}
