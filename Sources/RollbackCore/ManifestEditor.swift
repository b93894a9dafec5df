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
            case .ambiguous(let count): "targetRevision found \(count) times; expected exactly once"
            case .templated(let value): "targetRevision is templated (\(value)); refusing to edit generated values"
            case .unsupportedValue(let value): "targetRevision value \(value) is not a plain or quoted scalar"
            case .unexpectedCurrentValue(let found, let expected): "targetRevision is \(found), expected \(expected)"
            case .invalidNewValue(let value): "invalid new revision \(value)"
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
        var lineNumber = 0
        var start = 0
        while start < bytes.count {
            var end = start
            while end < bytes.count && bytes[end] != UInt8(ascii: "\n") { end += 1 }
            lineNumber += 1
            var contentEnd = end
            if contentEnd > start && bytes[contentEnd - 1] == UInt8(ascii: "\r") { contentEnd -= 1 }
            defer { start = end + 1 }
            var contentStart = start
            while contentStart < contentEnd && bytes[contentStart] == UInt8(ascii: " ") { contentStart += 1 }
            if contentStart == contentEnd || bytes[contentStart] == UInt8(ascii: "#") { continue }
            if contentStart == start && contentEnd - contentStart >= 3 && bytes[contentStart] == UInt8(ascii: "-")
                && bytes[contentStart + 1] == UInt8(ascii: "-")
                && bytes[contentStart + 2] == UInt8(ascii: "-")
            {
                stack.removeAll()
                continue  // a new document
            }
            var keyCol = contentStart - start
            var keyStart = contentStart
            if bytes[contentStart] == UInt8(ascii: "-")
                && (contentStart + 1 == contentEnd || bytes[contentStart + 1] == UInt8(ascii: " "))
            {
                let dashCol = contentStart - start
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
                keyStart = contentStart + 1
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
                let scalar = try parseValue(bytes, afterColon, contentEnd, line: lineNumber)
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
        if let expected = expectedCurrent, expected != hit.value {
            throw .unexpectedCurrentValue(found: hit.value, expected: expected)
        }
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

    private static func isRevisionByte(_ byte: UInt8) -> Bool {
        (byte >= 48 && byte <= 57) || (byte >= 65 && byte <= 90) || (byte >= 97 && byte <= 122)
            || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
            || byte == UInt8(ascii: "/")
    }

    private static func normalize(_ url: String) -> String {
        var normalized = url.lowercased()
        while normalized.hasSuffix("/") { normalized.removeLast() }
        if normalized.hasSuffix(".git") { normalized.removeLast(4) }
        return normalized
    }

    /// `key:` (plain or quoted key) followed by a space or the end of the line.
    private static func parseKey(_ bytes: [UInt8], _ start: Int, _ end: Int) -> (String, Int)? {
        var cursor = start
        var key: String
        if bytes[cursor] == UInt8(ascii: "\"") || bytes[cursor] == UInt8(ascii: "'") {
            let quote = bytes[cursor]
            cursor += 1
            let keyStart = cursor
            while cursor < end && bytes[cursor] != quote { cursor += 1 }
            guard cursor < end else { return nil }
            key = String(decoding: bytes[keyStart..<cursor], as: UTF8.self)
            cursor += 1
            guard cursor < end, bytes[cursor] == UInt8(ascii: ":") else { return nil }
        } else {
            while cursor < end
                && !(bytes[cursor] == UInt8(ascii: ":")
                    && (cursor + 1 == end || bytes[cursor + 1] == UInt8(ascii: " ")))
            { cursor += 1 }
            guard cursor < end else { return nil }
            key = String(decoding: bytes[start..<cursor], as: UTF8.self)
            while key.hasSuffix(" ") { key.removeLast() }
        }
        return (key, cursor + 1)
    }

    private static func parseValue(_ bytes: [UInt8], _ start: Int, _ end: Int, line: Int) throws(EditError) -> Scalar {
        var valueStart = start
        while valueStart < end && bytes[valueStart] == UInt8(ascii: " ") { valueStart += 1 }
        guard valueStart < end, bytes[valueStart] != UInt8(ascii: "#") else { throw .unsupportedValue("(empty)") }
        let first = bytes[valueStart]
        if first == UInt8(ascii: "\"") || first == UInt8(ascii: "'") {
            let quotedStart = valueStart + 1
            var valueEnd = quotedStart
            while valueEnd < end && bytes[valueEnd] != first { valueEnd += 1 }
            guard valueEnd < end else {
                throw .unsupportedValue(String(decoding: bytes[valueStart..<end], as: UTF8.self))
            }
            return Scalar(
                value: String(decoding: bytes[quotedStart..<valueEnd], as: UTF8.self), range: quotedStart..<valueEnd,
                line: line)
        }
        if [
            UInt8(ascii: "|"), UInt8(ascii: ">"), UInt8(ascii: "{"), UInt8(ascii: "["), UInt8(ascii: "*"),
            UInt8(ascii: "&"), UInt8(ascii: "!"),
        ].contains(first)
            && !(first == UInt8(ascii: "{") && valueStart + 1 < end && bytes[valueStart + 1] == UInt8(ascii: "{"))
        {
            throw .unsupportedValue(String(decoding: bytes[valueStart..<end], as: UTF8.self))
        }
        var valueEnd = valueStart
        while valueEnd < end && !(bytes[valueEnd] == UInt8(ascii: "#") && bytes[valueEnd - 1] == UInt8(ascii: " ")) {
            valueEnd += 1
        }
        while valueEnd > valueStart
            && (bytes[valueEnd - 1] == UInt8(ascii: " ") || bytes[valueEnd - 1] == UInt8(ascii: "\t"))
        { valueEnd -= 1 }
        return Scalar(
            value: String(decoding: bytes[valueStart..<valueEnd], as: UTF8.self), range: valueStart..<valueEnd,
            line: line)
    }
}
