import Clients
import Foundation
import Logging

/// SPEC 10: a login in `APPROVERS` (case-insensitive), or an active member of
/// `APPROVER_TEAM` (`org/team-slug`). Team answers (member or not) are cached for `cacheTTL`
/// and concurrent lookups of the same login share one call, so a burst of comments costs
/// one membership read per login. A failed read is "not authorized" and is not cached.
public final class Approvers: ApproverChecking {
    let github: GitHubClient
    let logins: Set<String>
    let team: (org: String, slug: String)?
    let cache: MembershipCache
    let logger: Logger

    public init(
        github: GitHubClient, logins: [String], team: String?, cacheTTL: TimeInterval = 300,
        clock: @escaping @Sendable () -> Date = { Date() }, logger: Logger = Logger(label: "ai-operator.approvers")
    ) {
        self.github = github
        self.logins = Set(logins.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }.filter { !$0.isEmpty })
        if let teamSpec = team?.trimmingCharacters(in: .whitespaces), case let parts = teamSpec.split(separator: "/"),
            parts.count == 2,
            !parts[0].isEmpty, !parts[1].isEmpty
        {
            self.team = (String(parts[0]), String(parts[1]))
        } else {
            self.team = nil
        }
        self.cache = MembershipCache(ttl: cacheTTL, clock: clock)
        self.logger = logger
    }

    public func isAuthorized(_ login: String) async -> Bool {
        let key = login.trimmingCharacters(in: .whitespaces).lowercased()
        guard !key.isEmpty else { return false }
        if logins.contains(key) { return true }
        guard let team else { return false }
        let github = self.github
        let logger = self.logger
        return await cache.lookup(key) {
            do {
                return try await github.isActiveTeamMember(org: team.org, team: team.slug, user: login)
            } catch let apiError as APIError {
                logger.warning(
                    "team membership read failed; treating as not authorized",
                    metadata: [
                        "call": "\(apiError.call)", "error_code": "\(apiError.code.rawValue)", "user": "\(login)",
                    ])
                return nil
            } catch {
                return nil
            }
        }
    }
}

/// Membership answers with an expiry, and the lookups in flight.
actor MembershipCache {
    let ttl: TimeInterval
    let clock: @Sendable () -> Date
    var entries: [String: (member: Bool, at: Date)] = [:]
    var inFlight: [String: Task<Bool?, Never>] = [:]

    init(ttl: TimeInterval, clock: @escaping @Sendable () -> Date) {
        self.ttl = ttl
        self.clock = clock
    }

    /// The cached answer for `key`, else `read()` (nil = unknown: false, not cached).
    func lookup(_ key: String, read: @escaping @Sendable () async -> Bool?) async -> Bool {
        if let entry = entries[key], clock().timeIntervalSince(entry.at) < ttl { return entry.member }
        if let running = inFlight[key] { return await running.value ?? false }
        let task = Task { await read() }
        inFlight[key] = task
        let answer = await task.value
        inFlight[key] = nil
        if let answer {
            entries[key] = (answer, clock())
            if entries.count > 10_000 { entries = entries.filter { clock().timeIntervalSince($0.value.at) < ttl } }
        }
        return answer ?? false
    }
}
