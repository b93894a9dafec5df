import Foundation
import Logging

/// Where log lines go (stderr by default; tests capture them). Every line passes through the
/// redactor first, so a configured secret can never be written, whatever a message holds.
public final class LogOutput: @unchecked Sendable {
    // Safe: `redactor` and `capture` are only touched under `lock`.
    private let lock = NSLock()
    private var redactor = Redactor(secrets: [])
    private var capture: [String]?
    private let fd: Int32

    public init(fd: Int32 = 2, capturing: Bool = false) {
        self.fd = fd
        capture = capturing ? [] : nil
    }

    public func setSecrets(_ secrets: [String]) {
        lock.lock()
        redactor = Redactor(secrets: secrets)
        lock.unlock()
    }

    public func write(_ line: String) {
        lock.lock()
        let safe = redactor.redact(line)
        if capture != nil {
            capture!.append(safe)
        } else {
            var bytes = Array(safe.utf8)
            bytes.append(10)
            bytes.withUnsafeBytes { _ = Foundation.write(fd, $0.baseAddress, $0.count) }
        }
        lock.unlock()
    }

    public var captured: [String] {
        lock.lock()
        defer { lock.unlock() }
        return capture ?? []
    }
}
