// Short forms of a SHA and a fraction, as every text the operator writes shows them.

/// Short forms used in texts.
public enum ShortSHA {
    /// The first 7 characters of a SHA (SPEC 7).
    public static func of(_ sha: String) -> String { String(sha.prefix(7)) }
}

enum Percent {
    /// 0.998 -> "99.8 %"
    static func format(_ fraction: Double) -> String {
        let tenths = (fraction * 1000).rounded()
        let whole = Int(tenths) / 10
        let dec = Int(tenths) % 10
        return dec == 0 ? "\(whole) %" : "\(whole).\(dec) %"
    }
}
