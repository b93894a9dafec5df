// GitHub's pagination for every list route of the simulator: `per_page` (default 30, at most
// 100), `page` from 1, and a `Link` header naming the other pages, so the clients' page
// following is exercised as against GitHub.
import Foundation
import HTTPServer

extension GitHubSimulator {
    /// The part of a list one request asks for, and the `Link` header that names the others.
    struct PageWindow {
        var range: Range<Int>
        var headers: [(String, String)]
    }

    static let defaultPerPage = 30
    static let maxPerPage = 100

    /// A JSON array, paginated.
    func page(_ items: [Any], _ request: HTTPRequest) -> HTTPResponse {
        let window = pageWindow(count: items.count, request)
        return SimJSON.response(200, Array(items[window.range]), headers: window.headers)
    }

    /// A list wrapped in an object (check runs, a combined status's statuses): the page of
    /// `items` under `key`, the other fields of `wrapper` (its `total_count`: the whole list) as they are.
    func page(_ items: [Any], _ request: HTTPRequest, under key: String, in wrapper: [String: Any]) -> HTTPResponse {
        let window = pageWindow(count: items.count, request)
        var object = wrapper
        object[key] = Array(items[window.range])
        return SimJSON.response(200, object, headers: window.headers)
    }

    /// `prev` and `first` after page 1, `next` and `last` before the last page; none for one page.
    func pageWindow(count: Int, _ request: HTTPRequest) -> PageWindow {
        let perPage = min(Self.maxPerPage, max(1, Int(request.query["per_page"] ?? "") ?? Self.defaultPerPage))
        let pageNumber = max(1, Int(request.query["page"] ?? "") ?? 1)
        let start = min(count, (pageNumber - 1) * perPage)
        let lastPage = max(1, (count + perPage - 1) / perPage)
        func link(_ target: Int, _ relation: String) -> String {
            var query = request.query
            query["page"] = String(target)
            query["per_page"] = String(perPage)
            let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~:"))
            let pairs = query.keys.sorted().map {
                "\($0)=\(query[$0]!.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")"
            }
            return "<\(api)\(request.path)?\(pairs.joined(separator: "&"))>; rel=\"\(relation)\""
        }
        var links: [String] = []
        if pageNumber > 1 {
            links.append(link(min(pageNumber - 1, lastPage), "prev"))
            links.append(link(1, "first"))
        }
        if pageNumber < lastPage {
            links.append(link(pageNumber + 1, "next"))
            links.append(link(lastPage, "last"))
        }
        return PageWindow(
            range: start..<min(count, start + perPage),
            headers: links.isEmpty ? [] : [("Link", links.joined(separator: ", "))])
    }
}
