import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Where one delivery's body lives in the body log, and the CRC-32C it had when written.
public struct BodyLocation: Sendable, Equatable {
    public var segment: Int64
    public var offset: Int64
    public var length: Int64
    /// `BodyChecksum.of(body)`; nil for a row stored before checksums (schema 3): read unchecked.
    public var checksum: UInt32?
    public init(segment: Int64, offset: Int64, length: Int64, checksum: UInt32? = nil) {
        self.segment = segment
        self.offset = offset
        self.length = length
        self.checksum = checksum
    }
}

/// Webhook bodies, kept outside SQLite in append-only segment files
/// (`<store directory>/bodies/000000000001.seg`, ...); the delivery's row holds the location.
///
/// Why: a body of a few KB in SQLite is written three times (WAL frames with checksums, then the
/// checkpoint's copy into the database file) in a dozen small writes. Here the bodies of a group
/// commit are written by ONE `pwritev` (from where they are, no copy) and ONE `fdatasync`, on a
/// thread of their own while the writer runs the batch's transaction.
///
/// Durability order: the `StoreWriter` reserves the batch's bodies (`reserve`), starts their write
/// (`startWrite`), runs the items, and waits for the write (`finishWrite`) before it runs COMMIT,
/// so a committed row never points at a body that is not on disk. Bytes written for an item that
/// then stored nothing (a duplicate, a failure) are never referenced; they go with their segment.
///
/// Integrity: each body's CRC-32C (`BodyChecksum`) is kept in its row, next to its location, and
/// checked by `read`; a body that does not read back as written is reported, never returned. The
/// segment files hold bodies only, as before checksums existed: a row without one (stored by an
/// earlier version, schema 3) is what says its body is read unchecked, so old segments need no
/// format version. The checksum sits in SQLite, not beside the bytes it guards, so a torn or cut
/// segment cannot damage it too.
///
/// Each process start writes into a new segment (created on the first body), so nothing is ever
/// appended after a tail a crash may have left half written. A segment is closed once it holds
/// `segmentBytes` or more, and removed (`removeSegments(before:)`) once no row points into it.
///
/// Threads: `reserve`, `startWrite` and `finishWrite` are for the writer thread only. `read`,
/// `removeSegments` and the rest may be called from any thread.
///
/// `@unchecked Sendable` is safe because `activeFD`, `activeSize`, `pending`, `pendingBytes` and
/// `writing` are only touched by the writer thread (the body thread gets copies of what it
/// needs), `active`, `liveBytes` and `cap` only with `lock` held, and `readFDs` only with
/// `readLock` held (taken before `lock` when both are needed, so a slow read never holds up the
/// writer's reservations).
public final class BodyLog: @unchecked Sendable {
    public static let directoryName = "bodies"
    static let suffix = ".seg"

    public let directory: String
    public let segmentBytes: Int64

    // Writer thread only.
    private var activeFD: Int32 = -1
    private var activeSize: Int64 = 0
    private var pending: [[UInt8]] = []
    private var pendingBytes: Int64 = 0
    private var writing = false
    private let bodyThread = SerialThread(name: "store-bodies")
    /// The body thread's answer to the write in progress (signalled by `written`).
    private let writeResult = Locked<Result<Void, StorageError>>(.success(()))
    private let written = DispatchSemaphore(value: 0)

    // With `lock` held.
    private let lock = NSLock()
    private var active: Int64
    private var liveBytes: Int64
    private var cap: Int64?
    private let readLock = NSLock()
    private var readFDs: [Int64: Int32] = [:]

    /// Opens (creating) `directory`. The segments already there stay readable; new bodies go to
    /// a new segment numbered after the last one.
    public init(directory: String, segmentBytes: Int64 = 64 << 20, capacity: Int64? = nil) throws {
        self.directory = directory
        self.segmentBytes = max(1, segmentBytes)
        cap = capacity
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw StorageError.io("cannot create \(directory): \(error.localizedDescription)")
        }
        let existing = try Self.segments(in: directory)
        active = (existing.map(\.number).max() ?? 0) + 1
        liveBytes = existing.reduce(0) { $0 + $1.size }
        bodyThread.start()
    }

    deinit {
        bodyThread.finish()
        if activeFD >= 0 { Glibc.close(activeFD) }
        for fd in readFDs.values { Glibc.close(fd) }
    }

    // MARK: writer thread

    /// Reserves the place of `body` in the next write, or fails with `StorageError.full` if it
    /// would take the log past `capacity` (nothing is reserved then).
    public func reserve(_ body: [UInt8]) -> Result<BodyLocation, StorageError> {
        let (live, cap, segment) = lock.withLock { (liveBytes, self.cap, active) }
        let length = Int64(body.count)
        if let cap, live + pendingBytes + length > cap {
            return .failure(.full("the body log is at its cap of \(cap) bytes"))
        }
        let location = BodyLocation(segment: segment, offset: activeSize + pendingBytes, length: length)
        pending.append(body)
        pendingBytes += length
        return .success(location)
    }

    /// Starts writing what was reserved, on the body thread: one `pwritev`, one `fdatasync`.
    /// Every `startWrite` is followed by one `finishWrite`.
    public func startWrite() {
        guard !pending.isEmpty else { return }
        writing = true
        if activeFD < 0 {
            do {
                try openActive()
            } catch {
                writeResult.withLock { $0 = .failure(error as? StorageError ?? .io("\(error)")) }
                written.signal()
                return
            }
        }
        let fd = activeFD
        let start = activeSize
        let bodies = pending
        let segment = lock.withLock { active }
        let (result, done) = (writeResult, written)
        bodyThread.enqueue {
            let outcome = Self.write(bodies, to: fd, at: start, segment: segment)
            result.withLock { $0 = outcome }
            done.signal()
        }
    }

    /// Ends the body thread (the writer is closing).
    func close() { bodyThread.finish() }

    /// Waits for the write `startWrite` started. On failure nothing reserved is considered
    /// written: the transaction's rows that point at it must not commit.
    public func finishWrite() throws {
        guard writing else { return }
        writing = false
        let bytes = pendingBytes
        pending.removeAll(keepingCapacity: true)
        pendingBytes = 0
        written.wait()
        if case .failure(let error) = writeResult.withLock({ $0 }) {
            // What a failed write or fdatasync left in the file is unknown: later bodies go to a
            // fresh segment, and this one is removed once no row points into it.
            if activeFD >= 0 { Glibc.close(activeFD) }
            activeFD = -1
            activeSize = 0
            lock.withLock { active += 1 }
            throw error
        }
        activeSize += bytes
        lock.withLock { liveBytes += bytes }
        if activeSize >= segmentBytes {
            Glibc.close(activeFD)
            activeFD = -1
            activeSize = 0
            lock.withLock { active += 1 }
        }
    }

    /// The body thread's work: the bodies, written where they are (`pwritev`, no copy into one
    /// buffer), then one `fdatasync`.
    private static func write(
        _ bodies: [[UInt8]], to fd: Int32, at start: Int64,
        segment: Int64
    ) -> Result<Void, StorageError> {
        // Bodies stay alive (and their storage in place) until this returns.
        var chunks: [iovec] = []
        chunks.reserveCapacity(bodies.count)
        for body in bodies where !body.isEmpty {
            body.withUnsafeBytes {
                chunks.append(iovec(iov_base: UnsafeMutableRawPointer(mutating: $0.baseAddress), iov_len: $0.count))
            }
        }
        let written: Result<Void, StorageError> = withExtendedLifetime(bodies) {
            chunks.withUnsafeMutableBufferPointer { iov in
                var first = 0
                var offset = start
                while first < iov.count {
                    // 1024: Linux's IOV_MAX (the macro does not reach Swift).
                    let bytesWritten = pwritev(
                        fd, iov.baseAddress! + first, Int32(min(iov.count - first, 1024)), off_t(offset))
                    if bytesWritten < 0 {
                        if errno == EINTR { continue }
                        return .failure(failure("write to segment \(segment)"))
                    }
                    // Skip what was written: whole chunks, then part of one.
                    offset += Int64(bytesWritten)
                    var left = bytesWritten
                    while first < iov.count && left >= iov[first].iov_len {
                        left -= iov[first].iov_len
                        first += 1
                    }
                    if left > 0 {
                        iov[first].iov_base += left
                        iov[first].iov_len -= left
                    }
                }
                return .success(())
            }
        }
        if case .failure = written { return written }
        while fdatasync(fd) != 0 {
            if errno != EINTR { return .failure(failure("fdatasync of segment \(segment)")) }
        }
        return .success(())
    }

    /// Creates the active segment and makes its directory entry durable.
    private func openActive() throws {
        let number = lock.withLock { active }
        let path = Self.path(directory, number)
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw Self.failure("create segment \(number)") }
        let dir = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        defer { if dir >= 0 { Glibc.close(dir) } }
        guard dir >= 0, fsync(dir) == 0 else {
            let error = Self.failure("fsync of \(directory)")
            Glibc.close(fd)
            unlink(path)
            throw error
        }
        activeFD = fd
        activeSize = 0
    }

    // MARK: any thread

    /// Bytes the segment files may hold in total (`nil`: no cap but the disk's).
    public var capacity: Int64? {
        get { lock.withLock { cap } }
        set { lock.withLock { cap = newValue } }
    }

    /// The segment new bodies go to. Read by a work item on the writer thread, it bounds what work
    /// still to commit may point into: the batch's bodies are all placed there (a segment is only
    /// closed after its write), and later batches' bodies go there or after.
    public var activeSegment: Int64 { lock.withLock { active } }

    /// Bytes in the segment files (what was written through this log, plus what was there at open).
    public var liveByteCount: Int64 { lock.withLock { liveBytes } }

    /// The body at `location`, checked against its checksum when the row has one. Throws
    /// `BodyReadFailure`: `.unreadable` when it never will read (segment missing, cut short,
    /// checksum mismatch, disk I/O error), `.transient` when it may later (too many open files).
    public func read(_ location: BodyLocation) throws(BodyReadFailure) -> [UInt8] {
        guard location.length >= 0, location.offset >= 0, location.length <= Int64(Int32.max) else {
            throw .unreadable(.bodyUnreadable, detail: "body location \(location) is impossible")
        }
        // (Not `withLock`: it rethrows untyped.)
        readLock.lock()
        let read = Result { () throws(BodyReadFailure) -> [UInt8] in
            try readBytes(location, fd: try readFD(location.segment))
        }
        readLock.unlock()
        let body = try read.get()
        guard let expected = location.checksum else { return body }
        let actual = BodyChecksum.of(body)
        if actual != expected {
            throw .unreadable(
                .checksumMismatch,
                detail: "the body at \(location.offset) in segment \(location.segment) (\(location.length) bytes) "
                    + "has CRC-32C \(Self.hex(actual)), written with \(Self.hex(expected))")
        }
        return body
    }

    private func readBytes(_ location: BodyLocation, fd: Int32) throws(BodyReadFailure) -> [UInt8] {
        let count = Int(location.length)
        var body = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let bytesRead = body.withUnsafeMutableBytes {
                pread(fd, $0.baseAddress! + done, count - done, off_t(location.offset + Int64(done)))
            }
            if bytesRead < 0 && errno == EINTR { continue }
            if bytesRead < 0 { throw Self.readFailure("read from segment \(location.segment)") }
            if bytesRead == 0 {
                throw .unreadable(
                    .bodyTruncated,
                    detail: "segment \(location.segment) ends before the body at \(location.offset) (\(count) bytes)")
            }
            done += bytesRead
        }
        return body
    }

    private func readFD(_ segment: Int64) throws(BodyReadFailure) -> Int32 {
        if let fd = readFDs[segment] { return fd }
        let fd = open(Self.path(directory, segment), O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT {
                throw .unreadable(.bodyMissing, detail: "body segment \(segment) is missing from \(directory)")
            }
            throw Self.readFailure("open segment \(segment)")
        }
        readFDs[segment] = fd
        return fd
    }

    /// A failed open or read: for good on a disk I/O error, for now otherwise (EMFILE, ENOMEM...).
    private static func readFailure(_ what: String) -> BodyReadFailure {
        let code = errno
        let error = failure(what)
        return code == EIO ? .unreadable(.bodyUnreadable, detail: "\(error)") : .transient(error)
    }

    private static func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return "0x" + String(repeating: "0", count: 8 - digits.count) + digits
    }

    /// Removes every segment numbered below `first` (never the active one). Returns how many.
    /// Call it once the rows that pointed into them are deleted and that deletion is committed.
    @discardableResult
    public func removeSegments(before first: Int64) throws -> Int {
        try readLock.withLock {
            let bound = min(first, lock.withLock { active })
            var removed = 0
            for segment in try Self.segments(in: directory) where segment.number < bound {
                if let fd = readFDs.removeValue(forKey: segment.number) { Glibc.close(fd) }
                guard unlink(Self.path(directory, segment.number)) == 0 || errno == ENOENT else {
                    throw Self.failure("remove segment \(segment.number)")
                }
                // (A segment abandoned after a failed write was never counted in full.)
                lock.withLock { liveBytes = max(0, liveBytes - segment.size) }
                removed += 1
            }
            return removed
        }
    }

    /// Segment files on disk, as (number, size).
    public func segmentFiles() throws -> [(number: Int64, size: Int64)] {
        try readLock.withLock { try Self.segments(in: directory) }
    }

    // MARK: files

    static func path(_ directory: String, _ number: Int64) -> String {
        let digits = String(number)
        return directory + "/" + String(repeating: "0", count: max(0, 12 - digits.count)) + digits + suffix
    }

    static func segments(in directory: String) throws -> [(number: Int64, size: Int64)] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            throw StorageError.io("cannot list \(directory): \(error.localizedDescription)")
        }
        var out: [(number: Int64, size: Int64)] = []
        for name in names where name.hasSuffix(suffix) {
            guard let number = Int64(name.dropLast(suffix.count)) else { continue }
            var info = stat()
            guard stat(directory + "/" + name, &info) == 0 else { continue }
            out.append((number, Int64(info.st_size)))
        }
        return out.sorted { $0.number < $1.number }
    }

    /// The error for a failed system call: `full` for a full disk, `io` otherwise.
    static func failure(_ what: String) -> StorageError {
        let code = errno
        let text = String(cString: strerror(code))
        if code == ENOSPC || code == EDQUOT { return .full("\(what): \(text)") }
        return .io("\(what): \(text)")
    }
}
