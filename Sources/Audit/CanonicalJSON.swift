/// The one JSON form of an audit entry: object keys sorted by their UTF-8 bytes, no
/// whitespace, strings escaped minimally (`"`, `\` and control characters only; everything
/// else raw UTF-8, `/` unescaped). Defined here rather than by `JSONEncoder`, so a hash
/// written today still verifies after a toolchain upgrade.
enum CanonicalJSON {
    /// A string map as an object with its keys in byte order.
    static func writeMap(_ map: [String: String], into out: inout [UInt8]) {
        out.append(0x7B)
        for (index, key) in map.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }).enumerated() {
            if index > 0 { out.append(0x2C) }
            writeString(key, into: &out)
            out.append(0x3A)
            writeString(map[key]!, into: &out)
        }
        out.append(0x7D)
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    static func writeString(_ string: String, into out: inout [UInt8]) {
        out.append(0x22)
        for byte in string.utf8 {
            switch byte {
            case 0x22:
                out.append(0x5C)
                out.append(0x22)
            case 0x5C:
                out.append(0x5C)
                out.append(0x5C)
            case 0x0A:
                out.append(0x5C)
                out.append(0x6E)
            case 0x0D:
                out.append(0x5C)
                out.append(0x72)
            case 0x09:
                out.append(0x5C)
                out.append(0x74)
            case 0x08:
                out.append(0x5C)
                out.append(0x62)
            case 0x0C:
                out.append(0x5C)
                out.append(0x66)
            case 0..<0x20:
                out.append(contentsOf: [0x5C, 0x75, 0x30, 0x30, hexDigits[Int(byte >> 4)], hexDigits[Int(byte & 0x0F)]])
            default: out.append(byte)
            }
        }
        out.append(0x22)
    }
}
