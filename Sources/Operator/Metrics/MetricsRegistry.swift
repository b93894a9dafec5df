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
        for family in all { family.render(into: &out) }
        return out
    }

    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"
}
