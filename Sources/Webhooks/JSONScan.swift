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
        let p = base.assumingMemoryBound(to: UInt8.self)
        let words = (depthLimit + 64) / 64
        if let member {
            var name = member
            return name.withUTF8 { wanted in
                withUnsafeTemporaryAllocation(of: UInt64.self, capacity: words) { stack in
                    scan(p, bytes.count, wanted: wanted, stack: stack, maxDepth: depthLimit)
                }
            }
        }
        return withUnsafeTemporaryAllocation(of: UInt64.self, capacity: words) { stack in
            scan(p, bytes.count, wanted: nil, stack: stack, maxDepth: depthLimit)
        }
    }

    /// Validates `bytes` (see the buffer overload).
    public static func validate(
        _ bytes: [UInt8], member: String? = nil,
        maxDepth: Int = defaultMaxDepth
    ) -> Result {
        bytes.withUnsafeBytes { validate($0, member: member, maxDepth: maxDepth) }
    }

    // MARK: - The scanner

    private enum State {
        case value  // a value is required (top level, after ':' or after ',' in an array)
        case valueOrClose  // just after '['
        case keyOrClose  // just after '{'
        case key  // after ',' in an object
        case colon  // after a key
        case commaOrClose  // after a value inside a container
    }

    private static let quote = UInt8(ascii: "\""), backslash = UInt8(ascii: "\\")

    @inline(__always)
    private static func isWhitespace(_ c: UInt8) -> Bool {
        c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09
    }

    private static func scan(
        _ p: UnsafePointer<UInt8>, _ n: Int, wanted: UnsafeBufferPointer<UInt8>?,
        stack: UnsafeMutableBufferPointer<UInt64>, maxDepth: Int
    ) -> Result {
        var i = 0
        var depth = 0
        var state = State.value
        var topLevelIsObject = false
        var capture = false  // the next value belongs to the requested member
        var memberValue: String? = nil

        func fail(_ reason: Reason, _ offset: Int) -> Result {
            Result(failure: Failure(reason: reason, offset: offset), topLevelIsObject: false, member: nil)
        }
        @inline(__always) func topIsObject() -> Bool {
            let d = depth - 1
            return stack[d >> 6] & (1 << UInt64(d & 63)) != 0
        }
        @inline(__always) func push(_ object: Bool) {
            let d = depth
            let bit: UInt64 = 1 << UInt64(d & 63)
            if object { stack[d >> 6] |= bit } else { stack[d >> 6] &= ~bit }
            depth += 1
        }

        while true {
            while i < n && isWhitespace(p[i]) { i += 1 }
            if i >= n {
                return fail(depth == 0 && state == .value ? .empty : .unexpectedEnd, i)
            }
            let c = p[i]
            switch state {
            case .commaOrClose:
                if c == UInt8(ascii: ",") {
                    i += 1
                    state = topIsObject() ? .key : .value
                    continue
                }
                let object = topIsObject()
                if (c == UInt8(ascii: "}") && object) || (c == UInt8(ascii: "]") && !object) {
                    i += 1
                    depth -= 1
                    if depth == 0 { break } else { continue }
                }
                return fail(.unexpectedByte, i)

            case .colon:
                guard c == UInt8(ascii: ":") else { return fail(.expectedColon, i) }
                i += 1
                state = .value
                continue

            case .key, .keyOrClose:
                if c == quote {
                    let start = i + 1
                    var hasEscape = false
                    if let reason = scanString(p, n, &i, &hasEscape) { return fail(reason, i) }
                    if depth == 1, let wanted {
                        capture = keyEquals(p + start, i - 1 - start, hasEscape, wanted)
                        if capture { memberValue = nil }
                    }
                    state = .colon
                    continue
                }
                if c == UInt8(ascii: "}") {
                    if state == .key { return fail(.trailingComma, i) }
                    i += 1
                    depth -= 1
                    if depth == 0 { break }
                    state = .commaOrClose
                    continue
                }
                return fail(.expectedKey, i)

            case .value, .valueOrClose:
                switch c {
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    if depth == 0 { topLevelIsObject = c == UInt8(ascii: "{") }
                    if depth >= maxDepth { return fail(.tooDeep, i) }
                    push(c == UInt8(ascii: "{"))
                    capture = false
                    i += 1
                    state = c == UInt8(ascii: "{") ? .keyOrClose : .valueOrClose
                    continue
                case UInt8(ascii: "]"):
                    if state == .valueOrClose {
                        i += 1
                        depth -= 1
                        if depth == 0 { break }
                        state = .commaOrClose
                        continue
                    }
                    return fail(depth > 0 && !topIsObject() ? .trailingComma : .unexpectedByte, i)
                case quote:
                    let start = i + 1
                    var hasEscape = false
                    if let reason = scanString(p, n, &i, &hasEscape) { return fail(reason, i) }
                    if capture {
                        memberValue = decodeString(p + start, i - 1 - start, hasEscape)
                        capture = false
                    }
                case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                    if let reason = scanNumber(p, n, &i) { return fail(reason, i) }
                    capture = false
                case UInt8(ascii: "t"):
                    if let reason = scanLiteral(p, n, &i, "true") { return fail(reason, i) }
                    capture = false
                case UInt8(ascii: "f"):
                    if let reason = scanLiteral(p, n, &i, "false") { return fail(reason, i) }
                    capture = false
                case UInt8(ascii: "n"):
                    if let reason = scanLiteral(p, n, &i, "null") { return fail(reason, i) }
                    capture = false
                default:
                    return fail(.unexpectedByte, i)
                }
                if depth == 0 { break }
                state = .commaOrClose
                continue
            }
            // Only reached when the top-level value is complete.
            while i < n && isWhitespace(p[i]) { i += 1 }
            if i < n { return fail(.trailingData, i) }
            return Result(
                failure: nil, topLevelIsObject: topLevelIsObject,
                member: topLevelIsObject ? memberValue : nil)
        }
    }

    /// Scans a string whose opening quote is at `i`. On success `i` is just past the closing
    /// quote; on failure `i` is the offending offset.
    @inline(__always)
    private static func scanString(
        _ p: UnsafePointer<UInt8>, _ n: Int, _ i: inout Int,
        _ hasEscape: inout Bool
    ) -> Reason? {
        var j = i + 1
        let raw = UnsafeRawPointer(p)
        while true {
            // Eight bytes at a time while none is '"', '\\', a control character or non-ASCII.
            while j + 8 <= n {
                let w = raw.loadUnaligned(fromByteOffset: j, as: UInt64.self)
                let high: UInt64 = 0x8080_8080_8080_8080
                let ones: UInt64 = 0x0101_0101_0101_0101
                let q = w ^ (ones &* 0x22)
                let b = w ^ (ones &* 0x5C)
                let special =
                    (w | ((w &- ones &* 0x20) & ~w)
                        | ((q &- ones) & ~q) | ((b &- ones) & ~b)) & high
                if special != 0 { break }
                j += 8
            }
            guard j < n else {
                i = j
                return .unexpectedEnd
            }
            let c = p[j]
            if c == quote {
                i = j + 1
                return nil
            } else if c == backslash {
                hasEscape = true
                guard j + 1 < n else {
                    i = j + 1
                    return .unexpectedEnd
                }
                switch p[j + 1] {
                case quote, backslash, UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                    UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    j += 2
                case UInt8(ascii: "u"):
                    let unit = hex4(p, n, j + 2)
                    guard unit >= 0 else {
                        i = j
                        return unit == truncated ? .unexpectedEnd : .invalidEscape
                    }
                    if unit >= 0xDC00 && unit <= 0xDFFF {
                        i = j
                        return .unpairedSurrogate
                    }
                    if unit >= 0xD800 && unit <= 0xDBFF {
                        // A high surrogate must be followed by an escaped low surrogate.
                        guard j + 6 < n else {
                            i = j + 6
                            return .unexpectedEnd
                        }
                        guard p[j + 6] == backslash else {
                            i = j
                            return .unpairedSurrogate
                        }
                        guard j + 7 < n else {
                            i = j + 7
                            return .unexpectedEnd
                        }
                        guard p[j + 7] == UInt8(ascii: "u") else {
                            i = j + 6
                            return .invalidEscape
                        }
                        let low = hex4(p, n, j + 8)
                        guard low >= 0 else {
                            i = j + 6
                            return low == truncated ? .unexpectedEnd : .invalidEscape
                        }
                        guard low >= 0xDC00 && low <= 0xDFFF else {
                            i = j
                            return .unpairedSurrogate
                        }
                        j += 12
                    } else {
                        j += 6
                    }
                default:
                    i = j
                    return .invalidEscape
                }
            } else if c < 0x20 {
                i = j
                return .controlCharacter
            } else if c < 0x80 {
                j += 1
            } else {
                let length = utf8SequenceLength(p, n, j)
                if length == 0 {
                    i = j
                    return .invalidUTF8
                }
                j += length
            }
        }
    }

    /// The length (2...4) of the well-formed UTF-8 sequence starting with the non-ASCII byte
    /// at `j`, or 0 when it is ill formed or truncated (Unicode 15, table 3-7).
    @inline(__always)
    private static func utf8SequenceLength(_ p: UnsafePointer<UInt8>, _ n: Int, _ j: Int) -> Int {
        let c = p[j]
        @inline(__always) func cont(_ k: Int, _ lo: UInt8 = 0x80, _ hi: UInt8 = 0xBF) -> Bool {
            k < n && p[k] >= lo && p[k] <= hi
        }
        switch c {
        case 0xC2...0xDF:
            return cont(j + 1) ? 2 : 0
        case 0xE0:
            return cont(j + 1, 0xA0) && cont(j + 2) ? 3 : 0
        case 0xE1...0xEC, 0xEE...0xEF:
            return cont(j + 1) && cont(j + 2) ? 3 : 0
        case 0xED:
            return cont(j + 1, 0x80, 0x9F) && cont(j + 2) ? 3 : 0
        case 0xF0:
            return cont(j + 1, 0x90) && cont(j + 2) && cont(j + 3) ? 4 : 0
        case 0xF1...0xF3:
            return cont(j + 1) && cont(j + 2) && cont(j + 3) ? 4 : 0
        case 0xF4:
            return cont(j + 1, 0x80, 0x8F) && cont(j + 2) && cont(j + 3) ? 4 : 0
        default:
            return 0
        }
    }

    @inline(__always)
    private static func hexValue(_ c: UInt8) -> UInt32? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return UInt32(c - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return UInt32(c - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return UInt32(c - UInt8(ascii: "A") + 10)
        default: return nil
        }
    }

    private static let truncated: Int32 = -2

    /// The value of the four hex digits at `k`, `-1` when one of them is not a hex digit,
    /// or `truncated` (-2) when the input ends first.
    @inline(__always)
    private static func hex4(_ p: UnsafePointer<UInt8>, _ n: Int, _ k: Int) -> Int32 {
        var v: Int32 = 0
        for m in k..<(k + 4) {
            guard m < n else { return truncated }
            guard let d = hexValue(p[m]) else { return -1 }
            v = v << 4 | Int32(d)
        }
        return v
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`
    @inline(__always)
    private static func scanNumber(_ p: UnsafePointer<UInt8>, _ n: Int, _ i: inout Int) -> Reason? {
        var j = i
        @inline(__always) func isDigit(_ k: Int) -> Bool { k < n && p[k] &- UInt8(ascii: "0") < 10 }
        if p[j] == UInt8(ascii: "-") { j += 1 }
        guard j < n else {
            i = j
            return .unexpectedEnd
        }
        if p[j] == UInt8(ascii: "0") {
            j += 1
            if isDigit(j) {
                i = j
                return .invalidNumber
            }  // leading zero
        } else if isDigit(j) {
            j += 1
            while isDigit(j) { j += 1 }
        } else {
            i = j
            return .invalidNumber
        }
        if j < n && p[j] == UInt8(ascii: ".") {
            j += 1
            guard j < n else {
                i = j
                return .unexpectedEnd
            }
            guard isDigit(j) else {
                i = j
                return .invalidNumber
            }
            while isDigit(j) { j += 1 }
        }
        if j < n && (p[j] | 0x20) == UInt8(ascii: "e") {
            j += 1
            if j < n && (p[j] == UInt8(ascii: "+") || p[j] == UInt8(ascii: "-")) { j += 1 }
            guard j < n else {
                i = j
                return .unexpectedEnd
            }
            guard isDigit(j) else {
                i = j
                return .invalidNumber
            }
            while isDigit(j) { j += 1 }
        }
        i = j
        return nil
    }

    @inline(__always)
    private static func scanLiteral(
        _ p: UnsafePointer<UInt8>, _ n: Int, _ i: inout Int,
        _ literal: StaticString
    ) -> Reason? {
        let length = literal.utf8CodeUnitCount
        let expected = literal.utf8Start
        for k in 0..<length {
            guard i + k < n else {
                i += k
                return .unexpectedEnd
            }
            guard p[i + k] == expected[k] else {
                i += k
                return .invalidLiteral
            }
        }
        i += length
        return nil
    }

    // MARK: - Decoding (only for the requested key and its value; input already validated)

    /// Whether the string content `[s, s+length)` (validated, escapes not decoded) equals `wanted`.
    private static func keyEquals(
        _ s: UnsafePointer<UInt8>, _ length: Int, _ hasEscape: Bool,
        _ wanted: UnsafeBufferPointer<UInt8>
    ) -> Bool {
        if !hasEscape {
            guard length == wanted.count else { return false }
            for k in 0..<length where s[k] != wanted[k] { return false }
            return true
        }
        // A decoded string is never longer than its escaped form.
        guard length >= wanted.count else { return false }
        return decodeBytes(s, length).elementsEqual(wanted)
    }

    private static func decodeString(_ s: UnsafePointer<UInt8>, _ length: Int, _ hasEscape: Bool) -> String {
        if !hasEscape { return String(decoding: UnsafeBufferPointer(start: s, count: length), as: UTF8.self) }
        return String(decoding: decodeBytes(s, length), as: UTF8.self)
    }

    /// Decodes the escapes of validated string content into UTF-8 bytes.
    private static func decodeBytes(_ s: UnsafePointer<UInt8>, _ length: Int) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(length)
        var k = 0
        while k < length {
            let c = s[k]
            guard c == backslash else {
                out.append(c)
                k += 1
                continue
            }
            let e = s[k + 1]
            k += 2
            switch e {
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                // Validated: four hex digits, and a high surrogate is followed by `\u` + low.
                var scalar = UInt32(max(hex4(s, length, k), 0))
                k += 4
                if scalar >= 0xD800 && scalar <= 0xDBFF {
                    let low = UInt32(max(hex4(s, length, k + 2), 0xDC00))
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    k += 6
                }
                appendUTF8(scalar, to: &out)
            default: out.append(e)  // '"', '\\', '/'
            }
        }
        return out
    }

    private static func appendUTF8(_ v: UInt32, to out: inout [UInt8]) {
        switch v {
        case 0..<0x80:
            out.append(UInt8(v))
        case 0x80..<0x800:
            out.append(UInt8(0xC0 | (v >> 6)))
            out.append(UInt8(0x80 | (v & 0x3F)))
        case 0x800..<0x10000:
            out.append(UInt8(0xE0 | (v >> 12)))
            out.append(UInt8(0x80 | ((v >> 6) & 0x3F)))
            out.append(UInt8(0x80 | (v & 0x3F)))
        default:
            out.append(UInt8(0xF0 | (v >> 18)))
            out.append(UInt8(0x80 | ((v >> 12) & 0x3F)))
            out.append(UInt8(0x80 | ((v >> 6) & 0x3F)))
            out.append(UInt8(0x80 | (v & 0x3F)))
        }
    }
}
