/// An immutable value kept on the heap: a struct holding a large, rarely changed member
/// through it stays small, and its copies share the member. Writing means storing a new box.
/// Encodes, decodes and compares as the value itself.
final class OutOfLine<Value: Sendable>: Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

extension OutOfLine: Equatable where Value: Equatable {
    static func == (lhs: OutOfLine, rhs: OutOfLine) -> Bool { lhs === rhs || lhs.value == rhs.value }
}

extension OutOfLine: Encodable where Value: Encodable {
    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(value)
    }
}

extension OutOfLine: Decodable where Value: Decodable {
    convenience init(from decoder: any Decoder) throws {
        self.init(try decoder.singleValueContainer().decode(Value.self))
    }
}
