// Constant-time comparison of secrets and MACs through libcrypto's `CRYPTO_memcmp`, so that the
// time an answer takes never tells how much of a guess was right.
import COpenSSL

/// Compares two byte buffers without data-dependent early exits when their lengths are
/// equal (`CRYPTO_memcmp`). Buffers of different lengths are unequal; only the length
/// (never the content) can be learned from the timing.
public func constantTimeEquals(_ lhs: UnsafeRawBufferPointer, _ rhs: UnsafeRawBufferPointer) -> Bool {
    guard lhs.count == rhs.count else { return false }
    guard lhs.count > 0, let lhsBase = lhs.baseAddress, let rhsBase = rhs.baseAddress else { return true }
    return CRYPTO_memcmp(lhsBase, rhsBase, lhs.count) == 0
}

/// Constant-time comparison of two byte arrays (see the buffer overload).
public func constantTimeEquals(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
    lhs.withUnsafeBytes { lhsBytes in rhs.withUnsafeBytes { rhsBytes in constantTimeEquals(lhsBytes, rhsBytes) } }
}

/// Constant-time comparison of the UTF-8 bytes of two strings (see the buffer overload).
public func constantTimeEquals(_ lhs: String, _ rhs: String) -> Bool {
    constantTimeEquals(Array(lhs.utf8), Array(rhs.utf8))
}
