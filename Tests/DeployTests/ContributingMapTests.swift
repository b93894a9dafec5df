import Foundation
import Testing

/// CONTRIBUTING.md maps each SPEC section to the files that implement it and the tests that
/// prove it. The map must stay true: every section it names has at least one file and one test,
/// each path exists, each named test function exists, and every section of the SPEC is either
/// mapped or listed as not built yet.
@Suite struct ContributingMapTests {
    struct Row {
        let section: Int
        let files: [String]
        let tests: [String]
    }

    static func rows(_ text: String) -> [Row] {
        text.split(separator: "\n").compactMap { line -> Row? in
            let cells = line.split(separator: "|", omittingEmptySubsequences: false).map {
                $0.trimmingCharacters(in: .whitespaces)
            }
            guard cells.count >= 6, let section = Int(cells[1]) else { return nil }
            return Row(section: section, files: codeSpans(cells[3]), tests: codeSpans(cells[4]))
        }
    }

    /// The texts between backticks in a Markdown cell.
    static func codeSpans(_ cell: String) -> [String] {
        cell.split(separator: "`", omittingEmptySubsequences: false).enumerated().compactMap { index, part in
            index % 2 == 1 ? String(part) : nil
        }
    }

    @Test func everyMappedSectionHasExistingFilesAndTests() throws {
        let rows = Self.rows(try Repo.read("CONTRIBUTING.md"))
        #expect(rows.count >= 18, "CONTRIBUTING.md's SPEC map has \(rows.count) rows")
        for row in rows {
            #expect(!row.files.isEmpty, "SPEC \(row.section): no file named")
            #expect(!row.tests.isEmpty, "SPEC \(row.section): no test named")
            for file in row.files {
                #expect(FileManager.default.fileExists(atPath: Repo.path(file)), "SPEC \(row.section): \(file) missing")
            }
            for test in row.tests {
                let parts = test.split(separator: "#", maxSplits: 1).map(String.init)
                guard let source = try? Repo.read(parts[0]) else {
                    Issue.record("SPEC \(row.section): test file \(parts[0]) missing")
                    continue
                }
                #expect(source.contains("@Test"), "SPEC \(row.section): \(parts[0]) holds no test")
                if parts.count == 2 {
                    #expect(
                        source.contains("func \(parts[1])("), "SPEC \(row.section): no test \(parts[1]) in \(parts[0])")
                }
            }
        }
    }

    @Test func everySpecSectionIsMappedOrListedAsNotBuilt() throws {
        let spec = try String(
            contentsOf: Repo.root.deletingLastPathComponent().appendingPathComponent("shared/SPEC.md"),
            encoding: .utf8)
        let sections = spec.split(separator: "\n").compactMap { line -> Int? in
            guard line.hasPrefix("## ") else { return nil }
            return Int(line.dropFirst(3).prefix { $0.isNumber })
        }
        #expect(sections.count >= 18, "the SPEC's sections were not found")
        let contributing = try Repo.read("CONTRIBUTING.md")
        let mapped = Set(Self.rows(contributing).map(\.section))
        let notBuilt = Set(
            contributing.split(separator: "\n").filter { $0.hasPrefix("- Not built yet: SPEC ") }.compactMap {
                Int($0.dropFirst("- Not built yet: SPEC ".count).prefix { $0.isNumber })
            })
        for section in sections {
            #expect(
                mapped.contains(section) || notBuilt.contains(section),
                "SPEC section \(section) is neither in CONTRIBUTING.md's map nor listed as not built yet")
        }
    }

    @Test func theParserReadsARow() {
        let rows = Self.rows(
            "| 4 | stability | `Sources/A.swift` | `Tests/B.swift#c`, `Tests/D.swift` |\n| x | y | z | w |")
        #expect(rows.count == 1)
        #expect(rows.first?.section == 4)
        #expect(rows.first?.files == ["Sources/A.swift"])
        #expect(rows.first?.tests == ["Tests/B.swift#c", "Tests/D.swift"])
    }
}
