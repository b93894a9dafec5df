import Foundation
import RollbackCore

/// One line of the audit log (SPEC 14). `timestamp`, `seq`, `prevHash` and `hash` are
/// assigned by `AuditLog.append`; the initialisers leave them empty.
public struct AuditEntry: Sendable, Equatable, Codable {
    public typealias Level = AuditRecord.Level
    public typealias ActionType = AuditRecord.ActionType

    /// The `mcpCall` object: one external call.
    public struct MCPCall: Sendable, Equatable, Codable {
        /// e.g. `github.createPullRequest`.
        public var name: String
        /// Plain parameters, never credentials (see `AuditRedaction`).
        public var parameters: [String: String]
        /// `ok`, or the error code (`NOT_FOUND`, ...).
        public var result: String
        /// A short summary of the answer, or the error message.
        public var response: String?
        public var durationMs: Int
        public var retryCount: Int

        public init(
            name: String, parameters: [String: String], result: String, response: String? = nil,
            durationMs: Int, retryCount: Int
        ) {
            self.name = name
            self.parameters = parameters
            self.result = result
            self.response = response
            self.durationMs = durationMs
            self.retryCount = retryCount
        }
    }

    /// The `fsmState` object.
    public struct FSMState: Sendable, Equatable, Codable {
        public var before: String
        public var after: String
        public init(before: String, after: String) {
            self.before = before
            self.after = after
        }
    }

    /// The operator version string, e.g. `0.1.0`.
    public var version: String
    /// UTC, milliseconds: `2026-02-27T10:30:00.123Z`.
    public var timestamp: String
    public var correlationId: String?
    public var level: Level
    public var actionType: ActionType
    /// `ai-operator-v<version>`.
    public var actor: String
    /// A human sentence saying why.
    public var reasoning: String
    public var mcpCall: MCPCall?
    /// Invariant id (`I1_environment`, ...) -> `PASS`/`FAIL`; encoded I1..I8.
    public var invariantsChecked: [String: String]?
    public var fsmState: FSMState?
    /// A reason code (`CI_FAILURE`, ...).
    public var escalation: String?
    public var error: String?
    public var metadata: [String: String]?
    /// Global line number across all files, from 1.
    public var seq: Int
    /// `hash` of the previous entry; 64 zeros for the first entry ever.
    public var prevHash: String
    /// `hex(SHA-256(prevHash + "\n" + canonical JSON without "hash"))`.
    public var hash: String

    /// The memberwise initialiser; chain fields and timestamp are normally left to `AuditLog`.
    public init(
        version: String, timestamp: String = "", correlationId: String?, level: Level, actionType: ActionType,
        actor: String? = nil, reasoning: String, mcpCall: MCPCall? = nil, invariantsChecked: [String: String]? = nil,
        fsmState: FSMState? = nil, escalation: String? = nil, error: String? = nil, metadata: [String: String]? = nil,
        seq: Int = 0, prevHash: String = "", hash: String = ""
    ) {
        self.version = version
        self.timestamp = timestamp
        self.correlationId = correlationId
        self.level = level
        self.actionType = actionType
        self.actor = actor ?? Self.actor(version: version)
        self.reasoning = reasoning
        self.mcpCall = mcpCall
        self.invariantsChecked = invariantsChecked
        self.fsmState = fsmState
        self.escalation = escalation
        self.error = error
        self.metadata = metadata
        self.seq = seq
        self.prevHash = prevHash
        self.hash = hash
    }

    /// `ai-operator-v<version>`.
    public static func actor(version: String) -> String { "ai-operator-v\(version)" }

    /// An entry for one of the core's audit records. `metadata` gets `app_name`,
    /// `environment` and `event`, plus `extraMetadata` (credential-named keys redacted).
    public init(
        record: AuditRecord, app: String, environment: DeploymentEnvironment, version: String,
        error: String? = nil, extraMetadata: [String: String] = [:]
    ) {
        var meta = AuditRedaction.parameters(extraMetadata)
        meta["app_name"] = app
        meta["environment"] = environment.rawValue
        meta["event"] = record.event
        self.init(
            version: version, correlationId: record.correlationId, level: record.level,
            actionType: record.actionType, reasoning: record.reasoning,
            invariantsChecked: record.invariants?.map,
            fsmState: FSMState(before: record.fsmBefore.rawValue, after: record.fsmAfter.rawValue),
            escalation: record.escalation?.rawValue, error: error.map(AuditRedaction.text), metadata: meta)
    }

    /// An `MCP_CALL` entry for one external call. Parameters whose key names a credential
    /// (`Authorization`, `token`, `secret`, `password`, `key`) are replaced by `[REDACTED]`;
    /// `response` and the error text pass through the redactor. A call whose `result` is
    /// not `ok` is a `WARN` with `error` = `<result>: <response>`.
    public init(
        mcpCall name: String, parameters: [String: String], result: String, response: String? = nil,
        durationMs: Int, retryCount: Int, httpStatus: Int? = nil, correlationId: String?, version: String,
        reasoning: String? = nil, app: String? = nil, environment: DeploymentEnvironment? = nil,
        extraMetadata: [String: String] = [:]
    ) {
        let cleanResponse = response.map(AuditRedaction.text)
        let ok = result == "ok"
        var meta = AuditRedaction.parameters(extraMetadata)
        if let app { meta["app_name"] = app }
        if let environment { meta["environment"] = environment.rawValue }
        if let httpStatus { meta["httpStatus"] = String(httpStatus) }
        let retries = retryCount == 1 ? "1 retry" : "\(retryCount) retries"
        let why =
            reasoning.map(AuditRedaction.text)
            ?? "Called \(name): \(result) after \(durationMs) ms and \(retries)."
        self.init(
            version: version, correlationId: correlationId, level: ok ? .info : .warning, actionType: .mcpCall,
            reasoning: why,
            mcpCall: MCPCall(
                name: name, parameters: AuditRedaction.parameters(parameters), result: result,
                response: cleanResponse, durationMs: durationMs, retryCount: retryCount),
            error: ok ? nil : (cleanResponse.map { "\(result): \($0)" } ?? result),
            metadata: meta.isEmpty ? nil : meta)
    }

    // MARK: - Canonical form

    /// The canonical JSON split where `"hash"` goes (keys in byte order: actionType, actor,
    /// correlationId, error, escalation, fsmState | hash | invariantsChecked, level, mcpCall,
    /// metadata, prevHash, reasoning, seq, timestamp, version). `head` opens the object and
    /// `tail` starts with a comma (`level` is always present) and closes it.
    func canonicalParts() -> (head: [UInt8], tail: [UInt8]) {
        var head: [UInt8] = []
        head.reserveCapacity(160)
        Self.field("actionType", first: true, &head)
        CanonicalJSON.writeString(actionType.rawValue, into: &head)
        Self.field("actor", &head)
        CanonicalJSON.writeString(actor, into: &head)
        Self.field("correlationId", &head)
        if let correlationId {
            CanonicalJSON.writeString(correlationId, into: &head)
        } else {
            head.append(contentsOf: Self.null)
        }
        if let error {
            Self.field("error", &head)
            CanonicalJSON.writeString(error, into: &head)
        }
        if let escalation {
            Self.field("escalation", &head)
            CanonicalJSON.writeString(escalation, into: &head)
        }
        if let fsmState {
            Self.field("fsmState", &head)
            Self.field("after", first: true, &head)
            CanonicalJSON.writeString(fsmState.after, into: &head)
            Self.field("before", &head)
            CanonicalJSON.writeString(fsmState.before, into: &head)
            head.append(0x7D)
        }
        var tail: [UInt8] = []
        tail.reserveCapacity(512)
        if let invariantsChecked {
            Self.field("invariantsChecked", &tail)
            Self.map(invariantsChecked, &tail)
        }
        Self.field("level", &tail)
        CanonicalJSON.writeString(level.rawValue, into: &tail)
        if let call = mcpCall {
            Self.field("mcpCall", &tail)
            Self.field("durationMs", first: true, &tail)
            tail.append(contentsOf: String(call.durationMs).utf8)
            Self.field("name", &tail)
            CanonicalJSON.writeString(call.name, into: &tail)
            Self.field("parameters", &tail)
            Self.map(call.parameters, &tail)
            if let response = call.response {
                Self.field("response", &tail)
                CanonicalJSON.writeString(response, into: &tail)
            }
            Self.field("result", &tail)
            CanonicalJSON.writeString(call.result, into: &tail)
            Self.field("retryCount", &tail)
            tail.append(contentsOf: String(call.retryCount).utf8)
            tail.append(0x7D)
        }
        if let metadata {
            Self.field("metadata", &tail)
            Self.map(metadata, &tail)
        }
        Self.field("prevHash", &tail)
        CanonicalJSON.writeString(prevHash, into: &tail)
        Self.field("reasoning", &tail)
        CanonicalJSON.writeString(reasoning, into: &tail)
        Self.field("seq", &tail)
        tail.append(contentsOf: String(seq).utf8)
        Self.field("timestamp", &tail)
        CanonicalJSON.writeString(timestamp, into: &tail)
        Self.field("version", &tail)
        CanonicalJSON.writeString(version, into: &tail)
        tail.append(0x7D)
        return (head, tail)
    }

    private static let null = Array("null".utf8)

    /// `{"key":` for the first key of an object, `,"key":` otherwise.
    private static func field(_ key: StaticString, first: Bool = false, _ out: inout [UInt8]) {
        out.append(first ? 0x7B : 0x2C)
        out.append(0x22)
        key.withUTF8Buffer { out.append(contentsOf: $0) }
        out.append(0x22)
        out.append(0x3A)
    }

    private static func map(_ values: [String: String], _ out: inout [UInt8]) {
        CanonicalJSON.writeMap(values, into: &out)
    }

    /// The bytes the hash covers (after `prevHash + "\n"`): the canonical JSON without `hash`.
    public var hashedBody: [UInt8] {
        let (head, tail) = canonicalParts()
        return head + tail
    }

    /// The hash this entry's content and `prevHash` call for.
    public var computedHash: String { AuditHash.chain(prevHash: prevHash, body: hashedBody) }

    /// The line as stored (without the newline): canonical JSON with `hash`.
    public var jsonLine: String { String(decoding: lineBytes, as: UTF8.self) }

    var lineBytes: [UInt8] {
        let (head, tail) = canonicalParts()
        return Self.join(head, hash, tail)
    }

    static func join(_ head: [UInt8], _ hash: String, _ tail: [UInt8]) -> [UInt8] {
        var out = head
        out.reserveCapacity(head.count + tail.count + 80)
        out.append(contentsOf: ",\"hash\":".utf8)
        CanonicalJSON.writeString(hash, into: &out)
        out.append(contentsOf: tail)
        return out
    }

    /// The hash and the stored line in one encoding.
    func chained() -> (hash: String, line: [UInt8]) {
        let (head, tail) = canonicalParts()
        let hash = AuditHash.chain(prevHash: prevHash, body: head + tail)
        return (hash, Self.join(head, hash, tail))
    }

    /// Milliseconds since 1970 of `timestamp`, if it is well formed.
    public var timestampMilliseconds: Int64? { AuditTimestamp.parse(timestamp) }
    public var date: Date? { timestampMilliseconds.map { Date(timeIntervalSince1970: Double($0) / 1000) } }

    // MARK: - Codable (the same fields; `correlationId` is written as null when absent)

    enum CodingKeys: String, CodingKey {
        case version, timestamp, correlationId, level, actionType, actor, reasoning, mcpCall, invariantsChecked
        case fsmState, escalation, error, metadata, seq, prevHash, hash
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(version, forKey: .version)
        try container.encode(timestamp, forKey: .timestamp)
        try container.encode(correlationId, forKey: .correlationId)
        try container.encode(level, forKey: .level)
        try container.encode(actionType, forKey: .actionType)
        try container.encode(actor, forKey: .actor)
        try container.encode(reasoning, forKey: .reasoning)
        try container.encodeIfPresent(mcpCall, forKey: .mcpCall)
        try container.encodeIfPresent(invariantsChecked, forKey: .invariantsChecked)
        try container.encodeIfPresent(fsmState, forKey: .fsmState)
        try container.encodeIfPresent(escalation, forKey: .escalation)
        try container.encodeIfPresent(error, forKey: .error)
        try container.encodeIfPresent(metadata, forKey: .metadata)
        try container.encode(seq, forKey: .seq)
        try container.encode(prevHash, forKey: .prevHash)
        try container.encode(hash, forKey: .hash)
    }
}
