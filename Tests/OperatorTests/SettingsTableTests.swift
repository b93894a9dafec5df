import Foundation
import Operator
import RollbackCore
import Testing

/// Each setting is declared once, in `Settings.all`: the README's table is rendered from it,
/// and every timing setting reaches exactly one field of the core's configuration.
@Suite struct SettingsTableTests {
    /// The repository root, found from this file's path (Tests/OperatorTests/SettingsTableTests.swift).
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    @Test func theReadmeTableIsTheRenderedSettingsTable() throws {
        let readme = try String(contentsOf: Self.root.appendingPathComponent("README.md"), encoding: .utf8)
        let begin = "<!-- settings-table: rendered by `ai-operator config table`; edit Settings.swift, not this -->"
        let end = "<!-- settings-table end -->"
        let start = try #require(readme.range(of: begin), "README.md lacks the settings table's opening marker")
        let stop = try #require(readme.range(of: end), "README.md lacks the settings table's closing marker")
        let table = readme[start.upperBound..<stop.lowerBound].trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(table == Settings.markdownTable(), "README.md's settings table differs: run `ai-operator config table`")
    }

    @Test func settingNamesAreUnique() {
        let names = Settings.all.map(\.name)
        #expect(Set(names).count == names.count)
    }

    @Test func everyTimingSettingReachesItsOwnCoreField() throws {
        let timingSettings = Settings.all.filter { setting in
            switch setting.kind {
            case .seconds, .checks: return true
            default: return false
            }
        }
        #expect(timingSettings.count == 18)
        // Values no field of the core holds by default (its quotas and limits are 3, 5, 10, 50).
        func distinctValue(_ index: Int, _ setting: Setting) -> Double {
            if case .checks = setting.kind { return 97 }
            return Double(7001 + index)
        }
        var environment = baseEnvironment(dataDir: "/d")
        for (index, setting) in timingSettings.enumerated() {
            environment[setting.name] = String(Int(distinctValue(index, setting)))
        }
        let config = try OperatorConfig.load(from: ConfigSource(environment: environment))
        // Each distinct value lands in exactly one field of the core's configuration, and the
        // field is the one the setting names.
        let fieldValues = Mirror(reflecting: config.core).children.map { child -> Double? in
            if let number = child.value as? Double { return number }
            if let number = child.value as? Int { return Double(number) }
            return nil
        }
        for (index, setting) in timingSettings.enumerated() {
            let expected = distinctValue(index, setting)
            #expect(config.timing(setting.name) == expected, "\(setting.name)")
            #expect(fieldValues.filter { $0 == expected }.count == 1, "\(setting.name) reached more than one field")
        }
    }

    @Test func defaultsOfTimingSettingsAreTheCoreDefaults() throws {
        let config = try OperatorConfig.load(from: ConfigSource(environment: baseEnvironment(dataDir: "/d")))
        #expect(config.core == RollbackConfiguration.default)
        #expect(Settings.named("POLL_INTERVAL_SEC")?.defaultText == "10")
        #expect(Settings.named("DEGRADATION_PERSISTENCE_CHECKS")?.defaultText == "3")
    }

    @Test func boundsAreEnforcedWithTheUnitNamed() throws {
        var environment = baseEnvironment(dataDir: "/d")
        environment["CI_WAIT_TIMEOUT"] = "40000000"
        #expect(throws: ConfigError.invalid("CI_WAIT_TIMEOUT", "expected at most 31536000 seconds")) {
            try OperatorConfig.load(from: ConfigSource(environment: environment))
        }
        environment["CI_WAIT_TIMEOUT"] = nil
        environment["DEGRADATION_PERSISTENCE_CHECKS"] = "2.5"
        #expect(throws: ConfigError.invalid("DEGRADATION_PERSISTENCE_CHECKS", "expected a whole number of checks")) {
            try OperatorConfig.load(from: ConfigSource(environment: environment))
        }
        environment["DEGRADATION_PERSISTENCE_CHECKS"] = "101"
        #expect(throws: ConfigError.invalid("DEGRADATION_PERSISTENCE_CHECKS", "expected at most 100 checks")) {
            try OperatorConfig.load(from: ConfigSource(environment: environment))
        }
    }

    @Test func configCheckPrintsEverySettingInTheTablesOrder() throws {
        let config = try OperatorConfig.load(from: ConfigSource(environment: baseEnvironment(dataDir: "/d")))
        #expect(config.redactedSummary.map(\.0) == Settings.all.map(\.name))
        let summary = Dictionary(uniqueKeysWithValues: config.redactedSummary)
        #expect(summary["API_TOKEN"] == "set")
        #expect(summary["SLACK_WEBHOOK_URL"] == "unset")
        #expect(summary["POLL_INTERVAL_SEC"] == "10")
    }
}
