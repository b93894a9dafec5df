import ArgumentParser
import Audit
import Foundation

/// `ai-operator audit verify [DIR]`: checks the hash chain of the audit log (SPEC 14).
struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Inspect the append-only audit log.",
        subcommands: [Verify.self]
    )

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify",
            abstract:
                "Check every day file of the audit log and report the first altered, removed, reordered, malformed or misplaced line.",
            discussion: """
                Exit status: 0 when the chain verifies, 1 when it is broken (one line names the file, \
                line and kind), 2 when the directory is missing or unreadable.
                """
        )

        @Argument(help: "The audit directory (default: $DATA_DIR/audit, else ./data/audit).")
        var directory: String?

        func run() throws {
            let dir = directory ?? Self.defaultDirectory(environment: ProcessInfo.processInfo.environment)
            let result: AuditVerification
            do {
                result = try AuditVerifier.verify(directory: dir)
            } catch {
                FileHandle.standardError.write(Data("audit verify: \(error)\n".utf8))
                throw ExitCode(2)
            }
            if let problem = result.problem {
                print("audit log BROKEN: \(problem)")
                throw ExitCode(1)
            }
            print(Self.summary(result))
        }

        /// `$DATA_DIR/audit`, or `./data/audit` when `DATA_DIR` is unset or empty.
        static func defaultDirectory(environment: [String: String]) -> String {
            guard let data = environment["DATA_DIR"], !data.isEmpty else { return "./data/audit" }
            return (data as NSString).appendingPathComponent("audit")
        }

        /// `audit log OK: N entries in M files (seq A..B)`, noting a chain that starts after
        /// retention removed older files.
        static func summary(_ verification: AuditVerification) -> String {
            let files = verification.filesChecked == 1 ? "1 file" : "\(verification.filesChecked) files"
            let entries = verification.entriesChecked == 1 ? "1 entry" : "\(verification.entriesChecked) entries"
            guard let first = verification.firstSeq, let last = verification.lastSeq else {
                return "audit log OK: \(entries) in \(files)"
            }
            let midway =
                verification.startsMidChain
                ? "; the chain starts at seq \(first), older files were removed by retention" : ""
            return "audit log OK: \(entries) in \(files) (seq \(first)..\(last))\(midway)"
        }
    }
}
