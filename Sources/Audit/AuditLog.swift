import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// What `AuditLog` found when it opened its directory.
public struct AuditRecovery: Sendable, Equatable {
    /// The file whose torn last line was truncated away, if any.
    public var repairedFile: String?
    /// Bytes removed from the end of `repairedFile`.
    public var removedBytes: Int
    /// The start of the removed text (at most 200 bytes), for the operator's log.
    public var removedText: String
    /// The chain head the log continues from.
    public var head: AuditChainHead
    public var repaired: Bool { repairedFile != nil }
}

public enum AuditLogError: Error, CustomStringConvertible, Sendable {
    /// The newest entry cannot be read even after dropping a torn last line: the log will
    /// not guess where the chain continues (run `ai-operator audit verify`).
    case unreadableHead(file: String, line: Int, detail: String)

    public var description: String {
        switch self {
        case .unreadableHead(let file, let line, let detail):
            "audit log head unreadable at \(file):\(line): \(detail)"
        }
    }
}

/// The append-only, hash-chained audit log (SPEC 14): one JSON line per entry in
/// `ai-operator-audit-YYYY.MM.DD.jsonl` (UTC day of the entry's timestamp), each line carrying
/// `seq`, `prevHash` and `hash`. Thread-safe; `append` is durable (fsync) when it returns.
public final class AuditLog: Sendable {
    public let directory: String
    public let retentionDays: Int
    /// What opening the directory found or repaired.
    public let recovery: AuditRecovery

    private let clock: @Sendable () -> Date
    private let mirror: (@Sendable (String) -> Void)?
    private let state: Mutex<State>

    private struct State {
        var head: AuditChainHead
        /// Timestamp of the newest entry: stamps never go backwards, so day files stay in
        /// chain order even if the clock steps back.
        var lastMilliseconds: Int64
        var fd: Int32 = -1
        var fdFile = ""
    }

    /// Opens (creating it) `directory` and recovers the chain head from the newest file; a torn
    /// last line (no trailing newline, or not a valid entry) is truncated away and reported
    /// through `recovery` and `log`.
    /// - Parameters:
    ///   - clock: stamps the entries (UTC milliseconds).
    ///   - mirror: receives every appended line (without newline), in chain order, after it is durable.
    ///   - log: receives one sentence when a torn line was repaired.
    public init(
        directory: String, clock: @escaping @Sendable () -> Date = { Date() }, retentionDays: Int = 90,
        mirror: (@Sendable (String) -> Void)? = nil, log: (@Sendable (String) -> Void)? = nil
    ) throws {
        self.directory = directory
        self.clock = clock
        self.retentionDays = retentionDays
        self.mirror = mirror
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let (recovery, lastMs) = try Self.recover(directory: directory)
        self.recovery = recovery
        self.state = Mutex(State(head: recovery.head, lastMilliseconds: lastMs))
        if let file = recovery.repairedFile, let log {
            log(
                "audit log: removed a torn last line of \(recovery.removedBytes) bytes from \(file); the chain continues after seq \(recovery.head.seq)"
            )
        }
    }

    deinit {
        state.withLock { locked in
            if locked.fd >= 0 {
                close(locked.fd)
                locked.fd = -1
            }
        }
    }

    /// The last entry's seq and hash.
    public var head: AuditChainHead { state.withLock { $0.head } }

    private func path(_ name: String) -> String { (directory as NSString).appendingPathComponent(name) }

    // MARK: - Appending

    /// Stamps (`timestamp` from the clock, never earlier than the previous entry), chains
    /// (`seq`, `prevHash`, `hash`) and writes `entries` with one `write` and one `fsync`.
    /// Returns the entries as stored. On failure nothing of the batch remains in the file.
    @discardableResult
    public func append(_ entries: [AuditEntry]) throws -> [AuditEntry] {
        guard !entries.isEmpty else { return [] }
        return try state.withLock { locked in
            let ms = max(AuditTimestamp.milliseconds(clock()), locked.lastMilliseconds)
            let stamp = AuditTimestamp.format(milliseconds: ms)
            var stored = entries
            var buffer: [UInt8] = []
            buffer.reserveCapacity(entries.count * 600)
            var head = locked.head
            for index in stored.indices {
                stored[index].timestamp = stamp
                stored[index].seq = head.seq + 1
                stored[index].prevHash = head.hash
                let (hash, line) = stored[index].chained()
                stored[index].hash = hash
                buffer.append(contentsOf: line)
                buffer.append(0x0A)
                head = AuditChainHead(seq: stored[index].seq, hash: stored[index].hash)
            }
            let name = AuditFiles.fileName(milliseconds: ms)
            let fd = try openForAppend(&locked, name)
            var fileStatus = stat()
            guard fstat(fd, &fileStatus) == 0 else {
                throw AuditIOError(operation: "stat", path: path(name), code: errno)
            }
            do {
                try Self.writeAll(fd, buffer, path: path(name))
                guard fsync(fd) == 0 else { throw AuditIOError(operation: "fsync", path: path(name), code: errno) }
            } catch {
                // Take back a partial batch so the file keeps whole lines only.
                _ = ftruncate(fd, fileStatus.st_size)
                _ = fsync(fd)
                throw error
            }
            locked.head = head
            locked.lastMilliseconds = ms
            if let mirror {
                for (index, range) in AuditFiles.lines(buffer).complete.enumerated() where index < stored.count {
                    mirror(String(decoding: buffer[range], as: UTF8.self))
                }
            }
            return stored
        }
    }

    /// Appends one entry; see `append(_:)`.
    @discardableResult
    public func append(_ entry: AuditEntry) throws -> AuditEntry { try append([entry])[0] }

    private func openForAppend(_ locked: inout State, _ name: String) throws -> Int32 {
        if locked.fd >= 0 && locked.fdFile == name { return locked.fd }
        if locked.fd >= 0 {
            close(locked.fd)
            locked.fd = -1
        }
        let filePath = path(name)
        var created = true
        var fd = open(filePath, O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC, 0o640)
        if fd < 0 && errno == EEXIST {
            created = false
            fd = open(filePath, O_WRONLY | O_APPEND | O_CLOEXEC)
        }
        guard fd >= 0 else { throw AuditIOError(operation: "open", path: filePath, code: errno) }
        if created { try syncDirectory() }
        locked.fd = fd
        locked.fdFile = name
        return fd
    }

    /// Makes a created or removed directory entry durable.
    private func syncDirectory() throws {
        let dfd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard dfd >= 0 else { throw AuditIOError(operation: "open", path: directory, code: errno) }
        defer { close(dfd) }
        guard fsync(dfd) == 0 else { throw AuditIOError(operation: "fsync", path: directory, code: errno) }
    }

    private static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws {
        var done = 0
        while done < bytes.count {
            let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + done, $0.count - done) }
            if written < 0 {
                if errno == EINTR { continue }
                throw AuditIOError(operation: "write", path: path, code: errno)
            }
            done += written
        }
    }

    // MARK: - Recovery

    private static func recover(directory: String) throws -> (AuditRecovery, Int64) {
        var recovery = AuditRecovery(repairedFile: nil, removedBytes: 0, removedText: "", head: .genesis)
        var newest = true
        for file in try AuditFiles.list(directory).reversed() {
            let filePath = (directory as NSString).appendingPathComponent(file.name)
            let bytes = try AuditFiles.read(filePath)
            if bytes.isEmpty { continue }
            var (lines, tail) = AuditFiles.lines(bytes)
            var keep = bytes.count
            if let tail {
                keep = tail.lowerBound
            } else if let last = lines.last, case .failure = AuditLine.decode(bytes[last]) {
                keep = last.lowerBound
                lines.removeLast()
            }
            if keep < bytes.count {
                // Only the newest written line can be torn (an append that never returned).
                guard newest else {
                    throw AuditLogError.unreadableHead(
                        file: file.name, line: lines.count + 1,
                        detail: "an older file ends with a broken line")
                }
                let fd = open(filePath, O_WRONLY | O_CLOEXEC)
                guard fd >= 0 else { throw AuditIOError(operation: "open", path: filePath, code: errno) }
                defer { close(fd) }
                guard ftruncate(fd, off_t(keep)) == 0 else {
                    throw AuditIOError(operation: "truncate", path: filePath, code: errno)
                }
                guard fsync(fd) == 0 else { throw AuditIOError(operation: "fsync", path: filePath, code: errno) }
                recovery.repairedFile = file.name
                recovery.removedBytes = bytes.count - keep
                recovery.removedText = String(decoding: bytes[keep..<min(bytes.count, keep + 200)], as: UTF8.self)
            }
            newest = false
            guard let last = lines.last else { continue }
            switch AuditLine.decode(bytes[last]) {
            case .failure(let why):
                throw AuditLogError.unreadableHead(file: file.name, line: lines.count, detail: why.detail)
            case .success(let entry):
                guard let ms = entry.timestampMilliseconds else {
                    throw AuditLogError.unreadableHead(
                        file: file.name, line: lines.count, detail: "bad timestamp \(entry.timestamp)")
                }
                recovery.head = AuditChainHead(seq: entry.seq, hash: entry.hash)
                return (recovery, ms)
            }
        }
        return (recovery, Int64.min)
    }

    // MARK: - Reading

    /// Every entry of one attempt, in chain order. Lines that do not contain the id are
    /// skipped without decoding; a line being written (no newline yet) is not read.
    public func entries(correlationId: String) throws -> [AuditEntry] {
        var needle = Array("\"correlationId\":".utf8)
        CanonicalJSON.writeString(correlationId, into: &needle)
        var out: [AuditEntry] = []
        for file in try AuditFiles.list(directory) {
            let bytes = try AuditFiles.read(path(file.name))
            for range in AuditFiles.lines(bytes).complete where AuditFiles.contains(bytes, range, needle) {
                if case .success(let entry) = AuditLine.decode(bytes[range]), entry.correlationId == correlationId {
                    out.append(entry)
                }
            }
        }
        return out
    }

    /// The newest `limit` entries, oldest first.
    public func recent(limit: Int) throws -> [AuditEntry] {
        guard limit > 0 else { return [] }
        var newestFirst: [AuditEntry] = []
        for file in try AuditFiles.list(directory).reversed() {
            let bytes = try AuditFiles.read(path(file.name))
            for range in AuditFiles.lines(bytes).complete.reversed() {
                if case .success(let entry) = AuditLine.decode(bytes[range]) { newestFirst.append(entry) }
                if newestFirst.count == limit { return newestFirst.reversed() }
            }
        }
        return newestFirst.reversed()
    }

    // MARK: - Retention

    /// Removes whole day files whose every possible entry is older than `retentionDays`
    /// (the day ended at least `retentionDays` days before `now`). Never edits a file, and
    /// keeps the newest file whatever its age (it anchors the chain). Returns the removed names.
    @discardableResult
    public func prune(now: Date? = nil) throws -> [String] {
        try state.withLock { locked in
            let nowMs = AuditTimestamp.milliseconds(now ?? clock())
            let cutoff = nowMs - Int64(retentionDays) * 86_400_000
            let files = try AuditFiles.list(directory)
            var removed: [String] = []
            for file in files.dropLast() {
                guard let day = AuditTimestamp.dayNumber(file.day), (day + 1) * 86_400_000 <= cutoff else { continue }
                if locked.fdFile == file.name && locked.fd >= 0 {
                    close(locked.fd)
                    locked.fd = -1
                    locked.fdFile = ""
                }
                guard unlink(path(file.name)) == 0 else {
                    throw AuditIOError(operation: "unlink", path: path(file.name), code: errno)
                }
                removed.append(file.name)
            }
            if !removed.isEmpty { try syncDirectory() }
            return removed
        }
    }
}
