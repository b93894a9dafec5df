// Decoding, only for the requested key and its value (the input is already validated): the
// key compared with the wanted name, the value turned into a String, escapes included.
extension JSONScan {
    /// Whether the string content `[content, content+length)` (validated, escapes not decoded) equals `wanted`.
    static func keyEquals(
        _ content: UnsafePointer<UInt8>, _ length: Int, _ hasEscape: Bool,
        _ wanted: UnsafeBufferPointer<UInt8>
    ) -> Bool {
        if !hasEscape {
            guard length == wanted.count else { return false }
            for k in 0..<length where content[k] != wanted[k] { return false }
            return true
        }
        // A decoded string is never longer than its escaped form.
        guard length >= wanted.count else { return false }
        return decodeBytes(content, length).elementsEqual(wanted)
    }

    static func decodeString(_ content: UnsafePointer<UInt8>, _ length: Int, _ hasEscape: Bool) -> String {
        if !hasEscape { return String(decoding: UnsafeBufferPointer(start: content, count: length), as: UTF8.self) }
        return String(decoding: decodeBytes(content, length), as: UTF8.self)
    }

    /// Decodes the escapes of validated string content into UTF-8 bytes.
    private static func decodeBytes(_ content: UnsafePointer<UInt8>, _ length: Int) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(length)
        var index = 0
        while index < length {
            let byte = content[index]
            guard byte == backslash else {
                out.append(byte)
                index += 1
                continue
            }
            let escaped = content[index + 1]
            index += 2
            switch escaped {
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                // Validated: four hex digits, and a high surrogate is followed by `\u` + low.
                var scalar = UInt32(max(hex4(content, length, index), 0))
                index += 4
                if scalar >= 0xD800 && scalar <= 0xDBFF {
                    let low = UInt32(max(hex4(content, length, index + 2), 0xDC00))
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    index += 6
                }
                appendUTF8(scalar, to: &out)
            default: out.append(escaped)  // '"', '\\', '/'
            }
        }
        return out
    }

    private static func appendUTF8(_ scalar: UInt32, to out: inout [UInt8]) {
        switch scalar {
        case 0..<0x80:
            out.append(UInt8(scalar))
        case 0x80..<0x800:
            out.append(UInt8(0xC0 | (scalar >> 6)))
            out.append(UInt8(0x80 | (scalar & 0x3F)))
        case 0x800..<0x10000:
            out.append(UInt8(0xE0 | (scalar >> 12)))
            out.append(UInt8(0x80 | ((scalar >> 6) & 0x3F)))
            out.append(UInt8(0x80 | (scalar & 0x3F)))
        default:
            out.append(UInt8(0xF0 | (scalar >> 18)))
            out.append(UInt8(0x80 | ((scalar >> 12) & 0x3F)))
            out.append(UInt8(0x80 | ((scalar >> 6) & 0x3F)))
            out.append(UInt8(0x80 | (scalar & 0x3F)))
        }
    }
}
