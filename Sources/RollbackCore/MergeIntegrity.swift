import Foundation

/// One file the PR head changes against the base, as GitHub's compare reports it.
public struct HeadChange: Sendable, Equatable, Codable {
    public var path: String
    public var additions: Int
    public var deletions: Int
    /// The unified diff of the file; GitHub leaves it out for large diffs.
    public var patch: String?

    public init(path: String, additions: Int, deletions: Int, patch: String?) {
        self.path = path
        self.additions = additions
        self.deletions = deletions
        self.patch = patch
    }
}

/// The operator merges only what it wrote (SPEC 7, 19): the PR head must be exactly the commit
/// it made, and the head's diff against the base exactly its one-line change of
/// `targetRevision` in the manifest. Anything pushed onto the branch by anyone else, or a
/// branch that held other commits before, fails here. Pure: the shell reads the facts.
public enum MergeIntegrity {
    /// Why the head may not be merged, or nil when it is exactly the operator's change.
    public static func refusal(
        headSHA: String, operatorCommitSHA: String?, changes: [HeadChange]?, manifestPath: String,
        currentRevision: String?, targetRevision: String?
    ) -> PolicyRefusal? {
        guard let operatorCommitSHA, operatorCommitSHA == headSHA else {
            return PolicyRefusal(
                rule: "the operator merges only the commit it wrote"
                    + (operatorCommitSHA.map { " (\(ShortSHA.of($0)))" } ?? ""),
                value: "head \(ShortSHA.of(headSHA))")
        }
        guard let changes else {
            return PolicyRefusal(rule: "the PR's diff against its base must be read before a merge", value: "unread")
        }
        return diffRefusal(
            changes, manifestPath: manifestPath, currentRevision: currentRevision, targetRevision: targetRevision)
    }

    /// Why `changes` is not exactly one line of `manifestPath` going from `currentRevision` to
    /// `targetRevision`, or nil.
    public static func diffRefusal(
        _ changes: [HeadChange], manifestPath: String, currentRevision: String?, targetRevision: String?
    ) -> PolicyRefusal? {
        let rule = "the PR may change exactly one line, targetRevision in \(manifestPath)"
        guard changes.count == 1, let change = changes.first else {
            return PolicyRefusal(rule: rule, value: "\(changes.count) files changed")
        }
        guard change.path == manifestPath else { return PolicyRefusal(rule: rule, value: "\(change.path) changed") }
        guard change.additions == 1, change.deletions == 1 else {
            return PolicyRefusal(rule: rule, value: "+\(change.additions) -\(change.deletions) lines")
        }
        guard let patch = change.patch, let currentRevision, let targetRevision else {
            return PolicyRefusal(rule: rule, value: "no diff to compare")
        }
        // `\r\n` (a CRLF manifest) is one Swift `Character`: split on both line endings.
        let lines = patch.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
        let removed = lines.filter { $0.hasPrefix("-") && !$0.hasPrefix("---") }
        let added = lines.filter { $0.hasPrefix("+") && !$0.hasPrefix("+++") }
        guard removed.count == 1, added.count == 1, removed[0].contains(currentRevision),
            added[0].contains(targetRevision), added[0].contains("targetRevision"),
            removed[0].replacingOccurrences(of: currentRevision, with: targetRevision).dropFirst()
                == added[0].dropFirst()
        else {
            return PolicyRefusal(rule: rule, value: "another change")
        }
        return nil
    }
}
