import Foundation

extension GitHubClient {
    /// `GET /repos/{o}/{r}/contents/{path}?ref=`: a file's bytes (base64 with line breaks decoded) and blob sha.
    public func getFile(repo: String, path: String, ref: String? = nil) async throws -> FileContent {
        let name = "github.getContents"
        struct Wire: Decodable {
            let type: String?
            let path: String
            let sha: String
            let content: String?
            let encoding: String?
        }
        return try await sendRaw(
            name,
            path: Self.repoPath(repo).literal("/contents").segments(path, as: .filePath).query("ref", ref, as: .gitRef),
            parameters: ["repo": repo, "path": path, "ref": ref ?? ""],
            decode: { response in
                guard let wire = try? ClientJSON.decoder.decode(Wire.self, from: Data(response.body)) else {
                    throw APIError(code: .validationError, call: name, message: "\(path) is not a file")
                }
                guard wire.type == nil || wire.type == "file", let content = wire.content else {
                    throw APIError(code: .validationError, call: name, message: "\(path) is not a file")
                }
                let cleaned = content.filter { !$0.isWhitespace }
                guard wire.encoding == nil || wire.encoding == "base64", let bytes = Data(base64Encoded: cleaned) else {
                    throw APIError(code: .validationError, call: name, message: "\(path): content is not valid base64")
                }
                return FileContent(path: wire.path, sha: wire.sha, content: Array(bytes))
            }, summarize: { "blob \($0.sha), \($0.content.count) bytes" })
    }

    /// `PUT /repos/{o}/{r}/contents/{path}`: one commit on `branch`, which must be a `rollback/*`
    /// branch (hard guard: anything else is refused before any request is sent). `sha` is the
    /// blob being replaced (nil to create the file).
    public func putFile(
        repo: String, path: String, branch: String, content: [UInt8], message: String,
        sha: String?
    ) async throws -> FileCommit {
        let name = "github.putContents"
        try requireWritable(branch, call: name)
        struct Body: Encodable {
            let message: String
            let content: String
            let branch: String
            let sha: String?
        }
        struct Wire: Decodable {
            struct C: Decodable { let sha: String? }
            struct K: Decodable { let sha: String }
            let content: C?
            let commit: K
        }
        let body = Body(message: message, content: Data(content).base64EncodedString(), branch: branch, sha: sha)
        return try await sendRaw(
            name, method: "PUT", path: Self.repoPath(repo).literal("/contents").segments(path, as: .filePath),
            body: ClientJSON.encode(body),
            parameters: ["repo": repo, "path": path, "branch": branch, "sha": sha ?? ""],
            decode: { response in
                let wire = try ClientJSON.decode(Wire.self, response.body)
                return FileCommit(contentSha: wire.content?.sha, commitSha: wire.commit.sha)
            }, summarize: { "commit \($0.commitSha)" })
    }
}
