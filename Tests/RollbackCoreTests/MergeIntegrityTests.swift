import Foundation
import Testing

@testable import RollbackCore

/// The operator merges only the commit it wrote, whose diff is exactly its one-line change (SPEC 7, 19).
@Suite struct MergeIntegrityTests {
    func refusal(head: String = prHead, operatorCommit: String? = prHead, _ changes: [HeadChange]?) -> PolicyRefusal? {
        MergeIntegrity.refusal(
            headSHA: head, operatorCommitSHA: operatorCommit, changes: changes,
            manifestPath: ".argocd/application.yaml",
            currentRevision: currentSHA, targetRevision: targetSHA)
    }

    @Test func theOperatorsOwnOneLineChangePasses() {
        #expect(refusal(operatorChange) == nil)
    }

    @Test func anotherHeadOrAnUnknownOperatorCommitIsRefused() {
        #expect(refusal(head: newHeadSHA, operatorChange)?.value == "head fff999f")
        #expect(refusal(operatorCommit: nil, operatorChange) != nil)
        #expect(refusal(nil)?.value == "unread")
    }

    @Test func anyOtherDiffIsRefused() {
        #expect(refusal(foreignChange)?.value == "2 files changed")
        #expect(refusal([])?.value == "0 files changed")
        var otherPath = operatorChange[0]
        otherPath.path = "apps/web.yaml"
        #expect(refusal([otherPath])?.value == "apps/web.yaml changed")
        var twoLines = operatorChange[0]
        twoLines.additions = 2
        #expect(refusal([twoLines]) != nil)
        var noPatch = operatorChange[0]
        noPatch.patch = nil
        #expect(refusal([noPatch]) != nil)
        var otherValue = operatorChange[0]
        otherValue.patch = "@@ -5 +5 @@\n-    targetRevision: \(currentSHA)\n+    path: evil  # \(targetSHA)"
        #expect(refusal([otherValue])?.value == "another change")
        var otherTarget = operatorChange[0]
        otherTarget.patch = "@@ -5 +5 @@\n-    targetRevision: \(currentSHA)\n+    targetRevision: \(newHeadSHA)"
        #expect(refusal([otherTarget])?.value == "another change")
    }
}
