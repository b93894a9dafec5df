/// The one JSON form of an audit entry: object keys sorted by their UTF-8 bytes, no
/// whitespace, strings escaped minimally (`"`, `\` and control characters only; everything
/// else raw UTF-8, `/` unescaped). Defined here rather than by `JSONEncoder`, so a hash
/// written today still verifies after a toolchain upgrade.
enum CanonicalJSON {
    indirect enum Value {
        case string(String)
        case int(Int)
        case null
        case object([(String, Value)])

        static func map(_ m: [String: String]) -> Value { .object(m.map { ($0.key, .string($0.value)) }) }
    }

    static func encode(_ value: Value) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(512)
        write(value, into: &out)
        return out
    }

    static func write(_ value: Value, into out: inout [UInt8]) {
        switch value {
        case .string(let s): writeString(s, into: &out)
        case .int(let i): out.append(contentsOf: String(i).utf8)
        case .null: out.append(contentsOf: "null".utf8)
        case .object(let fields):
            out.append(0x7B)
            let sorted = fields.sorted { $0.0.utf8.lexicographicallyPrecedes($1.0.utf8) }
            for (i, (k, v)) in sorted.enumerated() {
                if i > 0 { out.append(0x2C) }
                writeString(k, into: &out)
                out.append(0x3A)
                write(v, into: &out)
            }
            out.append(0x7D)
        }
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    static func writeString(_ s: String, into out: inout [UInt8]) {
        out.append(0x22)
        for b in s.utf8 {
            switch b {
            case 0x22: out.append(0x5C); out.append(0x22)
            case 0x5C: out.append(0x5C); out.append(0x5C)
            case 0x0A: out.append(0x5C); out.append(0x6E)
            case 0x0D: out.append(0x5C); out.append(0x72)
            case 0x09: out.append(0x5C); out.append(0x74)
            case 0x08: out.append(0x5C); out.append(0x62)
            case 0x0C: out.append(0x5C); out.append(0x66)
            case 0..<0x20:
                out.append(contentsOf: [0x5C, 0x75, 0x30, 0x30, hexDigits[Int(b >> 4)], hexDigits[Int(b & 0x0F)]])
            default: out.append(b)
            }
        }
        out.append(0x22)
    }
}
