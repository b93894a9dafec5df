import Foundation

/// Git-like object ids for the GitHub simulator: blob, tree and commit SHA-1s computed the way
/// git computes them, so that SHAs look and behave like real ones.
enum GitObjects {
    static func blobSHA(_ content: [UInt8]) -> String {
        SimulatorCrypto.sha1Hex(Array("blob \(content.count)\0".utf8) + content)
    }

    static func treeSHA(_ tree: [String: [UInt8]]) -> String {
        var bytes: [UInt8] = []
        for path in tree.keys.sorted() {
            bytes += Array("100644 \(path)\0\(blobSHA(tree[path]!))".utf8)
        }
        return SimulatorCrypto.sha1Hex(Array("tree \(bytes.count)\0".utf8) + bytes)
    }

    static func commitSHA(
        treeSHA: String, parents: [String], author: GitHubSimulator.Person,
        committer: GitHubSimulator.Person, date: Date, message: String
    ) -> String {
        let seconds = Int(date.timeIntervalSince1970)
        var text = "tree \(treeSHA)\n"
        for parent in parents { text += "parent \(parent)\n" }
        text += "author \(author.name) <\(author.email)> \(seconds) +0000\n"
        text += "committer \(committer.name) <\(committer.email)> \(seconds) +0000\n\n\(message)"
        let body = Array(text.utf8)
        return SimulatorCrypto.sha1Hex(Array("commit \(body.count)\0".utf8) + body)
    }
}
