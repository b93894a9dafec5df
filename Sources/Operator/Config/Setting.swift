import RollbackCore

/// One setting of SPEC section 18: the name an SRE sets, what kind of value it takes (which
/// decides how it is parsed, bounded and printed), its default and its meaning. Every setting is
/// declared once, in `Settings.all`; parsing, `config check`, the core's configuration and the
/// README's table are derived from that list.
public struct Setting: Sendable {
    public enum Kind: Sendable {
        /// Free text (a branch, a path inside a repository, a directory).
        case text
        /// A file path on this machine that must be readable.
        case filePath
        /// A value printed only as `set`: tokens and webhook secrets.
        case secret(minimumLength: Int)
        /// An http(s) URL; `secret` URLs (Slack's) are never echoed, not even in errors.
        case url(secret: Bool)
        /// Two names joined by a slash: a repository (`owner/name`) or a team (`org/team-slug`),
        /// the shape given as it is shown to the user.
        case ownerAndName(String)
        /// A comma list.
        case list
        /// `host:port`.
        case listenAddress
        /// A decimal number: an identifier such as an installation id.
        case identifier
        /// One of a closed set, compared case-insensitively.
        case choice([String])
        /// `true` or `false` (`1`, `0`).
        case flag
        /// A duration in seconds (decimals allowed) that the core reads from `RollbackConfiguration`.
        case seconds(WritableKeyPath<RollbackConfiguration, Double> & Sendable)
        /// A whole number of health checks that the core reads from `RollbackConfiguration`.
        case checks(WritableKeyPath<RollbackConfiguration, Int> & Sendable)
    }

    /// Whether `serve` can start without it.
    public enum Requirement: Sendable, Equatable {
        case optional
        case required
        /// Required unless the named alternative is given (GitHub credentials, the Kubernetes URL).
        case requiredUnless(String)
    }

    public let name: String
    public let kind: Kind
    public let requirement: Requirement
    /// The default as text, for the kinds the core does not hold; the core's own defaults
    /// (`RollbackConfiguration.default`) are the defaults of `seconds` and `checks`.
    let fixedDefault: String?
    /// What it means, one sentence for the README and `config check`.
    public let meaning: String
    /// Allowed range of a number (`seconds`, `checks`): above `lowerExclusive`, at most `upper`.
    public let lowerExclusive: Double
    public let upper: Double

    init(
        _ name: String, _ kind: Kind, _ requirement: Requirement, default fixedDefault: String? = nil,
        lowerExclusive: Double = 0, upper: Double = .infinity, _ meaning: String
    ) {
        self.name = name
        self.kind = kind
        self.requirement = requirement
        self.fixedDefault = fixedDefault
        self.lowerExclusive = lowerExclusive
        self.upper = upper
        self.meaning = meaning
    }

    /// An optional setting.
    init(
        _ name: String, _ kind: Kind, default fixedDefault: String? = nil, lowerExclusive: Double = 0,
        upper: Double = .infinity, _ meaning: String
    ) {
        self.init(
            name, kind, .optional, default: fixedDefault, lowerExclusive: lowerExclusive, upper: upper, meaning)
    }

    /// The default as an SRE would write it, or nil when there is none.
    public var defaultText: String? {
        switch kind {
        case .seconds(let field): return Setting.format(RollbackConfiguration.default[keyPath: field])
        case .checks(let field): return String(RollbackConfiguration.default[keyPath: field])
        default: return fixedDefault
        }
    }

    /// The unit of a number, for the README and error messages.
    public var unit: String? {
        switch kind {
        case .seconds: return "seconds"
        case .checks: return "checks"
        default: return nil
        }
    }

    /// True for the values `config check` and every log must never show.
    public var isSecret: Bool {
        switch kind {
        case .secret: return true
        case .url(let secret): return secret
        default: return false
        }
    }

    static func format(_ number: Double) -> String {
        number == number.rounded() && abs(number) < 1e15 ? String(Int(number)) : String(number)
    }
}
