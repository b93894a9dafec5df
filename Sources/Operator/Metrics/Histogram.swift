// The histogram family: per series, cumulative bucket counts, a sum and a count.
import Foundation

/// A histogram family with fixed buckets (sorted ascending).
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
        let seriesKey = key(labelValues)
        let bucket = buckets.firstIndex(where: { value <= $0 })
        lock.lock()
        // In place, with one lookup: a copied-out Series would copy its counts array every time.
        Self.add(
            value, bucket: bucket,
            to: &series[seriesKey, default: Series(counts: Array(repeating: 0, count: buckets.count), sum: 0, count: 0)]
        )
        lock.unlock()
    }

    /// Creates the series at zero if it is not there yet (so that it exists before it is observed).
    public func prepare(_ labelValues: [String] = []) {
        let seriesKey = key(labelValues)
        lock.lock()
        if series[seriesKey] == nil {
            series[seriesKey] = Series(counts: Array(repeating: 0, count: buckets.count), sum: 0, count: 0)
        }
        lock.unlock()
    }

    private static func add(_ value: Double, bucket: Int?, to target: inout Series) {
        target.sum += value
        target.count += 1
        if let bucket { target.counts[bucket] += 1 }
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
        for (labels, entry) in snapshot {
            var cumulative: UInt64 = 0
            for (index, bound) in buckets.enumerated() {
                cumulative += entry.counts[index]
                out += "\(name)_bucket\(labelText(labels, extra: ("le", Self.number(bound)))) \(cumulative)\n"
            }
            out += "\(name)_bucket\(labelText(labels, extra: ("le", "+Inf"))) \(entry.count)\n"
            out += "\(name)_sum\(labelText(labels)) \(Self.number(entry.sum))\n"
            out += "\(name)_count\(labelText(labels)) \(entry.count)\n"
        }
    }
}
