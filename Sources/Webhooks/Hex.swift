// Hexadecimal digits: rendering MACs, and reading the digest of a signature header.

/// Lowercase hexadecimal rendering of `bytes`.
public func lowercaseHex(_ bytes: [UInt8]) -> String {
    let digits: [UInt8] = Array("0123456789abcdef".utf8)
    var out = [UInt8](repeating: 0, count: bytes.count * 2)
    var outIndex = 0
    for byte in bytes {
        out[outIndex] = digits[Int(byte >> 4)]
        out[outIndex + 1] = digits[Int(byte & 0x0F)]
        outIndex += 2
    }
    return String(decoding: out, as: UTF8.self)
}

/// The value of one hexadecimal digit of either case, `nil` for any other byte.
@inline(__always)
func hexValue(_ digit: UInt8) -> UInt8? {
    switch digit {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
    default: nil
    }
}
