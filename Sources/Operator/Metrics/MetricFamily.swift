// What every metric family shares: name, help, label names, its lock, and the text format
// helpers (label sets, escaping, numbers) its samples are rendered with.
import Foundation

/// One Prometheus metric family; subclasses hold and render the samples.
public class MetricFamily: @unchecked Sendable {
    let name: String
    let help: String
    let labels: [String]
    let type: String
    let lock = NSLock()

    init(name: String, help: String, labels: [String], type: String) {
        self.name = name
        self.help = help
        self.labels = labels
        self.type = type
    }

    func render(into out: inout String) {
        out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
        renderSamples(into: &out)
    }

    func renderSamples(into out: inout String) {}

    /// A series is keyed by its label values themselves: no string is built per update.
    func key(_ values: [String]) -> [String] {
        precondition(values.count == labels.count, "\(name) takes labels \(labels)")
        return values
    }

    /// Series in a stable order for rendering (by label values).
    static func ordered<V>(_ series: [[String]: V]) -> [(key: [String], value: V)] {
        series.sorted { $0.key.lexicographicallyPrecedes($1.key) }
    }

    func labelText(_ values: [String], extra: (String, String)? = nil) -> String {
        var pairs = zip(labels, values).map { "\($0)=\"\(Self.escape($1))\"" }
        if let extra { pairs.append("\(extra.0)=\"\(extra.1)\"") }
        return pairs.isEmpty ? "" : "{" + pairs.joined(separator: ",") + "}"
    }

    static func escape(_ text: String) -> String {
        var escaped = ""
        for character in text {
            switch character {
            case "\\": escaped += "\\\\"
            case "\"": escaped += "\\\""
            case "\n": escaped += "\\n"
            default: escaped.append(character)
            }
        }
        return escaped
    }

    static func number(_ value: Double) -> String {
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value.isNaN { return "NaN" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }
}
