// The command line's root: its subcommands live in files named after them.
import ArgumentParser

@main
struct AIOperator: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ai-operator",
        abstract: "A GitOps rollback operator for Argo CD applications.",
        subcommands: [Serve.self, DemoCommand.self, ConfigCommand.self, AuditCommand.self, Version.self]
    )
}
