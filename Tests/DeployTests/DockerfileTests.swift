import Foundation
import Testing

/// Facts read from deploy/Dockerfile (Docker cannot run in the test environment: the file is
/// checked textually).
enum DockerfileFacts {
    struct Stage {
        let from: String
        let name: String?
        var lines: [String] = []
        var text: String { lines.joined(separator: "\n") }
    }

    /// Instructions with continuation lines joined and comments dropped.
    static func instructions(_ text: String) -> [String] {
        var out: [String] = []
        var current = ""
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("#") || (line.isEmpty && current.isEmpty) { continue }
            if line.hasSuffix("\\") {
                current += String(line.dropLast()) + " "
            } else {
                current += line
                if !current.trimmingCharacters(in: .whitespaces).isEmpty { out.append(current) }
                current = ""
            }
        }
        return out
    }

    static func stages(_ text: String) -> [Stage] {
        var stages: [Stage] = []
        for instruction in instructions(text) {
            let parts = instruction.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            if parts.first?.uppercased() == "FROM" {
                let asIndex = parts.firstIndex { $0.uppercased() == "AS" }
                stages.append(
                    Stage(
                        from: parts.count > 1 ? parts[1] : "",
                        name: asIndex.flatMap { $0 + 1 < parts.count ? parts[$0 + 1] : nil }))
            } else if !stages.isEmpty {
                stages[stages.count - 1].lines.append(instruction)
            }
        }
        return stages
    }

    static func argDefault(_ name: String, in text: String) -> String? {
        for instruction in instructions(text) where instruction.hasPrefix("ARG \(name)=") {
            return String(instruction.dropFirst("ARG \(name)=".count))
        }
        return nil
    }

    /// The numeric UID of the final stage's USER.
    static var uid: Int? {
        guard let text = try? Repo.read("deploy/Dockerfile"), let last = stages(text).last else { return nil }
        guard let user = last.lines.last(where: { $0.hasPrefix("USER ") }) else { return nil }
        return Int(user.dropFirst(5).split(separator: ":").first ?? "")
    }
}

@Suite struct DockerfileTests {
    let text: String
    init() throws { text = try Repo.read("deploy/Dockerfile") }

    @Test func buildStageUsesTheOfficialSwiftImageWithTheCLibraries() throws {
        let stages = DockerfileFacts.stages(text)
        #expect(stages.count == 2, "a build stage and a runtime stage")
        let build = try #require(stages.first)
        #expect(build.name == "build")
        var image = build.from
        if image.hasPrefix("${"), let arg = image.dropFirst(2).split(separator: "}").first {
            image = DockerfileFacts.argDefault(String(arg), in: text) ?? image
        }
        #expect(
            image.range(of: #"^swift:6\.[0-9]+(\.[0-9]+)?-bookworm$"#, options: .regularExpression) != nil,
            "official swift:6.x-bookworm image, got \(image)")
        for pkg in ["libmicrohttpd-dev", "libcurl4-openssl-dev", "libssl-dev", "libsqlite3-dev", "pkg-config"] {
            #expect(build.text.contains(pkg), "build stage installs \(pkg)")
        }
        #expect(build.text.contains("swift build -c release --static-swift-stdlib"))
        #expect(build.text.contains("--product ai-operator"))
    }

    @Test func runtimeStageIsSlimNonRootAndRunsServe() throws {
        let stages = DockerfileFacts.stages(text)
        let run = try #require(stages.last)
        #expect(run.from == "debian:bookworm-slim")
        for pkg in ["libmicrohttpd12", "libcurl4", "libssl3", "libsqlite3-0", "ca-certificates", "tzdata"] {
            #expect(run.text.contains(pkg), "runtime installs \(pkg)")
        }
        #expect(!run.text.contains("-dev"), "no -dev package at runtime")
        #expect(
            run.lines.contains { $0.hasPrefix("COPY --from=build ") && $0.hasSuffix(" /usr/local/bin/ai-operator") })
        let uid = try #require(DockerfileFacts.uid, "USER must be numeric (runAsNonRoot can only verify a numeric UID)")
        #expect(uid >= 1000)
        #expect(run.text.contains("--uid \(uid)"), "the user exists with that UID")
        // USER comes after everything that needs root, and is not reset.
        let userIndex = try #require(run.lines.lastIndex { $0.hasPrefix("USER ") })
        #expect(!run.lines[userIndex...].contains { $0.hasPrefix("RUN ") })
        #expect(run.lines.contains(#"ENTRYPOINT ["/usr/local/bin/ai-operator"]"#))
        #expect(run.lines.contains(#"CMD ["serve"]"#))
        #expect(run.lines.contains("EXPOSE 8080"))
        #expect(run.text.contains("DATA_DIR=/var/lib/ai-operator"))
    }

    @Test func dockerignoreKeepsEveryTargetDirectory() throws {
        let ignore = try Repo.read("deploy/Dockerfile.dockerignore")
        let entries = ignore.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter {
            !$0.isEmpty && !$0.hasPrefix("#")
        }
        #expect(entries.contains(".build") && entries.contains(".git"))
        for needed in ["Sources", "Tests", "bench", "Package.swift", "bench/CoreBench", "*"] {
            #expect(!entries.contains(needed), "\(needed) is needed by swift build")
        }
    }
}
