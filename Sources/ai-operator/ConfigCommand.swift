import ArgumentParser
import Operator

struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config", abstract: "Configuration tools.",
        subcommands: [Check.self, Table.self])

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate the configuration without starting; print it with secrets redacted.")
        @OptionGroup var options: ConfigOptions

        func run() throws {
            let config = try options.load()
            print("configuration OK")
            for (key, value) in config.redactedSummary { print("  \(key): \(value)") }
        }
    }

    struct Table: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print every setting with its default, unit, bounds and meaning (the README's table).")

        func run() { print(Settings.markdownTable()) }
    }
}
