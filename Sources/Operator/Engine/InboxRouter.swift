import Foundation
import Logging
import RollbackCore
import Storage
import Synchronization
import Webhooks

/// Turns stored deliveries into events for the right application, oldest first. Webhooks
/// are hints: CI and review deliveries make the effect runner re-read the truth, and the
/// result is what the state machine sees. A delivery is marked processed together with the
/// state change it caused, or right away when it concerns no attempt. One whose body cannot be
/// read or decoded is set aside with its reason (never routed again, listed, counted, logged
/// once); it holds up no other delivery.
final class InboxRouter: @unchecked Sendable {
    // Safe: `inFlight`, `cursor` and `sweepDue` are only touched under `lock`.
    let inbox: Inbox
    let engine: Engine
    let effects: EffectPerforming
    let approvers: ApproverChecking
    let poller: Poller
    let alertsRepo: String
    let logger: Logger
    let clock: @Sendable () -> Date
    private let lock = NSLock()
    private var inFlight: Set<String> = []
    /// The largest `seq` read so far: a drain after a poke reads only newer rows (rows become
    /// visible in `seq` order), so deliveries still on their way are not read again and again.
    private var cursor: Int64 = 0
    /// The next drain reads every pending delivery (at start, then once per sweep interval):
    /// it picks up what is pending but was not taken (a failed route, a reused `seq`).
    private var sweepDue = true
    /// A wake-up is on its way and the drain it causes has not started reading yet: the
    /// deliveries of one group commit (dozens under load) then cost one wake-up, not one each.
    private let wakePending = Atomic<Bool>(false)
    private let wake: AsyncStream<Void>.Continuation
    private let wakes: AsyncStream<Void>
    private let readQueue = DispatchQueue(label: "ai-operator.inbox-reads")
    /// The one GitHub event routed whether or not an attempt is open (an App installation change).
    static let eventWithoutAttempt = "installation"

    /// Whether a delivery of `source` and `event` only ever concerns an attempt: then, while no
    /// application holds one, it is done with as it arrives (stored already processed).
    static func concernsOnlyAttempts(source: DeliverySource, event: String) -> Bool {
        source == .github && event != eventWithoutAttempt
    }

    init(
        inbox: Inbox, engine: Engine, effects: EffectPerforming, approvers: ApproverChecking, poller: Poller,
        alertsRepo: String, logger: Logger, clock: @escaping @Sendable () -> Date
    ) {
        self.inbox = inbox
        self.engine = engine
        self.effects = effects
        self.approvers = approvers
        self.poller = poller
        self.alertsRepo = alertsRepo
        self.logger = logger
        self.clock = clock
        (wakes, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// A delivery was stored: route it now rather than at the next sweep.
    func poke() {
        if wakePending.exchange(true, ordering: .acquiringAndReleasing) { return }
        wake.yield(())
    }

    func run(sweepEvery seconds: Double = 1) async {
        let ticker = Task { [self] in
            while !Task.isCancelled {
                try? await Task.sleep(nanoseconds: UInt64(seconds * 1e9))
                lock.withLock { sweepDue = true }
                wake.yield(())
            }
        }
        defer { ticker.cancel() }
        await drain()
        for await _ in wakes {
            if Task.isCancelled { break }
            await drain()
        }
    }

    func stop() { wake.finish() }

    /// Routes every pending delivery not already on its way.
    func drain() async {
        // From here on, a new delivery needs a new wake-up: this drain may read before it lands.
        wakePending.store(false, ordering: .releasing)
        // GitHub deliveries only ever concern an attempt (its PR, CI, reviews, escalation
        // issue). While none is held they are stored already processed; the ones still pending
        // (stored before recovery, or while an attempt was held) are done with as they are: all
        // marked processed in one statement, never read, and the read below leaves them out.
        // The writer checks again that no attempt is held, in the same transaction.
        let engine = self.engine
        let anyAttempt = !engine.holdsNoAttempt
        var bulkMarked = false
        if !anyAttempt {
            let bulk = 5_000
            do {
                let marked = try await inbox.markPendingProcessed(
                    source: .github, exceptEvent: Self.eventWithoutAttempt,
                    at: clock(), limit: bulk
                ) {
                    engine.holdsNoAttempt
                }
                bulkMarked = marked != nil
                if marked == bulk { poke() }
            } catch {
                logger.error("could not mark deliveries processed", metadata: ["error": "\(error)"])
            }
        }
        let (sweep, after) = lock.withLock {
            defer { sweepDue = false }
            return (sweepDue, sweepDue ? 0 : cursor)
        }
        let limit = 500
        let pending: [StoredDelivery]
        let leaveOut = bulkMarked
        do {
            pending = try await read {
                leaveOut
                    ? try self.inbox.pending(
                        after: after, limit: limit, leavingOut: .github, exceptEvent: Self.eventWithoutAttempt)
                    : try self.inbox.pending(after: after, limit: limit, bodies: anyAttempt)
            }
        } catch {
            logger.error("could not read pending deliveries", metadata: ["error": "\(error)"])
            return
        }
        // Should an attempt open before a GitHub row the read left out is marked, the next sweep
        // (which reads from the start) routes it, at most a sweep interval later.
        let fresh = claim(pending, sweep: sweep)
        // A full page: there may be more right behind it.
        if pending.count == limit { poke() }
        guard !fresh.isEmpty else { return }
        var unrouted: [(seq: Int64, id: String)] = []
        var setAside: [SetAsideRow] = []
        var details: [String: String] = [:]
        for var delivery in fresh {
            let needsBody =
                anyAttempt || !Self.concernsOnlyAttempts(source: delivery.record.source, event: delivery.record.event)
            if needsBody && !anyAttempt { await readBody(of: &delivery) }
            let outcome: RouteOutcome
            if let failure = delivery.bodyFailure {
                guard let reason = failure.setAsideReason else {
                    // It may read later: left pending, and let go so a later pass reads it again.
                    logger.warning(
                        "could not read a stored delivery's body; it stays pending",
                        metadata: ["delivery": "\(delivery.record.id)", "error": "\(failure)"])
                    release(delivery.record.id)
                    continue
                }
                outcome = .setAside(reason, "\(failure)")
            } else {
                outcome = await route(delivery, attemptsOpen: anyAttempt)
            }
            switch outcome {
            case .taken: break
            case .notTaken: unrouted.append((delivery.seq, delivery.record.id))
            case .setAside(let reason, let detail):
                setAside.append(SetAsideRow(seq: delivery.seq, id: delivery.record.id, reason: reason))
                details[delivery.record.id] = detail
            }
        }
        await setAsideDeliveries(setAside, from: fresh, details: details)
        // One write for every delivery that concerned no application.
        await engine.core.markProcessed(rows: unrouted, at: clock())
    }

    /// What routing did with a delivery.
    enum RouteOutcome {
        /// An application took it (and marks it processed with the state change it causes).
        case taken
        /// It concerns no application: marked processed as it is.
        case notTaken
        /// Its body cannot be read or decoded: set aside with the reason (and a detail to log).
        case setAside(SetAsideReason, String)
    }

    /// Reads the body of a row read without it; a failure is kept in `bodyFailure`.
    private func readBody(of delivery: inout StoredDelivery) async {
        let seq = delivery.seq
        do {
            delivery.body = try await read { try self.inbox.body(seq: seq) } ?? []
        } catch let failure as BodyReadFailure {
            delivery.bodyFailure = failure
        } catch {
            delivery.bodyFailure = .transient(error as? StorageError ?? .io("\(error)"))
        }
    }

    /// Sets `rows` aside; counts and logs each one this pass changed (once, whoever else tried).
    /// Should the write fail, they stay pending, let go, and the next pass tries again.
    private func setAsideDeliveries(_ rows: [SetAsideRow], from fresh: [StoredDelivery], details: [String: String])
        async
    {
        guard !rows.isEmpty else { return }
        let changed: [SetAsideRow]
        do {
            changed = try await inbox.setAside(rows, at: clock())
        } catch {
            logger.error("could not set deliveries aside", metadata: ["error": "\(error)"])
            for row in rows { release(row.id) }
            return
        }
        let records = Dictionary(fresh.map { ($0.record.id, $0.record) }, uniquingKeysWith: { first, _ in first })
        for row in changed {
            engine.core.metrics.deliveriesSetAside.inc([row.reason.rawValue])
            logger.error(
                "a stored delivery cannot be used and is set aside; it will not be routed",
                metadata: [
                    "delivery": "\(row.id)", "source": "\(records[row.id]?.source.rawValue ?? "")",
                    "event": "\(records[row.id]?.event ?? "")", "reason": "\(row.reason.rawValue)",
                    "detail": "\(details[row.id] ?? "")",
                ])
        }
    }

    /// Lets a delivery be read again by a later pass.
    private func release(_ id: String) {
        lock.withLock { _ = inFlight.remove(id) }
    }

    /// The deliveries not already on their way. A sweep (which read the oldest pending ones)
    /// also forgets ids that are no longer pending.
    private func claim(_ pending: [StoredDelivery], sweep: Bool) -> [StoredDelivery] {
        lock.lock()
        defer { lock.unlock() }
        if sweep { inFlight.formIntersection(pending.map(\.record.id)) }
        if let last = pending.last?.seq { cursor = max(cursor, last) }
        return pending.filter { inFlight.insert($0.record.id).inserted }
    }

    private func read<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            readQueue.async { continuation.resume(with: Result { try body() }) }
        }
    }

    /// Whether an application took the delivery (it then marks it processed with the state
    /// change it causes), or why it is to be set aside (a body not decodable for its event).
    private func route(_ delivery: StoredDelivery, attemptsOpen: Bool) async -> RouteOutcome {
        let id = delivery.record.id
        switch delivery.record.source {
        case .argocd:
            switch ArgoCDNotificationDecoder.decode(body: delivery.body) {
            case .success(let notification):
                // The body is never trusted as health: it only names the app to check now.
                return await poller.checkNow(app: notification.app, deliveryID: id) ? .taken : .notTaken
            case .failure(let decodeError):
                return .setAside(.malformed, "not an Argo CD notification: \(decodeError)")
            }
        case .github:
            guard attemptsOpen || !Self.concernsOnlyAttempts(source: .github, event: delivery.record.event) else {
                return .notTaken
            }
            switch GitHubEventDecoder.decode(event: delivery.record.event, body: delivery.body) {
            case .signal(let signal):
                return await route(signal, deliveryID: id) ? .taken : .notTaken
            case .ping, .ignored:
                return .notTaken
            case .malformed(let why):
                return .setAside(.malformed, "not a valid \(delivery.record.event) payload: \(why)")
            }
        }
    }

    /// Returns whether an event was handed to an application (which then marks the delivery).
    private func route(_ signal: GitHubSignal, deliveryID: String) async -> Bool {
        switch signal {
        case .checkCompleted(let check):
            guard
                let (worker, pr) = workerWithPR(
                    repository: check.repository, headSHA: check.headSHA, numbers: check.pullRequests)
            else { return false }
            return await deliver(.fetchCI(prNumber: pr.number, headSHA: pr.headSHA), to: worker, deliveryID: deliveryID)
        case .commitStatus(let status):
            guard let (worker, pr) = workerWithPR(repository: status.repository, headSHA: status.sha, numbers: [])
            else {
                return false
            }
            return await deliver(.fetchCI(prNumber: pr.number, headSHA: pr.headSHA), to: worker, deliveryID: deliveryID)
        case .pullRequest(let pullRequest):
            guard
                let (worker, _) = workerWithPR(
                    repository: pullRequest.repository, headSHA: nil, numbers: [pullRequest.number])
            else {
                return false
            }
            switch pullRequest.action {
            case .closed:
                worker.enqueue(
                    .pullRequestClosed(
                        PullRequestClosure(
                            number: pullRequest.number, merged: pullRequest.merged, closedBy: pullRequest.sender)),
                    deliveryID: deliveryID)
            case .synchronize:
                worker.enqueue(
                    .pullRequestHeadChanged(
                        number: pullRequest.number, headSHA: pullRequest.headSHA, pushedBy: pullRequest.sender),
                    deliveryID: deliveryID)
            default:
                return false
            }
            return true
        case .review(let review):
            guard
                let (worker, pr) = workerWithPR(
                    repository: review.repository, headSHA: nil, numbers: [review.pullNumber])
            else {
                return false
            }
            return await deliver(.fetchReviews(prNumber: pr.number), to: worker, deliveryID: deliveryID)
        case .comment(let comment):
            guard !comment.authorIsBot, let kind = CommandKind.parse(commentBody: comment.body),
                let worker = workerForComment(comment)
            else { return false }
            let authorized = await approvers.isAuthorized(comment.author)
            if !authorized {
                logger.notice(
                    "command from someone who is not an approver; audited and ignored",
                    metadata: [
                        "app": "\(worker.snapshot.app.name)", "sender": "\(comment.author)",
                        "command": "\(kind.rawValue)",
                    ])
            }
            worker.enqueue(
                .command(
                    CommandInput(
                        kind: kind, sender: comment.author, isAuthorized: authorized,
                        channel: .chatOps(repository: comment.repository, issueNumber: comment.issueNumber),
                        commentID: comment.commentID)),
                deliveryID: deliveryID)
            return true
        case .installation(let installation):
            logger.info(
                "GitHub App installation event",
                metadata: ["action": "\(installation.action)", "installation": "\(installation.installationID)"])
            return false
        }
    }

    /// Re-reads the truth through the effect runner and feeds the result (the first event
    /// carries the delivery, so it is marked processed with the state change).
    private func deliver(_ action: RollbackAction, to worker: AppWorker, deliveryID: String) async -> Bool {
        let snapshot = worker.snapshot
        let events = await CallScope.$correlationId.withValue(snapshot.machine.attempt?.correlationId) {
            await CallScope.$app.withValue(snapshot.app.name) {
                await effects.perform(action, app: snapshot.app, machine: snapshot.machine)
            }
        }
        guard let first = events.first else { return false }
        worker.enqueue(first, deliveryID: deliveryID)
        for event in events.dropFirst() { worker.enqueue(event) }
        return true
    }

    private func workerWithPR(repository: String, headSHA: String?, numbers: [Int]) -> (AppWorker, PullRequestRef)? {
        for worker in engine.allWorkers {
            let snapshot = worker.snapshot
            guard let pr = snapshot.machine.attempt?.pullRequest,
                snapshot.machine.app.manifestRepository.caseInsensitiveCompare(repository) == .orderedSame
            else { continue }
            if numbers.contains(pr.number) || (headSHA != nil && pr.headSHA == headSHA) { return (worker, pr) }
        }
        return nil
    }

    private func workerForComment(_ comment: GitHubSignal.Comment) -> AppWorker? {
        for worker in engine.allWorkers {
            let snapshot = worker.snapshot
            guard let attempt = snapshot.machine.attempt else { continue }
            if comment.isPullRequest, attempt.pullRequest?.number == comment.issueNumber,
                snapshot.machine.app.manifestRepository.caseInsensitiveCompare(comment.repository) == .orderedSame
            {
                return worker
            }
            if comment.repository.caseInsensitiveCompare(alertsRepo) == .orderedSame,
                let url = attempt.escalationIssueURL, url.hasSuffix("/issues/\(comment.issueNumber)")
            {
                return worker
            }
        }
        return nil
    }
}
