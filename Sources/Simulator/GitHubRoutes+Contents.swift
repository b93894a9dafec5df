import Foundation
import HTTPServer

/// The contents API: reading a file or a directory at a ref, and writing a file as a new commit
/// (refused on a protected branch, and without the current blob SHA).
extension GitHubSimulator {
    var writer: Person {
        Person(name: botLoginValue, email: "\(botLoginValue)@users.noreply.github.com", login: botLoginValue)
    }

    /// Base64 with a line break after every 60 characters, as GitHub sends it.
    static func wrappedBase64(_ bytes: [UInt8]) -> String {
        let b64 = Array(Data(bytes).base64EncodedString().utf8)
        var out: [UInt8] = []
        var offset = 0
        while offset < b64.count {
            out += b64[offset..<min(b64.count, offset + 60)]
            out.append(10)
            offset += 60
        }
        return String(decoding: out, as: UTF8.self)
    }

    private func contentEntry(_ repo: Repo, _ path: String, _ bytes: [UInt8], ref: String, withContent: Bool)
        -> [String: Any]
    {
        let sha = GitObjects.blobSHA(bytes)
        let name = path.split(separator: "/").last.map(String.init) ?? path
        let url = "\(api)/repos/\(repo.fullName)/contents/\(path)?ref=\(ref)"
        let html = "\(Self.web)/\(repo.fullName)/blob/\(ref)/\(path)"
        let git = "\(api)/repos/\(repo.fullName)/git/blobs/\(sha)"
        var entry: [String: Any] = [
            "type": "file", "name": name, "path": path, "sha": sha, "size": bytes.count, "url": url,
            "html_url": html, "git_url": git,
            "download_url": "https://raw.githubusercontent.com/\(repo.fullName)/\(ref)/\(path)",
            "_links": ["self": url, "git": git, "html": html],
        ]
        if withContent {
            entry["content"] = Self.wrappedBase64(bytes)
            entry["encoding"] = "base64"
        }
        return entry
    }

    func getContents(_ key: String, _ path: String, ref: String?) -> HTTPResponse {
        let repo = repos[key]!
        let refName = ref ?? repo.defaultBranch
        guard let sha = resolve(key, refName), let tree = repo.commits[sha]?.tree else {
            return Self.ghError(404, "No commit found for the ref \(refName)")
        }
        if let bytes = tree[path] {
            return SimJSON.response(200, contentEntry(repo, path, bytes, ref: refName, withContent: true))
        }
        let prefix = path.isEmpty ? "" : path + "/"
        var entries: [String: [String: Any]] = [:]
        for (filePath, bytes) in tree where filePath.hasPrefix(prefix) {
            let rel = filePath.dropFirst(prefix.count)
            if let slash = rel.firstIndex(of: "/") {
                let dir = prefix + rel[..<slash]
                entries[dir] = [
                    "type": "dir", "name": String(rel[..<slash]), "path": dir, "size": 0,
                    "sha": SimulatorCrypto.sha1Hex(Array("tree \(dir) \(sha)".utf8)),
                    "url": "\(api)/repos/\(repo.fullName)/contents/\(dir)?ref=\(refName)",
                ]
            } else {
                entries[filePath] = contentEntry(repo, filePath, bytes, ref: refName, withContent: false)
            }
        }
        if entries.isEmpty { return Self.notFound }
        return SimJSON.response(200, entries.keys.sorted().map { entries[$0]! })
    }

    func putContents(_ key: String, _ path: String, _ obj: [String: Any]) -> HTTPResponse {
        let repo = repos[key]!
        guard let message = obj["message"] as? String else {
            return Self.ghError(422, "Invalid request.\n\n\"message\" wasn't supplied.")
        }
        guard let content64 = obj["content"] as? String else {
            return Self.ghError(422, "Invalid request.\n\n\"content\" wasn't supplied.")
        }
        guard let data = Data(base64Encoded: content64.filter { !$0.isWhitespace }) else {
            return Self.ghError(422, "content is not valid Base64")
        }
        let branch = obj["branch"] as? String ?? repo.defaultBranch
        guard let head = repo.branches[branch], let current = repo.commits[head] else {
            return Self.ghError(404, "Branch \(branch) not found")
        }
        if repo.protection[branch] != nil {
            return Self.ghError(
                409, "Could not update file: Changes must be made through a pull request.",
                docs: "https://docs.github.com/articles/about-protected-branches")
        }
        let existing = current.tree[path]
        let given = obj["sha"] as? String
        if let existing {
            guard let given else { return Self.ghError(422, "Invalid request.\n\n\"sha\" wasn't supplied.") }
            if given != GitObjects.blobSHA(existing) { return Self.ghError(409, "\(path) does not match \(given)") }
        }
        var tree = current.tree
        tree[path] = Array(data)
        var author = writer
        if let person = obj["author"] as? [String: Any], let name = person["name"] as? String,
            let email = person["email"] as? String
        {
            author = Person(name: name, email: email)
        }
        var committer = author
        if let person = obj["committer"] as? [String: Any], let name = person["name"] as? String,
            let email = person["email"] as? String
        {
            committer = Person(name: name, email: email)
        }
        let newCommit = makeCommit(
            tree: tree, parents: [head], message: message, author: author, date: now, committer: committer)
        repos[key]!.commits[newCommit.sha] = newCommit
        moveBranch(repo: key, branch: branch, to: newCommit.sha)
        let updated = repos[key]!
        var commit = commitJSON(updated, newCommit)["commit"] as! [String: Any]
        commit["sha"] = newCommit.sha
        commit["node_id"] = "C_\(newCommit.sha.prefix(12))"
        commit["html_url"] = "\(Self.web)/\(updated.fullName)/commit/\(newCommit.sha)"
        commit["parents"] = newCommit.parents.map {
            [
                "sha": $0, "url": "\(api)/repos/\(updated.fullName)/git/commits/\($0)",
                "html_url": "\(Self.web)/\(updated.fullName)/commit/\($0)",
            ]
        }
        return SimJSON.response(
            existing == nil ? 201 : 200,
            ["content": contentEntry(updated, path, Array(data), ref: branch, withContent: false), "commit": commit])
    }
}
