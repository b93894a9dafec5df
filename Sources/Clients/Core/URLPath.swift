// Builds outbound URL paths and queries from literals and validated, percent-encoded values.
import Foundation

/// The path and query of one outbound request, built only from literals and validated values:
/// the one place where a value from Argo CD, an annotation or GitHub enters a URL (SPEC 19).
/// Each value is checked against its `URLValueKind` and percent-encoded per segment, so `..`,
/// a slash or a space in a value cannot change which resource a request names. The first value
/// refused is kept; `resolved(call:)` then throws `VALIDATION_ERROR` and nothing is sent.
struct URLPath: Sendable {
    private var path: String
    private var queryItems: [(String, String?)] = []
    /// The first value refused, if any.
    private(set) var refusal: URLValueError?

    /// A path starting with fixed text, e.g. `/repos`.
    init(_ literal: StaticString) {
        path = "\(literal)"
    }

    /// Fixed text written by the client, never a value: `/commits`.
    func literal(_ text: StaticString) -> URLPath {
        adding { "\(text)" }
    }

    /// `/` and the value as one segment: a `/` inside it is encoded as `%2F`.
    func segment(_ value: String, as kind: URLValueKind) -> URLPath {
        adding { () throws(URLValueError) in "/" + Self.encodeSegment(try kind.validate(value)) }
    }

    /// `/` and the value with its `/` kept as path separators, each part encoded (file paths,
    /// and branch names where GitHub's route takes the rest of the path).
    func segments(_ value: String, as kind: URLValueKind) -> URLPath {
        adding { () throws(URLValueError) in
            let valid = try kind.validate(value)
            return "/"
                + valid.split(separator: "/", omittingEmptySubsequences: false).map(Self.encodeSegment)
                .joined(separator: "/")
        }
    }

    /// `/` and an issue or pull request number.
    func number(_ value: Int) -> URLPath {
        adding { "/\(value)" }
    }

    /// `/{owner}/{name}` of a GitHub `owner/name`.
    func repository(_ fullName: String) -> URLPath {
        let parts = fullName.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else {
            return refused(URLValueError(kind: .owner, problem: "repository must be owner/name", value: fullName))
        }
        return segment(String(parts[0]), as: .owner).segment(String(parts[1]), as: .repositoryName)
    }

    /// GitHub's compare segment `/{base}...{head}`: each a ref, encoded whole (a ref cannot hold
    /// `..`, so the separator stays unambiguous).
    func range(base: String, head: String) -> URLPath {
        adding { () throws(URLValueError) in
            let baseRef = try URLValueKind.gitRef.validate(base)
            let headRef = try URLValueKind.gitRef.validate(head)
            return "/" + Self.encodeSegment(baseRef) + "..." + Self.encodeSegment(headRef)
        }
    }

    /// A query parameter (left out when nil), checked as `kind`.
    func query(_ name: StaticString, _ value: String?, as kind: URLValueKind = .text) -> URLPath {
        guard let value else { return self }
        return addingQuery("\(name)") { () throws(URLValueError) in try kind.validate(value) }
    }

    /// GitHub's pull request filter `head=owner:branch`, each part checked.
    func headFilter(owner: String, branch: String) -> URLPath {
        addingQuery("head") { () throws(URLValueError) in
            try URLValueKind.owner.validate(owner) + ":" + URLValueKind.branch.validate(branch)
        }
    }

    /// The encoded path and query, or the refusal as the call's `VALIDATION_ERROR`.
    func resolved(call: String) throws -> String {
        if let refusal { throw APIError(code: .validationError, call: call, message: refusal.message) }
        return path + Self.encodeQuery(queryItems)
    }

    private func adding(_ part: () throws(URLValueError) -> String) -> URLPath {
        guard refusal == nil else { return self }
        do throws(URLValueError) {
            var next = self
            next.path += try part()
            return next
        } catch {
            return refused(error)
        }
    }

    private func addingQuery(_ name: String, _ value: () throws(URLValueError) -> String) -> URLPath {
        guard refusal == nil else { return self }
        do throws(URLValueError) {
            var next = self
            next.queryItems.append((name, try value()))
            return next
        } catch {
            return refused(error)
        }
    }

    private func refused(_ error: URLValueError) -> URLPath {
        var next = self
        if next.refusal == nil { next.refusal = error }
        return next
    }

    /// RFC 3986 unreserved characters stay; every other byte of the UTF-8 form is `%XX`.
    static func encodeSegment<Text: StringProtocol>(_ text: Text) -> String {
        var encoded = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                encoded.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                encoded += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return encoded
    }

    /// `?name=value&...`; values keep the characters a query allows except `&=+?#`.
    static func encodeQuery(_ items: [(String, String?)]) -> String {
        var allowed = CharacterSet.urlQueryAllowed
        allowed.remove(charactersIn: "&=+?#")
        let parts = items.compactMap { name, value in
            value.map { "\(name)=\($0.addingPercentEncoding(withAllowedCharacters: allowed) ?? $0)" }
        }
        return parts.isEmpty ? "" : "?" + parts.joined(separator: "&")
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
