// A fast, strict, single-pass JSON validator for the ingress hot path.
//
// It answers three questions about a request body without building any value: is it
// RFC 8259 JSON, is the top level an object, and what is the string value of one requested
// top-level member (e.g. `action` for GitHub, `app` for Argo CD)? It runs iteratively with
// a fixed-size container stack (a bit per level), so hostile input can neither overflow the
// call stack nor make it allocate: the only allocations are the returned member string and,
// for a key or member value that contains escapes, one buffer no larger than that string.
//
// Strictness, beyond the RFC 8259 grammar:
// - UTF-8 must be well formed (RFC 3629: no overlongs, no encoded surrogates, at most U+10FFFF).
// - `\u` escapes must not leave a UTF-16 surrogate unpaired (as I-JSON, RFC 7493, and as
//   Foundation's parser requires).
// - No byte-order mark, no comments, no trailing commas, no NaN/Infinity.
// - Nesting deeper than `maxDepth` (default 512, Foundation's limit too) is rejected.
// Numbers are checked against the grammar only; their magnitude is not limited.
// For duplicate top-level keys the last occurrence wins (as in Foundation and JavaScript).

public enum JSONScan {
    /// Why a document was rejected.
    public enum Reason: String, Sendable, Equatable, CustomStringConvertible {
        case empty = "empty document"
        case unexpectedEnd = "unexpected end of input"
        case unexpectedByte = "unexpected byte"
        case trailingComma = "trailing comma"
        case expectedKey = "expected a string key"
        case expectedColon = "expected ':'"
        case invalidLiteral = "invalid literal"
        case invalidNumber = "invalid number"
        case controlCharacter = "unescaped control character in string"
        case invalidEscape = "invalid escape sequence"
        case unpairedSurrogate = "unpaired UTF-16 surrogate escape"
        case invalidUTF8 = "invalid UTF-8"
        case tooDeep = "nesting too deep"
        case trailingData = "data after the top-level value"

        public var description: String { rawValue }
    }

    /// A rejection: the reason and the byte offset where it was detected.
    public struct Failure: Sendable, Equatable, CustomStringConvertible {
        public var reason: Reason
        public var offset: Int
        public init(reason: Reason, offset: Int) {
            self.reason = reason
            self.offset = offset
        }
        public var description: String { "\(reason.rawValue) at byte \(offset)" }
    }

    /// The outcome of a scan.
    public struct Result: Sendable, Equatable {
        /// `nil` when the document is valid.
        public var failure: Failure?
        /// Whether the (valid) document's top-level value is an object. `false` when invalid.
        public var topLevelIsObject: Bool
        /// The decoded value of the requested top-level member when the document is valid, the
        /// top level is an object and the member's (last) value is a string; otherwise `nil`.
        public var member: String?
        public var isValid: Bool { failure == nil }

        public init(failure: Failure?, topLevelIsObject: Bool, member: String?) {
            self.failure = failure
            self.topLevelIsObject = topLevelIsObject
            self.member = member
        }
    }

    /// Foundation's nesting limit, and ours by default.
    public static let defaultMaxDepth = 512

    /// Validates `bytes` as one JSON document and extracts the top-level string member
    /// named `member` (if given). `maxDepth` is clamped to 1...65536.
    public static func validate(
        _ bytes: UnsafeRawBufferPointer, member: String? = nil,
        maxDepth: Int = defaultMaxDepth
    ) -> Result {
        let depthLimit = min(max(maxDepth, 1), 65536)
        guard let base = bytes.baseAddress, bytes.count > 0 else {
            return Result(failure: Failure(reason: .empty, offset: 0), topLevelIsObject: false, member: nil)
        }
        let firstByte = base.assumingMemoryBound(to: UInt8.self)
        let words = (depthLimit + 64) / 64
        if let member {
            var name = member
            return name.withUTF8 { wanted in
                withUnsafeTemporaryAllocation(of: UInt64.self, capacity: words) { stack in
                    scan(firstByte, bytes.count, wanted: wanted, stack: stack, maxDepth: depthLimit)
                }
            }
        }
        return withUnsafeTemporaryAllocation(of: UInt64.self, capacity: words) { stack in
            scan(firstByte, bytes.count, wanted: nil, stack: stack, maxDepth: depthLimit)
        }
    }

    /// Validates `bytes` (see the buffer overload).
    public static func validate(
        _ bytes: [UInt8], member: String? = nil,
        maxDepth: Int = defaultMaxDepth
    ) -> Result {
        bytes.withUnsafeBytes { validate($0, member: member, maxDepth: maxDepth) }
    }
}
