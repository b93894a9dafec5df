// What one step of an application's worker did, handed to observers and REST command callers.
import Foundation
import RollbackCore

/// What a step did, for observers (the demo's timeline, tests) and REST command callers.
public struct StepReport: Sendable {
    public let app: String
    public let environment: DeploymentEnvironment
    public let at: Date
    public let transition: Transition
    public let correlationId: String?
    /// The machine after the step.
    public let machine: RollbackStateMachine
}
