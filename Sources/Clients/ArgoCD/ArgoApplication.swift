import Foundation

/// The parts of an Argo CD `Application` the operator reads (protocols §4.5).
public struct ArgoApplication: Decodable, Sendable, Equatable {
    public struct Metadata: Decodable, Sendable, Equatable {
        public let name: String
        public let namespace: String?
        public let labels: [String: String]?
        public let annotations: [String: String]?
    }
    public struct Source: Decodable, Sendable, Equatable {
        public let repoURL: String?
        public let path: String?
        public let targetRevision: String?
        public let chart: String?
        public let ref: String?
    }
    public struct Destination: Decodable, Sendable, Equatable {
        public let server: String?
        public let name: String?
        public let namespace: String?
    }
    public struct Spec: Decodable, Sendable, Equatable {
        public let project: String?
        public let source: Source?
        public let sources: [Source]?
        public let destination: Destination?
    }
    public struct Health: Decodable, Sendable, Equatable {
        /// `Healthy`, `Progressing`, `Degraded`, `Suspended`, `Missing`, `Unknown`.
        public let status: String?
        public let message: String?
    }
    public struct Sync: Decodable, Sendable, Equatable {
        public let status: String?
        public let revision: String?
        public let revisions: [String]?
    }
    public struct HistoryEntry: Decodable, Sendable, Equatable {
        public let id: Int
        public let revision: String?
        public let revisions: [String]?
        public let deployedAt: Date?
        public let deployStartedAt: Date?
    }
    public struct OperationState: Decodable, Sendable, Equatable {
        public let phase: String?
        public let message: String?
    }
    public struct Status: Decodable, Sendable, Equatable {
        public let health: Health?
        public let sync: Sync?
        public let history: [HistoryEntry]?
        public let operationState: OperationState?
    }

    public let metadata: Metadata
    public let spec: Spec
    public let status: Status?

    public var name: String { metadata.name }
    public var labels: [String: String] { metadata.labels ?? [:] }
    public var annotations: [String: String] { metadata.annotations ?? [:] }
    /// `spec.sources` for multi-source apps, else `[spec.source]`.
    public var sources: [Source] { spec.sources ?? spec.source.map { [$0] } ?? [] }
    public var destinationNamespace: String? { spec.destination?.namespace }
    public var healthStatus: String { status?.health?.status ?? "Unknown" }
    public var healthMessage: String? { status?.health?.message }
    /// The synced revision (first source's for multi-source apps).
    public var syncRevision: String? { status?.sync?.revision ?? status?.sync?.revisions?.first }
    /// Deploy history, oldest first (the last entry is the latest deploy).
    public var history: [HistoryEntry] { status?.history ?? [] }
}
