import Foundation
import Logging
import RollbackCore
import Storage

/// Housekeeping, hourly: audit files past their retention (whole files; SPEC 14), finished
/// attempts past 7 days (SPEC 5), processed deliveries past GitHub's 30-day redelivery window
/// (a pruned delivery id could otherwise be stored again), and operator PRs still open on
/// aborted attempts older than `ROLLBACK_PR_MAX_AGE_SEC` (SPEC 12), closed with a comment.
final class Maintenance: Sendable {
    let engine: Engine
    let inbox: Inbox
    let pruneAudit: @Sendable (Date) async throws -> [String]
    let prMaxAge: Double
    let logger: Logger
    let clock: @Sendable () -> Date

    static let attemptRetention: Double = 7 * 86_400
    static let deliveryRetention: Double = 30 * 86_400

    init(
        engine: Engine, inbox: Inbox, pruneAudit: @escaping @Sendable (Date) async throws -> [String], prMaxAge: Double,
        logger: Logger, clock: @escaping @Sendable () -> Date
    ) {
        self.engine = engine
        self.inbox = inbox
        self.pruneAudit = pruneAudit
        self.prMaxAge = prMaxAge
        self.logger = logger
        self.clock = clock
    }

    func run(every seconds: Double = 3600) async {
        while !Task.isCancelled {
            await once()
            try? await Task.sleep(nanoseconds: UInt64(seconds * 1e9))
        }
    }

    func once() async {
        let now = clock()
        do {
            let removed = try await pruneAudit(now)
            if !removed.isEmpty { logger.info("audit files past retention removed", metadata: ["files": "\(removed)"]) }
        } catch { logger.error("audit retention failed", metadata: ["error": "\(error)"]) }
        do {
            let removedCount = try await engine.core.store.pruneAttempts(
                endedBefore: now.addingTimeInterval(-Self.attemptRetention))
            if removedCount > 0 {
                logger.info("finished attempts past 7 days removed", metadata: ["count": "\(removedCount)"])
            }
        } catch { logger.error("attempt retention failed", metadata: ["error": "\(error)"]) }
        do {
            _ = try await inbox.prune(olderThan: now.addingTimeInterval(-Self.deliveryRetention))
        } catch { logger.error("delivery retention failed", metadata: ["error": "\(error)"]) }
        await closeOldPullRequests(now: now)
    }

    /// An aborted attempt keeps its PR open for humans; past the maximum age it is closed.
    func closeOldPullRequests(now: Date) async {
        for worker in engine.allWorkers {
            let snapshot = worker.snapshot
            guard snapshot.machine.state == .abort, let attempt = snapshot.machine.attempt,
                let pr = attempt.pullRequest,
                now.timeIntervalSince(attempt.createdAt) > prMaxAge
            else { continue }
            let days = Int(prMaxAge / 86_400)
            _ = await engine.core.effects.perform(
                .closePullRequest(
                    number: pr.number,
                    comment:
                        "Closed by ai-operator: this rollback PR of attempt \(attempt.correlationId) stayed open more than \(days) days after the attempt was aborted. RESET the attempt to let the operator act on \(snapshot.app.name) again."
                ),
                app: snapshot.app, machine: snapshot.machine)
        }
    }
}
