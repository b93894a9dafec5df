import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Re-evaluates `condition` every 10 ms until it holds or `seconds` pass; returns whether it held.
/// For effects that are asynchronous by design (a bounded wait, never a fixed sleep).
public func eventually(within seconds: Double = 5, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while true {
        if try condition() { return true }
        if Date() >= deadline { return false }
        usleep(10_000)
    }
}
