// The error a test throws when a step it depends on did not happen (`try` then fails the test
// with this description).

/// A test's own failure, with what went wrong.
struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
