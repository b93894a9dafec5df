// The `demo` command run as its own process: both scripted rollbacks complete and the
// timeline shows the decisions the demo is meant to show.
import Foundation
import Testing

/// The real binary's demo, end to end on loopback.
@Suite struct DemoProcessTests {
    @Test func demoPlaysBothRollbacksAndExitsZero() throws {
        let demo = try BinaryProcess(arguments: ["demo", "--exit", "--port", "0"], environment: [:])
        defer { demo.terminate() }
        #expect(demo.waitForExit(seconds: 120) == 0, "\(demo.text)")
        let text = demo.text
        #expect(text.contains("checkout (staging) RollbackComplete"))
        #expect(text.contains("payments (production) RollbackComplete"))
        #expect(text.contains("AwaitingMergeApproval -> RollbackMerged"))
        #expect(text.contains("no merge without approval"))
        #expect(text.contains("I8_branch_protection"))
        #expect(text.contains("TAKEN"))
        #expect(text.contains(": verified,"))
    }
}
