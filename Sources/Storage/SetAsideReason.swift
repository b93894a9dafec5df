// Why a stored delivery is set aside (never routed again, listed with its reason), and how a
// body read fails: for good (set the delivery aside) or for now (leave it pending, read it later).
// One closed set of reasons, shared by the store, the API listing and the metric's label.

/// Why a delivery was set aside. The raw values are what the API lists and the metric counts.
public enum SetAsideReason: String, Sendable, Codable, CaseIterable {
    /// The body log segment that held the body is gone.
    case bodyMissing = "body_missing"
    /// The segment ends before the body does (cut short).
    case bodyTruncated = "body_truncated"
    /// The bytes read are not the ones written (their CRC-32C differs from the row's).
    case checksumMismatch = "checksum_mismatch"
    /// The disk reported an I/O error reading them, or the row's location is impossible.
    case bodyUnreadable = "body_unreadable"
    /// The body reads but is not a valid payload for its event.
    case malformed
}

/// A body that could not be read.
public enum BodyReadFailure: Error, Sendable, CustomStringConvertible {
    /// It never will: the delivery is to be set aside for `reason`. `detail` says where.
    case unreadable(SetAsideReason, detail: String)
    /// Reading may work later (too many open files, out of memory): leave the delivery pending.
    case transient(StorageError)

    /// The reason to set the delivery aside, or nil when the failure may pass.
    public var setAsideReason: SetAsideReason? {
        if case .unreadable(let reason, _) = self { return reason }
        return nil
    }

    public var description: String {
        switch self {
        case .unreadable(let reason, let detail): return "\(reason.rawValue): \(detail)"
        case .transient(let error): return "\(error)"
        }
    }
}
