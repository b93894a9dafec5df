/// What a value placed in an outbound URL is, and the refusal of one that breaks its rules.
/// Values from Argo CD, an app's annotations or GitHub are untrusted (SPEC 19): each is checked
/// against its kind before it may become part of a URL (see `URLPath`).
enum URLValueKind: Sendable, Equatable, CustomStringConvertible {
    /// A GitHub user or organisation that owns repositories.
    case owner
    case repositoryName
    /// A GitHub user's login (a comment's author).
    case login
    case teamSlug
    case branch
    /// Exactly 40 hex characters, normalised to lowercase.
    case sha
    /// A commit SHA (normalised) or a branch name: what GitHub calls a `ref`.
    case gitRef
    /// A path inside a repository: `/`-separated segments.
    case filePath
    case applicationName
    case namespace
    case deploymentName
    /// Free text written by the operator or its configuration (a label list, a query):
    /// percent-encoded, not validated.
    case text

    var description: String {
        switch self {
        case .owner: return "repository owner"
        case .repositoryName: return "repository name"
        case .login: return "GitHub login"
        case .teamSlug: return "team slug"
        case .branch: return "branch name"
        case .sha: return "commit SHA"
        case .gitRef: return "git ref"
        case .filePath: return "file path"
        case .applicationName: return "Argo CD application name"
        case .namespace: return "Kubernetes namespace"
        case .deploymentName: return "Deployment name"
        case .text: return "text"
        }
    }

    /// The value as it may go into a URL (SHAs lowercased), or the reason it may not.
    func validate(_ value: String) throws(URLValueError) -> String {
        let problem: String?
        switch self {
        case .owner: problem = Self.ownerProblem(value)
        case .repositoryName: problem = Self.repositoryNameProblem(value)
        case .login: problem = Self.loginProblem(value)
        case .teamSlug: problem = Self.repositoryNameProblem(value)
        case .branch: problem = Self.branchProblem(value)
        case .sha:
            if let shaProblem = Self.shaProblem(value) {
                throw URLValueError(kind: self, problem: shaProblem, value: value)
            }
            return value.lowercased()
        case .gitRef:
            // 40 hex characters are a SHA (GitHub reads them so); anything else must be a branch name.
            if Self.shaProblem(value) == nil { return value.lowercased() }
            problem = Self.branchProblem(value)
        case .filePath: problem = Self.filePathProblem(value)
        case .applicationName, .deploymentName: problem = Self.dnsSubdomainProblem(value)
        case .namespace: problem = Self.dnsLabelProblem(value)
        case .text: problem = nil
        }
        if let problem { throw URLValueError(kind: self, problem: problem, value: value) }
        return value
    }
}

/// A value refused for a URL. Its message quotes at most a short, sanitised prefix of the
/// value: a hostile value must not forge log lines or fill error messages.
struct URLValueError: Error, Sendable, Equatable {
    let kind: URLValueKind
    let problem: String
    let preview: String

    init(kind: URLValueKind, problem: String, value: String) {
        self.kind = kind
        self.problem = problem
        self.preview = Self.preview(of: value)
    }

    var message: String { "refusing \(kind) '\(preview)': \(problem); nothing was sent" }

    static let previewLength = 16

    /// The first `previewLength` characters, anything but printable ASCII shown as `?`.
    static func preview(of value: String) -> String {
        var shown = ""
        for (index, scalar) in value.unicodeScalars.enumerated() {
            if index == previewLength {
                shown += "…"
                break
            }
            shown += (0x21...0x7E).contains(scalar.value) ? String(scalar) : "?"
        }
        return shown
    }
}
