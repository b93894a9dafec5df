import Foundation

/// What an Argo CD `Application` manifest says it is: its `kind`, `metadata.name`,
/// `metadata.namespace` and the `repoURL` of each source, read from block-style YAML by
/// indentation (the same subset `ManifestEditor` edits). Read before every edit so that the
/// write policy can refuse a manifest that belongs to another app (SPEC 19).
public struct ManifestIdentity: Sendable, Equatable {
    public var kind: String?
    public var name: String?
    public var namespace: String?
    /// `spec.source.repoURL`, or every `spec.sources[].repoURL`, in order.
    public var sourceRepoURLs: [String]

    public init(kind: String?, name: String?, namespace: String?, sourceRepoURLs: [String]) {
        self.kind = kind
        self.name = name
        self.namespace = namespace
        self.sourceRepoURLs = sourceRepoURLs
    }

    /// Reads the identity of the first YAML document of `text`.
    public static func read(_ text: String) -> ManifestIdentity {
        var identity = ManifestIdentity(kind: nil, name: nil, namespace: nil, sourceRepoURLs: [])
        // The keys leading to the current line, with the indentation each was found at.
        var path: [(key: String, indent: Int)] = []
        var seenContent = false
        // `\r\n` is one Swift `Character`: split on both line endings.
        for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            var line = Substring(rawLine)
            if line.hasSuffix("\r") { line = line.dropLast() }
            let trimmed = line.drop { $0 == " " }
            if trimmed.hasPrefix("---") && line.first == "-" {
                if seenContent { break }
                continue
            }
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            seenContent = true
            // A key's indentation is its column: a list item's first key sits after its `- `, at
            // the column of the item's other keys.
            var content = trimmed
            while content.hasPrefix("- ") { content = content.dropFirst(2).drop { $0 == " " } }
            let indent = line.count - content.count
            // A key ends at the first colon followed by a space or the end of the line (a URL's
            // `https:` is not a key).
            guard
                let colon = content.indices.first(where: { index in
                    content[index] == ":"
                        && (content.index(after: index) == content.endIndex
                            || content[content.index(after: index)] == " ")
                })
            else { continue }
            let key = unquote(content[..<colon].trimmingCharacters(in: .whitespaces))
            var value = String(content[content.index(after: colon)...])
            if let comment = value.range(of: " #") { value = String(value[..<comment.lowerBound]) }
            value = unquote(value.trimmingCharacters(in: .whitespaces))
            while let last = path.last, last.indent >= indent { path.removeLast() }
            let keys = path.map(\.key)
            switch (keys, key) {
            case ([], "kind"): identity.kind = value
            case (["metadata"], "name"): identity.name = value
            case (["metadata"], "namespace"): identity.namespace = value
            case (["spec", "source"], "repoURL"), (["spec", "sources"], "repoURL"):
                identity.sourceRepoURLs.append(value)
            default: break
            }
            if value.isEmpty { path.append((key: key, indent: indent)) }
        }
        return identity
    }

    private static func unquote(_ text: String) -> String {
        guard text.count >= 2, let first = text.first, first == "\"" || first == "'", text.last == first else {
            return text
        }
        return String(text.dropFirst().dropLast())
    }
}
