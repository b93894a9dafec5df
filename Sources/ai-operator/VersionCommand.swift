import ArgumentParser
import Operator

struct Version: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the version.")
    func run() { print("ai-operator \(OperatorVersion.current)") }
}
