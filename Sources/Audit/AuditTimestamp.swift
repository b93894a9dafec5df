import Foundation
import RollbackCore

/// Audit timestamps: UTC, milliseconds, `2026-02-27T10:30:00.123Z`, with integer arithmetic
/// (no formatter, no locale, no floating-point rounding on the way back).
public enum AuditTimestamp {
    /// Milliseconds since 1970 of `date`, rounded down.
    public static func milliseconds(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
    }

    /// `2026-02-27T10:30:00.123Z`.
    public static func format(milliseconds ms: Int64) -> String {
        let secondsTotal = floorDiv(ms, 1000)
        let milli = ms - secondsTotal * 1000
        let days = floorDiv(secondsTotal, 86400)
        let secs = secondsTotal - days * 86400
        let (y, m, d) = CivilDate.from(days: days)
        var s = pad(y, 4) + "-" + pad(m, 2) + "-" + pad(d, 2)
        s += "T" + pad(secs / 3600, 2) + ":" + pad(secs % 3600 / 60, 2) + ":" + pad(secs % 60, 2)
        s += "." + pad(milli, 3) + "Z"
        return s
    }

    public static func format(_ date: Date) -> String { format(milliseconds: milliseconds(date)) }

    /// Parses exactly the `format` shape; `nil` for anything else.
    public static func parse(_ text: String) -> Int64? {
        let b = Array(text.utf8)
        guard b.count == 24, b[4] == 0x2D, b[7] == 0x2D, b[10] == 0x54, b[13] == 0x3A, b[16] == 0x3A,
            b[19] == 0x2E, b[23] == 0x5A
        else { return nil }
        func num(_ from: Int, _ to: Int) -> Int64? {
            var v: Int64 = 0
            for i in from..<to {
                guard b[i] >= 0x30, b[i] <= 0x39 else { return nil }
                v = v * 10 + Int64(b[i] - 0x30)
            }
            return v
        }
        guard let y = num(0, 4), let mo = num(5, 7), let d = num(8, 10), let h = num(11, 13),
            let mi = num(14, 16), let s = num(17, 19), let ms = num(20, 23),
            (1...12).contains(mo), d >= 1, d <= daysInMonth(y, mo), h < 24, mi < 60, s < 60
        else { return nil }
        let days = days(fromCivil: y, mo, d)
        return ((days * 86400) + h * 3600 + mi * 60 + s) * 1000 + ms
    }

    /// The UTC day of a timestamp as used in file names: `2026.02.27`.
    public static func day(milliseconds ms: Int64) -> String {
        let (y, m, d) = CivilDate.from(days: floorDiv(floorDiv(ms, 1000), 86400))
        return pad(y, 4) + "." + pad(m, 2) + "." + pad(d, 2)
    }

    /// Days since 1970-01-01 of a `YYYY.MM.DD` day name, or `nil`.
    static func dayNumber(_ day: String) -> Int64? {
        let b = Array(day.utf8)
        guard b.count == 10, b[4] == 0x2E, b[7] == 0x2E else { return nil }
        guard let y = Int64(day.prefix(4)), let m = Int64(day.dropFirst(5).prefix(2)), let d = Int64(day.suffix(2)),
            (1...12).contains(m), d >= 1, d <= daysInMonth(y, m)
        else { return nil }
        return days(fromCivil: y, m, d)
    }

    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 { a >= 0 ? a / b : -((-a + b - 1) / b) }

    private static func pad(_ v: Int64, _ w: Int) -> String {
        let s = String(v)
        return s.count >= w ? s : String(repeating: "0", count: w - s.count) + s
    }

    private static func isLeap(_ y: Int64) -> Bool { (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 }
    private static func daysInMonth(_ y: Int64, _ m: Int64) -> Int64 {
        switch m {
        case 2: isLeap(y) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days from civil (Howard Hinnant).
    static func days(fromCivil y0: Int64, _ m: Int64, _ d: Int64) -> Int64 {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }
}
