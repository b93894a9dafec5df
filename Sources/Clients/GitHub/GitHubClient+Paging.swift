// Reads a GitHub list whole, page after page through `Link: rel="next"`, within a cap: a
// decision never rests on the first page of a longer list (issue 14), and a list too long to
// read fails the read instead of answering with part of it.
import Foundation

/// One page of a list: its items, what a wrapping object says besides them, and the list's size
/// when the wrapper gives it (`total_count`).
struct ListPage<Item: Sendable, Wrapper: Sendable>: Sendable {
    var items: [Item]
    var wrapper: Wrapper
    var totalCount: Int?
    /// Entries on the page before any filtering (what the cap counts).
    var received: Int
}

extension GitHubClient {
    /// The page size asked for (GitHub's maximum).
    static let pageSize = 100

    /// A plain JSON array, read whole (or its first `limit` items, newest first where GitHub
    /// sorts so).
    func readList<Item: Decodable & Sendable>(
        _ name: String, path: URLPath, parameters: [String: String], noun: String, limit: Int? = nil
    ) async throws -> [Item] {
        try await readPages(
            name, path: path, parameters: parameters, limit: limit,
            decodePage: { body in
                let items = try ClientJSON.decode([Item].self, body)
                return ListPage(items: items, wrapper: (), totalCount: nil, received: items.count)
            }, describe: { "\($0.items.count) \(noun)" }
        ).items
    }

    /// Every page of a list: asks `per_page=100`, follows `next` links on the API's own origin
    /// only, and fails with `VALIDATION_ERROR` when the list holds more than `maxListItems`, when
    /// a `next` link leads elsewhere, or when a wrapper's `total_count` says items are missing.
    /// Each page is one recorded call (conditional like any GET). `wrapper` is page 1's.
    func readPages<Item: Sendable, Wrapper: Sendable>(
        _ name: String, path: URLPath, parameters: [String: String], limit: Int? = nil,
        decodePage: @escaping @Sendable ([UInt8]) throws -> ListPage<Item, Wrapper>,
        describe: @escaping @Sendable (ListPage<Item, Wrapper>) -> String
    ) async throws -> (wrapper: Wrapper, items: [Item]) {
        let wanted = limit.map { min(max(1, $0), maxListItems) }
        let firstPage = path.query("per_page", String(min(Self.pageSize, wanted ?? Self.pageSize)))
        var target = Result<String, any Error>(catching: { [baseURL] in
            baseURL + (try firstPage.resolved(call: name))
        })
        var items: [Item] = []
        var wrapper: Wrapper?
        var received = 0
        var pageNumber = 1
        while true {
            let before = received
            let number = pageNumber
            let checks = PageChecks(
                call: name, baseURL: baseURL, maxItems: maxListItems, whole: wanted == nil, before: before)
            let (page, next) = try await sendRaw(
                name, url: target,
                parameters: number == 1 ? parameters : parameters.merging(["page": String(number)]) { $1 },
                decode: { response in
                    let page = try decodePage(response.body)
                    let next = PageLinks.url(in: response.header("link"), relation: "next")
                    try checks.verify(page.received, totalCount: page.totalCount, next: next)
                    return (page, next)
                },
                summarize: { answer in describe(answer.0) + (number > 1 ? " (page \(number))" : "") })
            let firstWrapper = wrapper ?? page.wrapper
            wrapper = firstWrapper
            items += page.items
            received += page.received
            if let wanted, items.count >= wanted { return (firstWrapper, Array(items.prefix(wanted))) }
            guard let next else { return (firstWrapper, items) }
            target = .success(next)
            pageNumber += 1
        }
    }
}

/// The rules one page must meet before the read goes on; a breach fails the page's call.
struct PageChecks: Sendable {
    let call: String
    let baseURL: String
    let maxItems: Int
    /// False for a read of the first N items only (no cap, no completeness to check).
    let whole: Bool
    /// Entries read on the pages before this one.
    let before: Int

    func verify(_ received: Int, totalCount: Int?, next: String?) throws {
        if whole, (totalCount ?? 0) > maxItems || before + received > maxItems {
            throw failure("the list exceeded \(maxItems) items, the most one read accepts: no partial list is used")
        }
        if let next {
            guard PageLinks.isFollowable(next, base: baseURL) else {
                let host = URLComponents(string: next)?.host.map { String($0.prefix(80)) } ?? "?"
                throw failure("the next page is on another origin (\(host)) than \(baseURL): not followed")
            }
            guard received > 0 else { throw failure("an empty page names a next page: the list cannot be read") }
        } else if whole, let totalCount, totalCount > before + received {
            throw failure("the list holds \(totalCount) items but its pages gave \(before + received)")
        }
    }

    private func failure(_ message: String) -> APIError {
        APIError(code: .validationError, call: call, message: message)
    }
}
