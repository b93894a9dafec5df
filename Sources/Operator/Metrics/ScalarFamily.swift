// The families whose series each hold one number: counters and gauges.
import Foundation

/// A family whose series each hold one number (counters and gauges).
public class ScalarFamily: MetricFamily, @unchecked Sendable {
    // Safe: `values` is only touched under the family's `lock`.
    private var values: [[String]: Double] = [:]

    func update(_ labelValues: [String], _ change: (inout Double) -> Void) {
        let seriesKey = key(labelValues)
        lock.lock()
        change(&values[seriesKey, default: 0])
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
