import Foundation

/// Prometheus metric families in the text exposition format (version 0.0.4). Each family
/// has its own lock; label values are given in the order of the family's label names.
public final class MetricsRegistry: @unchecked Sendable {
    // Safe: `families` is only appended under `lock`; each family guards its own samples.
    private let lock = NSLock()
    private var families: [MetricFamily] = []

    public init() {}

    public func counter(_ name: String, _ help: String, labels: [String] = []) -> Counter {
        register(Counter(name: name, help: help, labels: labels))
    }

    public func gauge(_ name: String, _ help: String, labels: [String] = []) -> Gauge {
        register(Gauge(name: name, help: help, labels: labels))
    }

    public func histogram(_ name: String, _ help: String, labels: [String] = [], buckets: [Double]) -> Histogram {
        register(Histogram(name: name, help: help, labels: labels, buckets: buckets))
    }

    private func register<F: MetricFamily>(_ family: F) -> F {
        lock.lock()
        defer { lock.unlock() }
        precondition(!families.contains { $0.name == family.name }, "metric \(family.name) registered twice")
        families.append(family)
        return family
    }

    /// The whole exposition, families in registration order, series sorted by labels.
    public func render() -> String {
        lock.lock()
        let all = families
        lock.unlock()
        var out = ""
        out.reserveCapacity(4096)
        for f in all { f.render(into: &out) }
        return out
    }

    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"
}

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

    static func escape(_ v: String) -> String {
        var s = ""
        for c in v {
            switch c {
            case "\\": s += "\\\\"
            case "\"": s += "\\\""
            case "\n": s += "\\n"
            default: s.append(c)
            }
        }
        return s
    }

    static func number(_ d: Double) -> String {
        if d.isInfinite { return d > 0 ? "+Inf" : "-Inf" }
        if d.isNaN { return "NaN" }
        if d == d.rounded(), abs(d) < 1e15 { return String(Int64(d)) }
        return String(d)
    }
}

/// A family whose series each hold one number (counters and gauges).
public class ScalarFamily: MetricFamily, @unchecked Sendable {
    // Safe: `values` is only touched under the family's `lock`.
    private var values: [[String]: Double] = [:]

    func update(_ labelValues: [String], _ change: (inout Double) -> Void) {
        let k = key(labelValues)
        lock.lock()
        change(&values[k, default: 0])
        lock.unlock()
    }

    public func value(_ labelValues: [String] = []) -> Double {
        lock.lock()
        defer { lock.unlock() }
        return values[key(labelValues)] ?? 0
    }

    override func renderSamples(into out: inout String) {
        lock.lock()
        let snapshot = Self.ordered(values)
        lock.unlock()
        for (labels, value) in snapshot { out += "\(name)\(labelText(labels)) \(Self.number(value))\n" }
    }
}

public final class Counter: ScalarFamily, @unchecked Sendable {
    init(name: String, help: String, labels: [String]) {
        super.init(name: name, help: help, labels: labels, type: "counter")
    }

    public func inc(_ labelValues: [String] = [], by amount: Double = 1) { update(labelValues) { $0 += amount } }
}

public final class Gauge: ScalarFamily, @unchecked Sendable {
    init(name: String, help: String, labels: [String]) {
        super.init(name: name, help: help, labels: labels, type: "gauge")
    }

    public func set(_ labelValues: [String] = [], _ value: Double) { update(labelValues) { $0 = value } }

    public func add(_ labelValues: [String] = [], _ delta: Double) { update(labelValues) { $0 += delta } }
}

public final class Histogram: MetricFamily, @unchecked Sendable {
    let buckets: [Double]
    private struct Series {
        var counts: [UInt64]
        var sum: Double
        var count: UInt64
    }
    private var series: [[String]: Series] = [:]

    init(name: String, help: String, labels: [String], buckets: [Double]) {
        self.buckets = buckets.sorted()
        super.init(name: name, help: help, labels: labels, type: "histogram")
    }

    public func observe(_ labelValues: [String] = [], _ value: Double) {
        let k = key(labelValues)
        let bucket = buckets.firstIndex(where: { value <= $0 })
        lock.lock()
        // In place, with one lookup: a copied-out Series would copy its counts array every time.
        Self.add(
            value, bucket: bucket,
            to: &series[k, default: Series(counts: Array(repeating: 0, count: buckets.count), sum: 0, count: 0)])
        lock.unlock()
    }

    private static func add(_ value: Double, bucket: Int?, to s: inout Series) {
        s.sum += value
        s.count += 1
        if let bucket { s.counts[bucket] += 1 }
    }

    public func count(_ labelValues: [String] = []) -> UInt64 {
        lock.lock()
        defer { lock.unlock() }
        return series[key(labelValues)]?.count ?? 0
    }

    override func renderSamples(into out: inout String) {
        lock.lock()
        let snapshot = Self.ordered(series)
        lock.unlock()
        for (labels, s) in snapshot {
            var cumulative: UInt64 = 0
            for (i, b) in buckets.enumerated() {
                cumulative += s.counts[i]
                out += "\(name)_bucket\(labelText(labels, extra: ("le", Self.number(b)))) \(cumulative)\n"
            }
            out += "\(name)_bucket\(labelText(labels, extra: ("le", "+Inf"))) \(s.count)\n"
            out += "\(name)_sum\(labelText(labels)) \(Self.number(s.sum))\n"
            out += "\(name)_count\(labelText(labels)) \(s.count)\n"
        }
    }
}
