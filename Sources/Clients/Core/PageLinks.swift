// Reads the `Link` header of a paginated answer and decides whether its `next` page may be
// followed: only on the API's own origin, so a credential never travels to another host.
import Foundation

/// The pagination links of an answer (RFC 8288: `<url>; rel="next", <url>; rel="last"`).
enum PageLinks {
    /// The URL of the link whose `rel` names `relation` (e.g. `next`), if there is one.
    static func url(in header: String?, relation: String) -> String? {
        guard let header else { return nil }
        var rest = Substring(header)
        while let open = rest.firstIndex(of: "<") {
            guard let close = rest[open...].firstIndex(of: ">") else { return nil }
            let target = String(rest[rest.index(after: open)..<close])
            let afterTarget = rest[rest.index(after: close)...]
            let parameters = afterTarget.prefix { $0 != "<" }
            if relations(of: parameters).contains(relation.lowercased()) { return target }
            rest = afterTarget.dropFirst(parameters.count)
        }
        return nil
    }

    /// The values of `rel` among `; rel="next prev"; title=...` (quoted or not, space-separated).
    private static func relations(of parameters: Substring) -> [String] {
        for parameter in parameters.split(separator: ";") {
            let pair = parameter.split(separator: "=", maxSplits: 1)
            guard pair.count == 2, pair[0].trimmingCharacters(in: .whitespaces).lowercased() == "rel" else { continue }
            let value = pair[1].trimmingCharacters(
                in: CharacterSet.whitespaces.union(CharacterSet(charactersIn: "\",")))
            return value.lowercased().split(separator: " ").map(String.init)
        }
        return []
    }

    /// True when `link` is on the same scheme, host and port as `base`, under its path, and
    /// carries no user information: the only pages a client sends its credentials to.
    static func isFollowable(_ link: String, base: String) -> Bool {
        guard let target = URLComponents(string: link), let origin = URLComponents(string: base),
            let targetScheme = target.scheme?.lowercased(), targetScheme == origin.scheme?.lowercased(),
            let targetHost = target.host?.lowercased(), !targetHost.isEmpty, targetHost == origin.host?.lowercased(),
            target.user == nil, target.password == nil,
            effectivePort(target) == effectivePort(origin)
        else { return false }
        let basePath = origin.path.hasSuffix("/") ? String(origin.path.dropLast()) : origin.path
        return basePath.isEmpty || target.path == basePath || target.path.hasPrefix(basePath + "/")
    }

    private static func effectivePort(_ components: URLComponents) -> Int? {
        if let port = components.port { return port }
        switch components.scheme?.lowercased() {
        case "https": return 443
        case "http": return 80
        default: return nil
        }
    }
}
