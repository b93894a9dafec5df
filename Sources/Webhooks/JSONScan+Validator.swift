// The validator: one pass over the bytes with a state per position and a bit per open
// container, failing at the first byte the grammar does not allow. Tokens are read by the
// scanners of JSONScan+Tokens.swift; the requested member is decoded by JSONScan+Decoding.swift.
extension JSONScan {
    private enum State {
        case value  // a value is required (top level, after ':' or after ',' in an array)
        case valueOrClose  // just after '['
        case keyOrClose  // just after '{'
        case key  // after ',' in an object
        case colon  // after a key
        case commaOrClose  // after a value inside a container
    }

    @inline(__always)
    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
    }

    static func scan(
        _ input: UnsafePointer<UInt8>, _ inputCount: Int, wanted: UnsafeBufferPointer<UInt8>?,
        stack: UnsafeMutableBufferPointer<UInt64>, maxDepth: Int
    ) -> Result {
        var position = 0
        var depth = 0
        var state = State.value
        var topLevelIsObject = false
        var capture = false  // the next value belongs to the requested member
        var memberValue: String? = nil

        func fail(_ reason: Reason, _ offset: Int) -> Result {
            Result(failure: Failure(reason: reason, offset: offset), topLevelIsObject: false, member: nil)
        }
        @inline(__always) func topIsObject() -> Bool {
            let level = depth - 1
            return stack[level >> 6] & (1 << UInt64(level & 63)) != 0
        }
        @inline(__always) func push(_ object: Bool) {
            let level = depth
            let bit: UInt64 = 1 << UInt64(level & 63)
            if object { stack[level >> 6] |= bit } else { stack[level >> 6] &= ~bit }
            depth += 1
        }

        while true {
            while position < inputCount && isWhitespace(input[position]) { position += 1 }
            if position >= inputCount {
                return fail(depth == 0 && state == .value ? .empty : .unexpectedEnd, position)
            }
            let byte = input[position]
            switch state {
            case .commaOrClose:
                if byte == UInt8(ascii: ",") {
                    position += 1
                    state = topIsObject() ? .key : .value
                    continue
                }
                let object = topIsObject()
                if (byte == UInt8(ascii: "}") && object) || (byte == UInt8(ascii: "]") && !object) {
                    position += 1
                    depth -= 1
                    if depth == 0 { break } else { continue }
                }
                return fail(.unexpectedByte, position)

            case .colon:
                guard byte == UInt8(ascii: ":") else { return fail(.expectedColon, position) }
                position += 1
                state = .value
                continue

            case .key, .keyOrClose:
                if byte == quote {
                    let start = position + 1
                    var hasEscape = false
                    if let reason = scanString(input, inputCount, &position, &hasEscape) {
                        return fail(reason, position)
                    }
                    if depth == 1, let wanted {
                        capture = keyEquals(input + start, position - 1 - start, hasEscape, wanted)
                        if capture { memberValue = nil }
                    }
                    state = .colon
                    continue
                }
                if byte == UInt8(ascii: "}") {
                    if state == .key { return fail(.trailingComma, position) }
                    position += 1
                    depth -= 1
                    if depth == 0 { break }
                    state = .commaOrClose
                    continue
                }
                return fail(.expectedKey, position)

            case .value, .valueOrClose:
                switch byte {
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    if depth == 0 { topLevelIsObject = byte == UInt8(ascii: "{") }
                    if depth >= maxDepth { return fail(.tooDeep, position) }
                    push(byte == UInt8(ascii: "{"))
                    capture = false
                    position += 1
                    state = byte == UInt8(ascii: "{") ? .keyOrClose : .valueOrClose
                    continue
                case UInt8(ascii: "]"):
                    if state == .valueOrClose {
                        position += 1
                        depth -= 1
                        if depth == 0 { break }
                        state = .commaOrClose
                        continue
                    }
                    return fail(depth > 0 && !topIsObject() ? .trailingComma : .unexpectedByte, position)
                case quote:
                    let start = position + 1
                    var hasEscape = false
                    if let reason = scanString(input, inputCount, &position, &hasEscape) {
                        return fail(reason, position)
                    }
                    if capture {
                        memberValue = decodeString(input + start, position - 1 - start, hasEscape)
                        capture = false
                    }
                case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                    if let reason = scanNumber(input, inputCount, &position) { return fail(reason, position) }
                    capture = false
                case UInt8(ascii: "t"):
                    if let reason = scanLiteral(input, inputCount, &position, "true") { return fail(reason, position) }
                    capture = false
                case UInt8(ascii: "f"):
                    if let reason = scanLiteral(input, inputCount, &position, "false") { return fail(reason, position) }
                    capture = false
                case UInt8(ascii: "n"):
                    if let reason = scanLiteral(input, inputCount, &position, "null") { return fail(reason, position) }
                    capture = false
                default:
                    return fail(.unexpectedByte, position)
                }
                if depth == 0 { break }
                state = .commaOrClose
                continue
            }
            // Only reached when the top-level value is complete.
            while position < inputCount && isWhitespace(input[position]) { position += 1 }
            if position < inputCount { return fail(.trailingData, position) }
            return Result(
                failure: nil, topLevelIsObject: topLevelIsObject,
                member: topLevelIsObject ? memberValue : nil)
        }
    }
}
