/// The one-line manifest edit of a rollback (SPEC 7): changes only the `targetRevision` value
/// of the source being rolled back and keeps every other byte (comments, key order, quoting,
/// indentation, CRLF line ends). Pure text processing over an indentation-aware scan of
/// block-style YAML; anything it cannot edit with certainty is refused with a typed error.
public enum ManifestEditor {
    public enum EditError: Error, Sendable, Equatable, CustomStringConvertible {
        /// No `targetRevision` under `spec.source` or a matching `spec.sources` entry.
        case notFound
        /// More than one place could be the value to change.
        case ambiguous(count: Int)
        /// The value is produced by templating (`{{ ... }}`, `${...}`, ...).
        case templated(String)
        /// The value is not a plain or quoted scalar on the key's line (block scalar, flow, alias...).
        case unsupportedValue(String)
        /// The value found is not the revision the caller expects to replace.
        case unexpectedCurrentValue(found: String, expected: String)
        /// The new revision contains characters a revision never has.
        case invalidNewValue(String)

        public var description: String {
            switch self {
            case .notFound: "no targetRevision found under spec.source or a matching spec.sources entry"
            case .ambiguous(let n): "targetRevision found \(n) times; expected exactly once"
            case .templated(let v): "targetRevision is templated (\(v)); refusing to edit generated values"
            case .unsupportedValue(let v): "targetRevision value \(v) is not a plain or quoted scalar"
            case .unexpectedCurrentValue(let f, let e): "targetRevision is \(f), expected \(e)"
            case .invalidNewValue(let v): "invalid new revision \(v)"
            }
        }
    }

    /// Where the value was found, for messages and tests.
    public struct Edit: Sendable, Equatable {
        public var text: String
        public var previousValue: String
        /// 1-based line number of the changed line.
        public var line: Int
    }

    /// Replaces the `targetRevision` of `spec.source`, or of the `spec.sources` entry whose
    /// `repoURL` matches `repoURL` (compared without a trailing `/` or `.git`, case-insensitive).
    /// When `expectedCurrent` is given, the value found must equal it.
    public static func setTargetRevision(
        in text: String, to newValue: String, repoURL: String? = nil,
        expectedCurrent: String? = nil
    ) throws(EditError) -> Edit {
        guard !newValue.isEmpty, newValue.utf8.allSatisfy({ isRevisionByte($0) }) else {
            throw .invalidNewValue(newValue)
        }
        let bytes = Array(text.utf8)
        var hits: [Scalar] = []
        var stack: [Frame] = []
        var items: [Int: (repoURL: String?, revisions: [Scalar])] = [:]
        var itemOrder: [Int] = []
        var nextItem = 0
        var lineNo = 0
        var start = 0
        while start < bytes.count {
            var end = start
            while end < bytes.count && bytes[end] != UInt8(ascii: "\n") { end += 1 }
            lineNo += 1
            var contentEnd = end
            if contentEnd > start && bytes[contentEnd - 1] == UInt8(ascii: "\r") { contentEnd -= 1 }
            defer { start = end + 1 }
            var c = start
            while c < contentEnd && bytes[c] == UInt8(ascii: " ") { c += 1 }
            if c == contentEnd || bytes[c] == UInt8(ascii: "#") { continue }
            if c == start && contentEnd - c >= 3 && bytes[c] == UInt8(ascii: "-") && bytes[c + 1] == UInt8(ascii: "-")
                && bytes[c + 2] == UInt8(ascii: "-")
            {
                stack.removeAll()
                continue  // a new document
            }
            var keyCol = c - start
            var keyStart = c
            if bytes[c] == UInt8(ascii: "-") && (c + 1 == contentEnd || bytes[c + 1] == UInt8(ascii: " ")) {
                let dashCol = c - start
                while let top = stack.last, top.column > dashCol || (top.column == dashCol && top.item != nil) {
                    stack.removeLast()
                }
                let parentPath = stack.compactMap(\.key)
                stack.append(Frame(column: dashCol, key: nil, item: nextItem))
                if parentPath == ["spec", "sources"] {
                    items[nextItem] = (nil, [])
                    itemOrder.append(nextItem)
                }
                nextItem += 1
                keyStart = c + 1
                while keyStart < contentEnd && bytes[keyStart] == UInt8(ascii: " ") { keyStart += 1 }
                if keyStart == contentEnd { continue }
                keyCol = keyStart - start
            } else {
                while let top = stack.last, top.column >= keyCol { stack.removeLast() }
            }
            guard let (key, afterColon) = parseKey(bytes, keyStart, contentEnd) else { continue }
            let path = stack.compactMap(\.key)
            let itemID = stack.last(where: { $0.item != nil })?.item
            stack.append(Frame(column: keyCol, key: key, item: nil))
            let isSourceTR = path == ["spec", "source"] && key == "targetRevision"
            let inSourcesItem = path == ["spec", "sources"] && itemID != nil && items[itemID!] != nil
            if isSourceTR || (inSourcesItem && (key == "targetRevision" || key == "repoURL")) {
                let scalar = try parseValue(bytes, afterColon, contentEnd, line: lineNo)
                if isSourceTR {
                    hits.append(scalar)
                } else if key == "repoURL" {
                    items[itemID!]!.repoURL = scalar.value
                } else {
                    items[itemID!]!.revisions.append(scalar)
                }
            }
        }
        for id in itemOrder {
            let item = items[id]!
            if let want = repoURL {
                guard let have = item.repoURL, normalize(have) == normalize(want) else { continue }
            }
            hits.append(contentsOf: item.revisions)
        }
        guard !hits.isEmpty else { throw .notFound }
        guard hits.count == 1 else { throw .ambiguous(count: hits.count) }
        let hit = hits[0]
        if hit.value.contains("{{") || hit.value.contains("${") || hit.value.contains("<%") || hit.value.contains("$(")
        {
            throw .templated(hit.value)
        }
        if let e = expectedCurrent, e != hit.value { throw .unexpectedCurrentValue(found: hit.value, expected: e) }
        var out = bytes
        out.replaceSubrange(hit.range, with: Array(newValue.utf8))
        return Edit(text: String(decoding: out, as: UTF8.self), previousValue: hit.value, line: hit.line)
    }

    private struct Frame {
        var column: Int
        var key: String?
        var item: Int?
    }
    private struct Scalar {
        var value: String
        var range: Range<Int>
        var line: Int
    }

    private static func isRevisionByte(_ b: UInt8) -> Bool {
        (b >= 48 && b <= 57) || (b >= 65 && b <= 90) || (b >= 97 && b <= 122)
            || b == UInt8(ascii: ".") || b == UInt8(ascii: "_") || b == UInt8(ascii: "-") || b == UInt8(ascii: "/")
    }

    private static func normalize(_ url: String) -> String {
        var s = url.lowercased()
        while s.hasSuffix("/") { s.removeLast() }
        if s.hasSuffix(".git") { s.removeLast(4) }
        return s
    }

    /// `key:` (plain or quoted key) followed by a space or the end of the line.
    private static func parseKey(_ b: [UInt8], _ s: Int, _ e: Int) -> (String, Int)? {
        var i = s
        var key: String
        if b[i] == UInt8(ascii: "\"") || b[i] == UInt8(ascii: "'") {
            let q = b[i]
            i += 1
            let ks = i
            while i < e && b[i] != q { i += 1 }
            guard i < e else { return nil }
            key = String(decoding: b[ks..<i], as: UTF8.self)
            i += 1
            guard i < e, b[i] == UInt8(ascii: ":") else { return nil }
        } else {
            while i < e && !(b[i] == UInt8(ascii: ":") && (i + 1 == e || b[i + 1] == UInt8(ascii: " "))) { i += 1 }
            guard i < e else { return nil }
            key = String(decoding: b[s..<i], as: UTF8.self)
            while key.hasSuffix(" ") { key.removeLast() }
        }
        return (key, i + 1)
    }

    private static func parseValue(_ b: [UInt8], _ s: Int, _ e: Int, line: Int) throws(EditError) -> Scalar {
        var i = s
        while i < e && b[i] == UInt8(ascii: " ") { i += 1 }
        guard i < e, b[i] != UInt8(ascii: "#") else { throw .unsupportedValue("(empty)") }
        let first = b[i]
        if first == UInt8(ascii: "\"") || first == UInt8(ascii: "'") {
            let vs = i + 1
            var j = vs
            while j < e && b[j] != first { j += 1 }
            guard j < e else { throw .unsupportedValue(String(decoding: b[i..<e], as: UTF8.self)) }
            return Scalar(value: String(decoding: b[vs..<j], as: UTF8.self), range: vs..<j, line: line)
        }
        if [
            UInt8(ascii: "|"), UInt8(ascii: ">"), UInt8(ascii: "{"), UInt8(ascii: "["), UInt8(ascii: "*"),
            UInt8(ascii: "&"), UInt8(ascii: "!"),
        ].contains(first) && !(first == UInt8(ascii: "{") && i + 1 < e && b[i + 1] == UInt8(ascii: "{")) {
            throw .unsupportedValue(String(decoding: b[i..<e], as: UTF8.self))
        }
        var j = i
        while j < e && !(b[j] == UInt8(ascii: "#") && b[j - 1] == UInt8(ascii: " ")) { j += 1 }
        while j > i && (b[j - 1] == UInt8(ascii: " ") || b[j - 1] == UInt8(ascii: "\t")) { j -= 1 }
        return Scalar(value: String(decoding: b[i..<j], as: UTF8.self), range: i..<j, line: line)
    }
}
