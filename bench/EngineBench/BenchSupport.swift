// What the benchmarks share: printing, medians, a process's CPU and memory from /proc, the
// step counter and failure flag of the runner, and glibc's `malloc_trim`.
import Foundation
import Operator

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted.isEmpty
        ? .nan
        : (sorted.count % 2 == 1
            ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2)
}

func out(_ line: String) {
    var bytes = Array(line.utf8)
    bytes.append(10)
    bytes.withUnsafeBytes { _ = write(1, $0.baseAddress, $0.count) }
}

func procStat(_ pid: Int32) -> (cpuSeconds: Double, rssMB: Double, hwmMB: Double) {
    let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
    let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
    let fields = stat.split(separator: ")").last?.split(separator: " ") ?? []
    let cpu = fields.count > 12 ? (Double(fields[11]) ?? 0) + (Double(fields[12]) ?? 0) : 0
    let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
    func kb(_ key: String) -> Double {
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(key) }) else { return 0 }
        return (Double(line.split(separator: " ").dropFirst().first ?? "0") ?? 0) / 1024
    }
    return (cpu / ticks, kb("VmRSS:"), kb("VmHWM:"))
}

/// Set when a benchmark failed; the exit status says so.
final class ManagedFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var isSet = false
    func set() {
        lock.lock()
        isSet = true
        lock.unlock()
    }
    var value: Bool {
        lock.lock()
        defer { lock.unlock() }
        return isSet
    }
}

/// Counts the engine's steps (the `engine-mem` benchmark waits for its polls with it).
final class StepCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var steps = 0
    func record(_ report: StepReport) {
        lock.lock()
        steps += 1
        lock.unlock()
    }
    var count: Int {
        lock.lock()
        defer { lock.unlock() }
        return steps
    }
}

/// glibc's `malloc_trim` (declared in <malloc.h>, which the Glibc module does not export).
@_silgen_name("malloc_trim") func mallocTrim(_ pad: Int) -> Int32
