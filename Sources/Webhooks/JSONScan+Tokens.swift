// The token scanners of the validator: strings (escapes, surrogate pairs, UTF-8 well-formedness),
// numbers and literals. Each one advances `position` past its token, or stops at the offending byte.
extension JSONScan {
    static let quote = UInt8(ascii: "\"")
    static let backslash = UInt8(ascii: "\\")

    /// Scans a string whose opening quote is at `position`. On success `position` is just past the
    /// closing quote; on failure `position` is the offending offset.
    @inline(__always)
    static func scanString(
        _ input: UnsafePointer<UInt8>, _ inputCount: Int, _ position: inout Int,
        _ hasEscape: inout Bool
    ) -> Reason? {
        var cursor = position + 1
        let raw = UnsafeRawPointer(input)
        while true {
            // Eight bytes at a time while none is '"', '\\', a control character or non-ASCII.
            while cursor + 8 <= inputCount {
                let word = raw.loadUnaligned(fromByteOffset: cursor, as: UInt64.self)
                let high: UInt64 = 0x8080_8080_8080_8080
                let ones: UInt64 = 0x0101_0101_0101_0101
                let quoteZeroed = word ^ (ones &* 0x22)
                let backslashZeroed = word ^ (ones &* 0x5C)
                let special =
                    (word | ((word &- ones &* 0x20) & ~word)
                        | ((quoteZeroed &- ones) & ~quoteZeroed) | ((backslashZeroed &- ones) & ~backslashZeroed))
                    & high
                if special != 0 { break }
                cursor += 8
            }
            guard cursor < inputCount else {
                position = cursor
                return .unexpectedEnd
            }
            let byte = input[cursor]
            if byte == quote {
                position = cursor + 1
                return nil
            } else if byte == backslash {
                hasEscape = true
                guard cursor + 1 < inputCount else {
                    position = cursor + 1
                    return .unexpectedEnd
                }
                switch input[cursor + 1] {
                case quote, backslash, UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                    UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    cursor += 2
                case UInt8(ascii: "u"):
                    let unit = hex4(input, inputCount, cursor + 2)
                    guard unit >= 0 else {
                        position = cursor
                        return unit == truncated ? .unexpectedEnd : .invalidEscape
                    }
                    if unit >= 0xDC00 && unit <= 0xDFFF {
                        position = cursor
                        return .unpairedSurrogate
                    }
                    if unit >= 0xD800 && unit <= 0xDBFF {
                        // A high surrogate must be followed by an escaped low surrogate.
                        guard cursor + 6 < inputCount else {
                            position = cursor + 6
                            return .unexpectedEnd
                        }
                        guard input[cursor + 6] == backslash else {
                            position = cursor
                            return .unpairedSurrogate
                        }
                        guard cursor + 7 < inputCount else {
                            position = cursor + 7
                            return .unexpectedEnd
                        }
                        guard input[cursor + 7] == UInt8(ascii: "u") else {
                            position = cursor + 6
                            return .invalidEscape
                        }
                        let low = hex4(input, inputCount, cursor + 8)
                        guard low >= 0 else {
                            position = cursor + 6
                            return low == truncated ? .unexpectedEnd : .invalidEscape
                        }
                        guard low >= 0xDC00 && low <= 0xDFFF else {
                            position = cursor
                            return .unpairedSurrogate
                        }
                        cursor += 12
                    } else {
                        cursor += 6
                    }
                default:
                    position = cursor
                    return .invalidEscape
                }
            } else if byte < 0x20 {
                position = cursor
                return .controlCharacter
            } else if byte < 0x80 {
                cursor += 1
            } else {
                let length = utf8SequenceLength(input, inputCount, cursor)
                if length == 0 {
                    position = cursor
                    return .invalidUTF8
                }
                cursor += length
            }
        }
    }

    /// The length (2...4) of the well-formed UTF-8 sequence starting with the non-ASCII byte
    /// at `lead`, or 0 when it is ill formed or truncated (Unicode 15, table 3-7).
    @inline(__always)
    private static func utf8SequenceLength(_ input: UnsafePointer<UInt8>, _ inputCount: Int, _ lead: Int) -> Int {
        let leadByte = input[lead]
        @inline(__always) func isContinuation(_ index: Int, _ lowest: UInt8 = 0x80, _ highest: UInt8 = 0xBF) -> Bool {
            index < inputCount && input[index] >= lowest && input[index] <= highest
        }
        switch leadByte {
        case 0xC2...0xDF:
            return isContinuation(lead + 1) ? 2 : 0
        case 0xE0:
            return isContinuation(lead + 1, 0xA0) && isContinuation(lead + 2) ? 3 : 0
        case 0xE1...0xEC, 0xEE...0xEF:
            return isContinuation(lead + 1) && isContinuation(lead + 2) ? 3 : 0
        case 0xED:
            return isContinuation(lead + 1, 0x80, 0x9F) && isContinuation(lead + 2) ? 3 : 0
        case 0xF0:
            return isContinuation(lead + 1, 0x90) && isContinuation(lead + 2) && isContinuation(lead + 3) ? 4 : 0
        case 0xF1...0xF3:
            return isContinuation(lead + 1) && isContinuation(lead + 2) && isContinuation(lead + 3) ? 4 : 0
        case 0xF4:
            return isContinuation(lead + 1, 0x80, 0x8F) && isContinuation(lead + 2) && isContinuation(lead + 3) ? 4 : 0
        default:
            return 0
        }
    }

    @inline(__always)
    private static func hexValue(_ byte: UInt8) -> UInt32? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return UInt32(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return UInt32(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return UInt32(byte - UInt8(ascii: "A") + 10)
        default: return nil
        }
    }

    private static let truncated: Int32 = -2

    /// The value of the four hex digits at `start`, `-1` when one of them is not a hex digit,
    /// or `truncated` (-2) when the input ends first.
    @inline(__always)
    static func hex4(_ input: UnsafePointer<UInt8>, _ inputCount: Int, _ start: Int) -> Int32 {
        var value: Int32 = 0
        for m in start..<(start + 4) {
            guard m < inputCount else { return truncated }
            guard let digit = hexValue(input[m]) else { return -1 }
            value = value << 4 | Int32(digit)
        }
        return value
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`
    @inline(__always)
    static func scanNumber(_ input: UnsafePointer<UInt8>, _ inputCount: Int, _ position: inout Int) -> Reason? {
        var cursor = position
        @inline(__always) func isDigit(_ index: Int) -> Bool {
            index < inputCount && input[index] &- UInt8(ascii: "0") < 10
        }
        if input[cursor] == UInt8(ascii: "-") { cursor += 1 }
        guard cursor < inputCount else {
            position = cursor
            return .unexpectedEnd
        }
        if input[cursor] == UInt8(ascii: "0") {
            cursor += 1
            if isDigit(cursor) {
                position = cursor
                return .invalidNumber
            }  // leading zero
        } else if isDigit(cursor) {
            cursor += 1
            while isDigit(cursor) { cursor += 1 }
        } else {
            position = cursor
            return .invalidNumber
        }
        if cursor < inputCount && input[cursor] == UInt8(ascii: ".") {
            cursor += 1
            guard cursor < inputCount else {
                position = cursor
                return .unexpectedEnd
            }
            guard isDigit(cursor) else {
                position = cursor
                return .invalidNumber
            }
            while isDigit(cursor) { cursor += 1 }
        }
        if cursor < inputCount && (input[cursor] | 0x20) == UInt8(ascii: "e") {
            cursor += 1
            if cursor < inputCount && (input[cursor] == UInt8(ascii: "+") || input[cursor] == UInt8(ascii: "-")) {
                cursor += 1
            }
            guard cursor < inputCount else {
                position = cursor
                return .unexpectedEnd
            }
            guard isDigit(cursor) else {
                position = cursor
                return .invalidNumber
            }
            while isDigit(cursor) { cursor += 1 }
        }
        position = cursor
        return nil
    }

    @inline(__always)
    static func scanLiteral(
        _ input: UnsafePointer<UInt8>, _ inputCount: Int, _ position: inout Int,
        _ literal: StaticString
    ) -> Reason? {
        let length = literal.utf8CodeUnitCount
        let expected = literal.utf8Start
        for k in 0..<length {
            guard position + k < inputCount else {
                position += k
                return .unexpectedEnd
            }
            guard input[position + k] == expected[k] else {
                position += k
                return .invalidLiteral
            }
        }
        position += length
        return nil
    }
}
