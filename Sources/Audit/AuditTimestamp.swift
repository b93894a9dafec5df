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
        let (year, month, dayOfMonth) = CivilDate.from(days: days)
        var text = pad(year, 4) + "-" + pad(month, 2) + "-" + pad(dayOfMonth, 2)
        text += "T" + pad(secs / 3600, 2) + ":" + pad(secs % 3600 / 60, 2) + ":" + pad(secs % 60, 2)
        text += "." + pad(milli, 3) + "Z"
        return text
    }

    public static func format(_ date: Date) -> String { format(milliseconds: milliseconds(date)) }

    /// Parses exactly the `format` shape; `nil` for anything else.
    public static func parse(_ text: String) -> Int64? {
        let bytes = Array(text.utf8)
        guard bytes.count == 24, bytes[4] == 0x2D, bytes[7] == 0x2D, bytes[10] == 0x54, bytes[13] == 0x3A,
            bytes[16] == 0x3A,
            bytes[19] == 0x2E, bytes[23] == 0x5A
        else { return nil }
        func num(_ from: Int, _ to: Int) -> Int64? {
            var value: Int64 = 0
            for i in from..<to {
                guard bytes[i] >= 0x30, bytes[i] <= 0x39 else { return nil }
                value = value * 10 + Int64(bytes[i] - 0x30)
            }
            return value
        }
        guard let year = num(0, 4), let month = num(5, 7), let dayOfMonth = num(8, 10), let hour = num(11, 13),
            let minute = num(14, 16), let second = num(17, 19), let ms = num(20, 23),
            (1...12).contains(month), dayOfMonth >= 1, dayOfMonth <= daysInMonth(year, month), hour < 24, minute < 60,
            second < 60
        else { return nil }
        let days = days(fromCivil: year, month, dayOfMonth)
        return ((days * 86400) + hour * 3600 + minute * 60 + second) * 1000 + ms
    }

    /// The UTC day of a timestamp as used in file names: `2026.02.27`.
    public static func day(milliseconds ms: Int64) -> String {
        let (year, month, dayOfMonth) = CivilDate.from(days: floorDiv(floorDiv(ms, 1000), 86400))
        return pad(year, 4) + "." + pad(month, 2) + "." + pad(dayOfMonth, 2)
    }

    /// Days since 1970-01-01 of a `YYYY.MM.DD` day name, or `nil`.
    static func dayNumber(_ day: String) -> Int64? {
        let bytes = Array(day.utf8)
        guard bytes.count == 10, bytes[4] == 0x2E, bytes[7] == 0x2E else { return nil }
        guard let year = Int64(day.prefix(4)), let month = Int64(day.dropFirst(5).prefix(2)),
            let dayOfMonth = Int64(day.suffix(2)),
            (1...12).contains(month), dayOfMonth >= 1, dayOfMonth <= daysInMonth(year, month)
        else { return nil }
        return days(fromCivil: year, month, dayOfMonth)
    }

    static func floorDiv(_ dividend: Int64, _ divisor: Int64) -> Int64 {
        dividend >= 0 ? dividend / divisor : -((-dividend + divisor - 1) / divisor)
    }

    private static func pad(_ value: Int64, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }

    private static func isLeap(_ year: Int64) -> Bool { (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 }
    private static func daysInMonth(_ year: Int64, _ month: Int64) -> Int64 {
        switch month {
        case 2: isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days from civil (Howard Hinnant).
    static func days(fromCivil civilYear: Int64, _ month: Int64, _ dayOfMonth: Int64) -> Int64 {
        let year = month <= 2 ? civilYear - 1 : civilYear
        let era = (year >= 0 ? year : year - 399) / 400
        let yoe = year - era * 400
        let doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + dayOfMonth - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }
}
