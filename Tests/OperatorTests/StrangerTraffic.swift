// Requests from strangers for the door-abuse tests: random methods, paths, header values and
// bodies from a seeded generator (the same run every time), none with valid credentials; and
// the measures those tests take of the service (its metric series, files and memory).
import Foundation
import TestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// SplitMix64: small, seedable, good enough to vary test input.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }
}

/// One unauthenticated request, as raw bytes, sent on a connection of its own.
struct StrangerRequest {
    let bytes: [UInt8]

    static func random(using generator: inout SeededGenerator) -> StrangerRequest {
        let path = ["/webhooks/github", "/webhooks/github", "/webhooks/argocd", "/\(token(&generator))/x"]
            .randomElement(
                using: &generator)!
        let method =
            Int.random(in: 0..<10, using: &generator) < 6
            ? "POST"
            : ["GET", "HEAD", "PUT", "DELETE", "PATCH", "OPTIONS", "post", token(&generator).uppercased()]
                .randomElement(using: &generator)!
        var headers: [(String, String)] = []
        for name in ["X-GitHub-Event", "X-GitHub-Delivery", "User-Agent", "X-Whatever"]
        where Bool.random(using: &generator) {
            headers.append((name, headerValue(&generator)))
        }
        switch Int.random(in: 0..<4, using: &generator) {
        case 0: headers.append(("X-Hub-Signature-256", headerValue(&generator)))
        case 1: headers.append(("X-Hub-Signature-256", "sha256=" + hex(&generator, count: 64)))
        default: break
        }
        switch Int.random(in: 0..<3, using: &generator) {
        case 0: headers.append(("Authorization", "Bearer " + headerValue(&generator)))
        case 1: headers.append(("Authorization", headerValue(&generator)))
        default: break
        }
        var head = "\(method) \(path) HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        let body: [UInt8]
        if Int.random(in: 0..<20, using: &generator) == 0 {
            // Declares 30 MiB and sends a few bytes: must be refused without being waited for.
            head += "Content-Length: \(30 * 1024 * 1024)\r\n\r\n"
            body = Array("{\"action\":".utf8)
        } else {
            let size =
                Int.random(in: 0..<20, using: &generator) == 0 ? 64 * 1024 : Int.random(in: 0..<2048, using: &generator)
            body = (0..<size).map { _ in UInt8.random(in: 0...255, using: &generator) }
            head += "Content-Length: \(body.count)\r\n\r\n"
        }
        return StrangerRequest(bytes: Array(head.utf8) + body)
    }

    private static func token(_ generator: inout SeededGenerator) -> String {
        let letters = Array("abcdefghijklmnopqrstuvwxyz0123456789-_")
        return String(
            (0..<Int.random(in: 1...12, using: &generator)).map { _ in letters.randomElement(using: &generator)! })
    }

    private static func hex(_ generator: inout SeededGenerator, count: Int) -> String {
        String((0..<count).map { _ in Array("0123456789abcdef").randomElement(using: &generator)! })
    }

    /// ASCII, multi-byte UTF-8 or very long: what a header value may hold (no control bytes).
    private static func headerValue(_ generator: inout SeededGenerator) -> String {
        let pieces = ["a", "Z", "9", "-", " ", "é", "€", "😀", "e\u{301}", "中", "{", "\"", "/", "=", "%00"]
        let length = Int.random(in: 0..<10, using: &generator) == 0 ? 600 : Int.random(in: 1...40, using: &generator)
        var value = (0..<length).map { _ in pieces.randomElement(using: &generator)! }.joined()
        value = value.trimmingCharacters(in: .whitespaces)
        return value.isEmpty ? "x" : value
    }
}

/// What the door-abuse tests measure of a running service.
enum ServiceMeasures {
    /// Every series of a `/metrics` text: name and labels, without the value.
    static func series(port: Int) throws -> Set<String> {
        let text = try RawHTTP.request(port: port, method: "GET", path: "/metrics").text
        var out: Set<String> = []
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            if let space = line.lastIndex(of: " ") { out.insert(String(line[..<space])) }
        }
        return out
    }

    /// Bytes of the database files and the body log under `dataDir`.
    static func storeBytes(dataDir: String) -> Int {
        let manager = FileManager.default
        var total = 0
        for suffix in ["", "-wal", "-shm"] {
            total += fileSize(dataDir + "/operator.sqlite3" + suffix)
        }
        let bodies = dataDir + "/bodies"
        for name in (try? manager.contentsOfDirectory(atPath: bodies)) ?? [] {
            total += fileSize(bodies + "/" + name)
        }
        return total
    }

    private static func fileSize(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.intValue ?? 0
    }

    /// This process's resident memory, in bytes.
    static func residentBytes() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            let kilobytes = line.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
            return kilobytes * 1024
        }
        return 0
    }
}
