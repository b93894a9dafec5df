/// Calendar arithmetic on the proleptic Gregorian calendar in UTC, with no formatter, locale
/// or time zone (the core and the audit log format timestamps without Foundation's calendar).
public enum CivilDate {
    /// Year, month (1-12) and day (1-31) of a day counted from 1970-01-01 (Howard Hinnant's
    /// civil-from-days algorithm).
    public static func from(days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let shiftedDays = days + 719468
        let era = (shiftedDays >= 0 ? shiftedDays : shiftedDays - 146096) / 146097
        let doe = shiftedDays - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
