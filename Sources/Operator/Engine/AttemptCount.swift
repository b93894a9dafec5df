// The engine's atomic count of applications holding an attempt, shared by every worker's snapshot.
import Synchronization

/// A count of applications holding an attempt (see `EngineCore.attemptsHeld`).
final class AttemptCount: Sendable {
    private let count = Atomic<Int>(0)
    var value: Int { count.load(ordering: .acquiring) }
    func add(_ delta: Int) { count.add(delta, ordering: .acquiringAndReleasing) }
}
