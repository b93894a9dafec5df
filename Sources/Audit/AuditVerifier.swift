import Foundation

/// The head of the chain: the last entry's `seq` and `hash` (seq 0 and the genesis hash
/// before the first entry). Keeping it outside the directory (e.g. with the state store)
/// lets `AuditVerifier` also catch lines removed from the end.
public struct AuditChainHead: Sendable, Equatable, Codable {
    public var seq: Int
    public var hash: String
    public init(seq: Int, hash: String) {
        self.seq = seq
        self.hash = hash
    }
    public static let genesis = AuditChainHead(seq: 0, hash: AuditHash.genesis)
}

/// The first problem found in an audit directory.
public struct AuditProblem: Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable, Equatable, CaseIterable {
        /// The line's hash does not match its content (or the line is not in canonical form).
        case altered
        /// A seq gap, or a `prevHash` that does not link to the previous line.
        case removed
        /// seq goes backwards or repeats, or a line appears before one it must follow.
        case reordered
        /// Not JSON, a missing or ill-typed field, an unterminated last line.
        case malformed
        /// The line's timestamp day is not its file's day.
        case misplaced
    }
    /// File name (not the full path).
    public var file: String
    /// 1-based line number in `file`.
    public var line: Int
    public var kind: Kind
    public var detail: String
    public init(file: String, line: Int, kind: Kind, detail: String) {
        self.file = file
        self.line = line
        self.kind = kind
        self.detail = detail
    }
    /// `<file>:<line>: <kind>: <detail>`.
    public var description: String { "\(file):\(line): \(kind.rawValue): \(detail)" }
}

/// What `AuditVerifier.verify` found.
public struct AuditVerification: Sendable, Equatable {
    public var filesChecked: Int
    /// Entries that verified (before the problem, if any).
    public var entriesChecked: Int
    public var firstSeq: Int?
    public var lastSeq: Int?
    /// The oldest remaining line is not seq 1 (older files removed by retention): its
    /// `prevHash` could not be checked, only its own hash.
    public var startsMidChain: Bool
    public var problem: AuditProblem?
    public var isValid: Bool { problem == nil }
}

/// The directory cannot be listed.
public struct AuditDirectoryError: Error, CustomStringConvertible, Sendable {
    public var path: String
    public var reason: String
    public var description: String { "cannot read audit directory \(path): \(reason)" }
}

/// Walks every day file in day order and line order and reports the first problem.
public enum AuditVerifier {
    /// - Parameter anchor: a chain head recorded elsewhere (optional): the log must reach it
    ///   with the same hash, which also catches whole lines removed from the end.
    /// - Throws: `AuditDirectoryError` when the directory is missing or unreadable.
    public static func verify(directory: String, anchor: AuditChainHead? = nil) throws -> AuditVerification {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDir) else {
            throw AuditDirectoryError(path: directory, reason: "no such directory")
        }
        guard isDir.boolValue else { throw AuditDirectoryError(path: directory, reason: "not a directory") }
        let files: [(name: String, day: String)]
        do { files = try AuditFiles.list(directory) } catch {
            throw AuditDirectoryError(path: directory, reason: "\(error.localizedDescription)")
        }
        var walk = Walk(directory: directory, files: files)
        do {
            try walk.run(anchor: anchor)
        } catch let io as AuditIOError {
            throw AuditDirectoryError(path: directory, reason: io.description)
        }
        return walk.result
    }

    private struct Walk {
        let directory: String
        let files: [(name: String, day: String)]
        var result = AuditVerification(
            filesChecked: 0, entriesChecked: 0, firstSeq: nil, lastSeq: nil,
            startsMidChain: false, problem: nil)
        var prev: AuditChainHead?
        var anchorHashSeen: String?

        init(directory: String, files: [(name: String, day: String)]) {
            self.directory = directory
            self.files = files
        }

        func path(_ name: String) -> String { (directory as NSString).appendingPathComponent(name) }

        mutating func run(anchor: AuditChainHead?) throws {
            var lastPlace = (file: files.last?.name ?? "", line: 0)
            for (fileIndex, file) in files.enumerated() {
                let bytes = try AuditFiles.read(path(file.name))
                result.filesChecked += 1
                let (lines, tail) = AuditFiles.lines(bytes)
                for (lineIndex, range) in lines.enumerated() {
                    if let problem = check(bytes, range, file: file, fileIndex: fileIndex, lineIndex: lineIndex) {
                        result.problem = AuditProblem(
                            file: file.name, line: lineIndex + 1, kind: problem.0, detail: problem.1)
                        return
                    }
                }
                if tail != nil {
                    result.problem = AuditProblem(
                        file: file.name, line: lines.count + 1, kind: .malformed,
                        detail: "the last line is not terminated by a newline (torn or truncated write)")
                    return
                }
                lastPlace = (file.name, lines.count)
            }
            guard let anchor, anchor.seq > 0 else { return }
            let last = result.lastSeq ?? 0
            if last < anchor.seq {
                result.problem = AuditProblem(
                    file: lastPlace.file, line: lastPlace.line + 1, kind: .removed,
                    detail: "the log ends at seq \(last) but seq \(anchor.seq) was written (lines removed from the end)"
                )
            } else if let seen = anchorHashSeen, seen != anchor.hash {
                result.problem = AuditProblem(
                    file: lastPlace.file, line: lastPlace.line, kind: .altered,
                    detail: "seq \(anchor.seq) does not have the anchored hash")
            }
        }

        /// The problem with one line, or nil (and the line joins the chain).
        mutating func check(
            _ bytes: [UInt8], _ range: Range<Int>, file: (name: String, day: String),
            fileIndex: Int, lineIndex: Int
        ) -> (AuditProblem.Kind, String)? {
            if range.isEmpty { return (.malformed, "empty line") }
            let entry: AuditEntry
            switch AuditLine.decode(bytes[range]) {
            case .failure(let why): return (.malformed, why.detail)
            case .success(let decoded): entry = decoded
            }
            guard AuditHash.isWellFormed(entry.hash) else { return (.malformed, "hash is not 64 lowercase hex digits") }
            guard AuditHash.isWellFormed(entry.prevHash) else {
                return (.malformed, "prevHash is not 64 lowercase hex digits")
            }
            guard let ms = entry.timestampMilliseconds else {
                return (.malformed, "timestamp \(entry.timestamp) is not UTC ISO 8601 with milliseconds")
            }
            guard entry.seq >= 1 else { return (.malformed, "seq \(entry.seq) is not positive") }
            let (hash, canonicalLine) = entry.chained()
            if hash != entry.hash {
                return (.altered, "seq \(entry.seq): the hash does not match the content")
            }
            if !canonicalLine.elementsEqual(bytes[range]) {
                return (
                    .altered,
                    "seq \(entry.seq): the line is not in canonical form (a field was added, reordered or reformatted)"
                )
            }
            let day = AuditTimestamp.day(milliseconds: ms)
            if day != file.day {
                return (
                    .misplaced,
                    "seq \(entry.seq): timestamp \(entry.timestamp) belongs in \(AuditFiles.fileName(day: day))"
                )
            }
            if let previous = prev {
                if entry.seq == previous.seq + 1 {
                    if entry.prevHash != previous.hash {
                        return (
                            .removed,
                            "seq \(entry.seq): prevHash does not link to the previous line (seq \(previous.seq))"
                        )
                    }
                } else if entry.seq <= previous.seq {
                    return (.reordered, "seq \(entry.seq) comes after seq \(previous.seq)")
                } else {
                    let missing = previous.seq + 1
                    if let later = findLater(seqIn: missing..<entry.seq, fromFile: fileIndex, line: lineIndex + 1) {
                        if later.seq == missing {
                            return (
                                .reordered, "seq \(entry.seq) comes before seq \(missing) (\(later.file):\(later.line))"
                            )
                        }
                        return (
                            .removed,
                            "seq \(missing) is missing (previous line is seq \(previous.seq), this line is seq \(entry.seq))"
                        )
                    }
                    let range = missing == entry.seq - 1 ? "seq \(missing) is" : "seq \(missing)..\(entry.seq - 1) are"
                    return (.removed, "\(range) missing (previous line is seq \(previous.seq))")
                }
            } else if entry.seq == 1 {
                if entry.prevHash != AuditHash.genesis {
                    return (.removed, "seq 1 does not start from the genesis hash")
                }
            } else {
                result.startsMidChain = true
            }
            prev = AuditChainHead(seq: entry.seq, hash: entry.hash)
            result.entriesChecked += 1
            if result.firstSeq == nil { result.firstSeq = entry.seq }
            result.lastSeq = entry.seq
            return nil
        }

        /// A later line whose seq lies in `range` and whose own hash verifies: the one with
        /// `range.lowerBound` if it is there, else the first found. Only runs once, on a gap.
        func findLater(seqIn range: Range<Int>, fromFile firstFile: Int, line: Int) -> (
            seq: Int, file: String, line: Int
        )? {
            var first: (seq: Int, file: String, line: Int)?
            for i in firstFile..<files.count {
                guard let bytes = try? AuditFiles.read(path(files[i].name)) else { continue }
                let lines = AuditFiles.lines(bytes).complete
                let start = i == firstFile ? line : 0
                guard start < lines.count else { continue }
                for lineIndex in start..<lines.count {
                    guard case .success(let entry) = AuditLine.decode(bytes[lines[lineIndex]]),
                        range.contains(entry.seq),
                        entry.computedHash == entry.hash
                    else { continue }
                    if entry.seq == range.lowerBound { return (entry.seq, files[i].name, lineIndex + 1) }
                    if first == nil { first = (entry.seq, files[i].name, lineIndex + 1) }
                }
            }
            return first
        }
    }
}

/// Decoding one stored line.
enum AuditLine {
    struct Malformed: Error { var detail: String }

    static func decode(_ line: ArraySlice<UInt8>) -> Result<AuditEntry, Malformed> {
        do {
            return .success(try JSONDecoder().decode(AuditEntry.self, from: Data(line)))
        } catch let DecodingError.keyNotFound(key, ctx) {
            let path = (ctx.codingPath.map(\.stringValue) + [key.stringValue]).joined(separator: ".")
            return .failure(Malformed(detail: "missing field \(path)"))
        } catch let DecodingError.typeMismatch(_, ctx), let DecodingError.valueNotFound(_, ctx) {
            return .failure(
                Malformed(
                    detail: "field \(ctx.codingPath.map(\.stringValue).joined(separator: ".")) has the wrong type"))
        } catch let DecodingError.dataCorrupted(ctx) where !ctx.codingPath.isEmpty {
            return .failure(
                Malformed(
                    detail: "field \(ctx.codingPath.map(\.stringValue).joined(separator: ".")) has an invalid value"))
        } catch {
            return .failure(Malformed(detail: "not a JSON object"))
        }
    }
}
