/// An immutable value kept on the heap: a struct holding a large, rarely changed member
/// through it stays small, and its copies share the member. Writing means storing a new box.
/// Encodes, decodes and compares as the value itself.
final class OutOfLine<Value: Sendable>: Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

extension OutOfLine: Equatable where Value: Equatable {
    static func == (a: OutOfLine, b: OutOfLine) -> Bool { a === b || a.value == b.value }
}

extension OutOfLine: Encodable where Value: Encodable {
    func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(value)
    }
}

extension OutOfLine: Decodable where Value: Decodable {
    convenience init(from decoder: any Decoder) throws {
        self.init(try decoder.singleValueContainer().decode(Value.self))
    }
}
