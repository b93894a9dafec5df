import Foundation

/// Conditional GETs (protocols §3.17): the last `etag` and body per URL. A GET sends
/// `If-None-Match`; a 304 answers with the cached body and `Link` header (and costs no
/// rate-limit budget).
final class ETagCache: @unchecked Sendable {
    // Safe: `entries` and `order` are guarded by `lock`.
    struct Entry: Sendable {
        let etag: String
        let body: [UInt8]
        /// The page's `Link` header: a cached page still names the next one.
        var link: String? = nil
    }

    private let lock = NSLock()
    private var entries: [String: Entry] = [:]
    private var order: [String] = []
    private let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    func entry(for url: String) -> Entry? {
        lock.lock()
        defer { lock.unlock() }
        return entries[url]
    }

    func store(_ url: String, etag: String, body: [UInt8], link: String? = nil) {
        guard capacity > 0 else { return }
        lock.lock()
        defer { lock.unlock() }
        if entries[url] == nil { order.append(url) }
        entries[url] = Entry(etag: etag, body: body, link: link)
        if order.count > capacity {
            let evict = order.removeFirst()
            entries[evict] = nil
        }
    }
}
