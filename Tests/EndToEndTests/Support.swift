import Demo
import Foundation
import Logging
import Operator
import RollbackCore
import Simulator
import TestSupport
import Testing

/// A logger whose lines are kept (printed only when asked), so test output stays readable.
func capturingLogger(_ output: LogOutput) -> Logger {
    Logger(label: "e2e") { OperatorLogHandler(label: $0, level: .info, json: false, output: output) }
}

/// One HTTP request to the service on a dedicated thread (the blocking `RawHTTP` never runs
/// on Swift's cooperative pool); the continuation resumes when it answers.
func httpRequest(
    port: Int, _ method: String, _ path: String, token: String? = nil,
    body: [UInt8] = [], timeout: Double = 15
) async throws -> RawHTTPResponse {
    var headers: [(String, String)] = []
    if let token { headers.append(("Authorization", "Bearer \(token)")) }
    if !body.isEmpty { headers.append(("Content-Type", "application/json")) }
    let requestHeaders = headers
    return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<RawHTTPResponse, Error>) in
        let thread = Thread {
            continuation.resume(
                with: Result {
                    try RawHTTP.request(
                        port: port, method: method, path: path, headers: requestHeaders, body: body, timeout: timeout)
                })
        }
        thread.start()
    }
}

/// HMAC-SHA256 hex via python (keeps this test target free of crypto code).
func hmacHex(key: String, body: [UInt8]) -> String {
    let script =
        "import hmac, hashlib, sys; print(hmac.new(sys.argv[1].encode(), sys.stdin.buffer.read(), hashlib.sha256).hexdigest())"
    return (try? runPython(script, args: [key], stdin: body))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
}

/// Runs python3 with a bounded wait; returns stdout or throws with stderr.
func runPython(_ script: String, args: [String], stdin: [UInt8] = []) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", script] + args
    let out = Pipe()
    let err = Pipe()
    let input = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = input
    try process.run()
    input.fileHandleForWriting.write(Data(stdin))
    try input.fileHandleForWriting.close()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    let deadline = Date().addingTimeInterval(60)
    while process.isRunning && Date() < deadline { usleep(10_000) }
    if process.isRunning {
        process.terminate()
        throw RawHTTPError("python3 did not finish in 60 s")
    }
    guard process.terminationStatus == 0 else {
        throw RawHTTPError("python3 failed: \(String(decoding: errData, as: UTF8.self))")
    }
    return String(decoding: data, as: UTF8.self)
}

/// A blocking RawHTTP call on its own thread, so async tests never block Swift's cooperative pool.
func httpAsync(port: Int, method: String, path: String, headers: [(String, String)], body: [UInt8]) async throws
    -> RawHTTPResponse
{
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread {
            continuation.resume(
                with: Result {
                    try RawHTTP.request(port: port, method: method, path: path, headers: headers, body: body)
                })
        }
    }
}

/// Polls `condition` every 20 ms (without blocking a thread) until it holds or `seconds` pass.
func eventuallyAsync(within seconds: Double, _ condition: () -> Bool) async -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if condition() { return true }
        try? await Task.sleep(nanoseconds: 20_000_000)
    }
    return condition()
}
