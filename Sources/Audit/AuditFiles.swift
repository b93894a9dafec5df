import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The day files of an audit directory: `ai-operator-audit-YYYY.MM.DD.jsonl`.
public enum AuditFiles {
    public static let prefix = "ai-operator-audit-"
    public static let suffix = ".jsonl"

    /// `ai-operator-audit-2026.02.27.jsonl` for day `2026.02.27`.
    public static func fileName(day: String) -> String { prefix + day + suffix }

    /// The file holding entries stamped at `milliseconds`.
    public static func fileName(milliseconds: Int64) -> String {
        fileName(day: AuditTimestamp.day(milliseconds: milliseconds))
    }

    /// The day (`YYYY.MM.DD`) of a well-formed audit file name, else `nil`.
    public static func day(ofFileName name: String) -> String? {
        guard name.hasPrefix(prefix), name.hasSuffix(suffix) else { return nil }
        let day = String(name.dropFirst(prefix.count).dropLast(suffix.count))
        return AuditTimestamp.dayNumber(day) == nil ? nil : day
    }

    /// The audit files of `directory`, oldest day first (other names are ignored).
    /// Throws when the directory cannot be listed.
    public static func list(_ directory: String) throws -> [(name: String, day: String)] {
        try FileManager.default.contentsOfDirectory(atPath: directory)
            .compactMap { name in day(ofFileName: name).map { (name: name, day: $0) } }
            .sorted { $0.day < $1.day }
    }

    /// The whole file.
    static func read(_ path: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw AuditIOError(operation: "open", path: path, code: errno) }
        defer { close(fd) }
        var fileStatus = stat()
        guard fstat(fd, &fileStatus) == 0 else { throw AuditIOError(operation: "stat", path: path, code: errno) }
        var bytes = [UInt8](repeating: 0, count: Int(fileStatus.st_size))
        var filled = 0
        while filled < bytes.count {
            let bytesRead = bytes.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + filled, $0.count - filled) }
            if bytesRead < 0 {
                if errno == EINTR { continue }
                throw AuditIOError(operation: "read", path: path, code: errno)
            }
            if bytesRead == 0 { break }
            filled += bytesRead
        }
        if filled < bytes.count { bytes.removeLast(bytes.count - filled) }
        return bytes
    }

    /// Line ranges (without the newline) of `bytes`; `unterminated` is the trailing part
    /// after the last newline, if any (a torn write, or a write in progress).
    static func lines(_ bytes: [UInt8]) -> (complete: [Range<Int>], unterminated: Range<Int>?) {
        var out: [Range<Int>] = []
        var start = 0
        bytes.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            while start < buffer.count {
                guard let newline = memchr(base + start, 0x0A, buffer.count - start) else { break }
                let end = UnsafeRawPointer(newline).assumingMemoryBound(to: UInt8.self) - base
                out.append(start..<end)
                start = end + 1
            }
        }
        return (out, start < bytes.count ? start..<bytes.count : nil)
    }

    /// Whether `bytes[range]` contains `needle`.
    static func contains(_ bytes: [UInt8], _ range: Range<Int>, _ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty else { return true }
        guard range.count >= needle.count else { return false }
        return bytes.withUnsafeBufferPointer { hay in
            needle.withUnsafeBufferPointer { needleBytes in
                // memchr for the first byte, memcmp for the rest (memmem is not exported).
                let first = Int32(needleBytes[0])
                var at = range.lowerBound
                let lastStart = range.upperBound - needleBytes.count
                while at <= lastStart {
                    guard let hit = memchr(hay.baseAddress! + at, first, lastStart - at + 1) else { return false }
                    let offset = UnsafeRawPointer(hit).assumingMemoryBound(to: UInt8.self) - hay.baseAddress!
                    if memcmp(hay.baseAddress! + offset, needleBytes.baseAddress!, needleBytes.count) == 0 {
                        return true
                    }
                    at = offset + 1
                }
                return false
            }
        }
    }
}

/// A failed system call on an audit file.
public struct AuditIOError: Error, CustomStringConvertible, Sendable {
    public var operation: String
    public var path: String
    public var code: Int32
    public var description: String { "\(operation) \(path): \(String(cString: strerror(code)))" }
}
