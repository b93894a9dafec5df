import Foundation
import Storage
import Synchronization
import Testing

/// Throughput of durable accepts with N closed-loop submitters (like N HTTP connections, each
/// waiting for its answer before sending the next delivery). Off by default:
///   STORAGE_BENCH=1 [STORAGE_BENCH_SUBMITTERS=64] [STORAGE_BENCH_EACH=200] [STORAGE_BENCH_BODY=8192] \
///   swift test --filter GroupCommitBenchmark
@Suite struct GroupCommitBenchmark {
    static let env = ProcessInfo.processInfo.environment

    @Test(.enabled(if: env["STORAGE_BENCH"] != nil))
    func durableAcceptThroughput() async throws {
        let submitters = Int(Self.env["STORAGE_BENCH_SUBMITTERS"] ?? "") ?? 64
        let each = Int(Self.env["STORAGE_BENCH_EACH"] ?? "") ?? 200
        let size = Int(Self.env["STORAGE_BENCH_BODY"] ?? "") ?? 8192
        var rates: [Double] = []
        var perCommit: [Double] = []
        for run in 0..<3 {
            let dir = try TempDir()
            defer { dir.cleanup() }
            let store = try Store.open(directory: dir.path)
            let done = Atomic<Int>(0)
            let failures = Atomic<Int>(0)
            let before = store.writer.statistics
            let start = ContinuousClock.now
            for s in 0..<submitters {
                Thread {
                    let answered = DispatchSemaphore(value: 0)
                    let body = [UInt8](repeating: UInt8(truncatingIfNeeded: s), count: size)
                    for i in 0..<each {
                        let incoming = IncomingDelivery(
                            id: "run\(run)-s\(s)-\(i)", source: .github, event: "check_run",
                            action: "completed", receivedAt: Date(), body: body)
                        store.inbox.accept(incoming) { result in
                            if case .failure = result { failures.add(1, ordering: .relaxed) }
                            answered.signal()
                        }
                        if answered.wait(timeout: .now() + 30) == .timedOut {
                            failures.add(1, ordering: .relaxed)
                            return
                        }
                        done.add(1, ordering: .relaxed)
                    }
                }.start()
            }
            let total = submitters * each
            #expect(
                await eventually(within: 300) {
                    done.load(ordering: .relaxed) + failures.load(ordering: .relaxed) >= total
                })
            let elapsed = ContinuousClock.now - start
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            let stats = store.writer.statistics
            let commits = stats.commits - before.commits
            #expect(failures.load(ordering: .relaxed) == 0)
            rates.append(Double(total) / seconds)
            perCommit.append(Double(stats.itemsCommitted - before.itemsCommitted) / Double(max(1, commits)))
            print(
                "bench run \(run): \(submitters) submitters x \(each) x \(size) B: \(total) in \(String(format: "%.2f", seconds)) s = \(Int(rates.last!))/s, \(commits) commits, \(String(format: "%.1f", perCommit.last!)) per commit, largest batch \(stats.largestBatch)"
            )
            await store.close()
        }
        let median = { (xs: [Double]) in xs.sorted()[xs.count / 2] }
        print(
            "bench median: \(Int(median(rates))) deliveries/s, \(String(format: "%.1f", median(perCommit))) deliveries per commit"
        )
    }
}
