import Foundation
import Testing

@testable import RollbackCore

@Suite struct ManifestEditorTests {
    static let old = "def456abc789def456abc789def456abc789def4"
    static let new = "abc123def456abc123def456abc123def456abc1"

    /// Asserts the output equals the input with exactly one occurrence of the old value
    /// (the one at the expected line) replaced, every other byte identical.
    func assertOnlyValueChanged(
        _ input: String, repoURL: String? = nil, line: Int, sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let edit = try ManifestEditor.setTargetRevision(
            in: input, to: Self.new, repoURL: repoURL, expectedCurrent: Self.old)
        #expect(edit.line == line, sourceLocation: sourceLocation)
        #expect(edit.previousValue == Self.old, sourceLocation: sourceLocation)
        let inputBytes = Array(input.utf8)
        let outputBytes = Array(edit.text.utf8)
        var prefixEnd = 0
        while prefixEnd < inputBytes.count && prefixEnd < outputBytes.count
            && inputBytes[prefixEnd] == outputBytes[prefixEnd]
        { prefixEnd += 1 }
        var inputChangeEnd = inputBytes.count
        var outputChangeEnd = outputBytes.count
        while inputChangeEnd > prefixEnd && outputChangeEnd > prefixEnd
            && inputBytes[inputChangeEnd - 1] == outputBytes[outputChangeEnd - 1]
        {
            inputChangeEnd -= 1
            outputChangeEnd -= 1
        }
        #expect(
            String(decoding: inputBytes[prefixEnd..<inputChangeEnd], as: UTF8.self) == Self.old,
            sourceLocation: sourceLocation)
        #expect(
            String(decoding: outputBytes[prefixEnd..<outputChangeEnd], as: UTF8.self) == Self.new,
            sourceLocation: sourceLocation)
        let lines = input.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map {
            String(decoding: $0, as: UTF8.self)
        }
        #expect(lines.count >= line && lines[line - 1].contains(Self.old), sourceLocation: sourceLocation)
    }

    @Test func style01_plainSingleSource() throws {
        try assertOnlyValueChanged(
            """
            apiVersion: argoproj.io/v1alpha1
            kind: Application
            metadata:
              name: payment-service
            spec:
              source:
                repoURL: https://github.com/acme/payment
                path: deploy
                targetRevision: \(Self.old)
              destination:
                namespace: payments

            """, line: 9)
    }

    @Test func style02_doubleQuotedWithComments() throws {
        try assertOnlyValueChanged(
            """
            # managed by the platform team
            spec:
              source:
                # pinned: do not edit by hand
                targetRevision: "\(Self.old)"   # the pin
                repoURL: "https://github.com/acme/payment"

            """, line: 5)
    }

    @Test func style03_singleQuotedFourSpaceIndent() throws {
        try assertOnlyValueChanged(
            """
            spec:
                project: default
                source:
                    repoURL: 'https://github.com/acme/payment'
                    targetRevision: '\(Self.old)'
                    helm:
                        valueFiles: ['values.yaml']

            """, line: 5)
    }

    @Test func style04_crlfLineEnds() throws {
        let text =
            "apiVersion: argoproj.io/v1alpha1\r\nkind: Application\r\nspec:\r\n  source:\r\n    targetRevision: \(Self.old)\r\n    path: k8s\r\n"
        try assertOnlyValueChanged(text, line: 5)
        let out = try ManifestEditor.setTargetRevision(in: text, to: Self.new).text
        #expect(out.components(separatedBy: "\r\n").count == text.components(separatedBy: "\r\n").count)
    }

    @Test func style05_multiSourcePicksMatchingRepoURL() throws {
        try assertOnlyValueChanged(
            """
            spec:
              sources:
                - repoURL: https://github.com/acme/charts.git
                  chart: payment
                  targetRevision: 1.4.2
                - repoURL: https://github.com/acme/payment.git
                  path: deploy
                  targetRevision: \(Self.old)
                  ref: values

            """, repoURL: "https://github.com/acme/payment", line: 8)
    }

    @Test func style06_multiSourceDashAtParentIndentAndTargetFirst() throws {
        try assertOnlyValueChanged(
            """
            spec:
              sources:
              - targetRevision: v2.0.0
                repoURL: https://github.com/acme/other
              - targetRevision: \(Self.old)
                repoURL: HTTPS://github.com/acme/payment/
              destination: {server: "https://kubernetes.default.svc"}

            """, repoURL: "https://github.com/acme/payment.git", line: 5)
    }

    @Test func style07_keyOrderWithSyncPolicyAndOtherTargetRevisionsElsewhere() throws {
        try assertOnlyValueChanged(
            """
            metadata:
              annotations:
                targetRevision: not-this-one
            spec:
              syncPolicy:
                automated: {prune: true}
              source:
                targetRevision: \(Self.old)
              info:
                - name: targetRevision
                  value: also-not-this

            """, line: 8)
    }

    @Test func style08_multipleDocumentsOnlyOneApplicationSource() throws {
        try assertOnlyValueChanged(
            """
            apiVersion: v1
            kind: ConfigMap
            data:
              targetRevision: nope
            ---
            apiVersion: argoproj.io/v1alpha1
            kind: Application
            spec:
              source:
                targetRevision: \(Self.old)

            """, line: 10)
    }

    @Test func style09_noTrailingNewlineAndTrailingSpaces() throws {
        try assertOnlyValueChanged("spec:\n  source:\n    targetRevision: \(Self.old)   ", line: 3)
    }

    @Test func style10_quotedKeyAndTabbedComment() throws {
        try assertOnlyValueChanged(
            """
            spec:
              "source":
                "targetRevision": \(Self.old) #	pinned by ai-operator
                'repoURL': git@github.com:acme/payment.git

            """, line: 3)
    }

    @Test func style11_unicodeCommentsElsewhere() throws {
        try assertOnlyValueChanged(
            """
            # Déploiement – paiement ✅
            spec:
              source:
                targetRevision: \(Self.old)
                path: "déploiement"

            """, line: 4)
    }

    @Test func refusesTemplatedValues() {
        for templated in ["{{ .Values.revision }}", "\"{{ .Values.revision }}\"", "${REVISION}", "'${REVISION}'"] {
            #expect(
                throws: ManifestEditor.EditError.templated(
                    templated.trimmingCharacters(in: CharacterSet(charactersIn: "\"'")))
            ) {
                try ManifestEditor.setTargetRevision(
                    in: "spec:\n  source:\n    targetRevision: \(templated)\n", to: Self.new)
            }
        }
    }

    @Test func refusesMissingAndAmbiguousValues() {
        #expect(throws: ManifestEditor.EditError.notFound) {
            try ManifestEditor.setTargetRevision(in: "spec:\n  destination:\n    targetRevision: x\n", to: Self.new)
        }
        #expect(throws: ManifestEditor.EditError.notFound) {
            try ManifestEditor.setTargetRevision(in: "spec:\n  source: {targetRevision: x}\n", to: Self.new)
        }
        #expect(throws: ManifestEditor.EditError.ambiguous(count: 2)) {
            try ManifestEditor.setTargetRevision(
                in: "spec:\n  sources:\n    - targetRevision: a\n    - targetRevision: b\n", to: Self.new)
        }
        #expect(throws: ManifestEditor.EditError.notFound) {
            try ManifestEditor.setTargetRevision(
                in: "spec:\n  sources:\n    - repoURL: https://x/a\n      targetRevision: a\n", to: Self.new,
                repoURL: "https://x/b")
        }
    }

    @Test func refusesUnexpectedCurrentValueBlockScalarsAndBadRevisions() {
        #expect(throws: ManifestEditor.EditError.unexpectedCurrentValue(found: "zzz", expected: Self.old)) {
            try ManifestEditor.setTargetRevision(
                in: "spec:\n  source:\n    targetRevision: zzz\n", to: Self.new, expectedCurrent: Self.old)
        }
        #expect(throws: ManifestEditor.EditError.self) {
            try ManifestEditor.setTargetRevision(
                in: "spec:\n  source:\n    targetRevision: |\n      abc\n", to: Self.new)
        }
        #expect(throws: ManifestEditor.EditError.invalidNewValue("a b")) {
            try ManifestEditor.setTargetRevision(in: "spec:\n  source:\n    targetRevision: x\n", to: "a b")
        }
    }
}
