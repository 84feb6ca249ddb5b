//! Timestamps as the API shows them: RFC 3339 UTC strings from Unix milliseconds,
//! without a date library (the Worker has only `Date.now()`).

/// A day in milliseconds: every hold, window and daily count in Edgeref is in UTC days.
pub const DAY_MS: i64 = 86_400_000;

/// `2026-11-24T22:11:49.123Z` for Unix milliseconds (proleptic Gregorian, UTC).
///
/// ```
/// assert_eq!(edgeref_shared::time::rfc3339(0), "1970-01-01T00:00:00.000Z");
/// assert_eq!(edgeref_shared::time::rfc3339(1_614_265_330_000), "2021-02-25T15:02:10.000Z");
/// ```
pub fn rfc3339(unix_ms: i64) -> String {
    let (days, ms_of_day) = (unix_ms.div_euclid(DAY_MS), unix_ms.rem_euclid(DAY_MS));
    let (y, m, d) = civil_from_days(days);
    let (h, min, s, ms) = (ms_of_day / 3_600_000, ms_of_day / 60_000 % 60, ms_of_day / 1000 % 60, ms_of_day % 1000);
    format!("{y:04}-{m:02}-{d:02}T{h:02}:{min:02}:{s:02}.{ms:03}Z")
}

/// Parses what `rfc3339` writes, and the same without milliseconds or with an
/// offset of `Z`/`+00:00`: the forms API filters accept. `None` for anything else.
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    let s = s.strip_suffix('Z').or_else(|| s.strip_suffix("+00:00"))?;
    let (date, time) = s.split_once('T')?;
    let num = |t: &str| -> Option<i64> { t.bytes().all(|b| b.is_ascii_digit()).then(|| t.parse().ok())? };
    let mut d = date.splitn(3, '-').map(num);
    let (y, m, day) = (d.next()??, d.next()??, d.next()??);
    let (hms, ms) = match time.split_once('.') {
        Some((hms, frac)) if (1..=3).contains(&frac.len()) => (hms, num(&format!("{frac:0<3}"))?),
        Some(_) => return None,
        None => (time, 0),
    };
    let mut t = hms.splitn(3, ':').map(num);
    let (h, min, sec) = (t.next()??, t.next()??, t.next()??);
    if !(1..=12).contains(&m) || !(1..=31).contains(&day) || h > 23 || min > 59 || sec > 59 || !(1970..=9999).contains(&y) {
        return None;
    }
    let days = days_from_civil(y, m, day);
    if civil_from_days(days) != (y, m, day) {
        return None; // 31 April and friends
    }
    Some(days * DAY_MS + h * 3_600_000 + min * 60_000 + sec * 1000 + ms)
}

/// Howard Hinnant's `civil_from_days`.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// The same moment `months` calendar months later (UTC), the day clamped to the month's last:
/// 31 January + 1 month is 28 (or 29) February.
///
/// ```
/// use edgeref_shared::time::{add_months, parse_rfc3339, rfc3339};
/// let jan31 = parse_rfc3339("2026-01-31T10:00:00Z").unwrap();
/// assert_eq!(rfc3339(add_months(jan31, 1)), "2026-02-28T10:00:00.000Z");
/// assert_eq!(rfc3339(add_months(jan31, 13)), "2027-02-28T10:00:00.000Z");
/// ```
pub fn add_months(unix_ms: i64, months: u32) -> i64 {
    let (days, ms_of_day) = (unix_ms.div_euclid(DAY_MS), unix_ms.rem_euclid(DAY_MS));
    let (y, m, d) = civil_from_days(days);
    let index = y * 12 + (m - 1) + i64::from(months);
    let (y, m) = (index.div_euclid(12), index.rem_euclid(12) + 1);
    let last = (28..=31).rev().find(|&d| civil_from_days(days_from_civil(y, m, d)) == (y, m, d)).unwrap_or(28);
    days_from_civil(y, m, d.min(last)) * DAY_MS + ms_of_day
}

/// Howard Hinnant's `days_from_civil`.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn months_are_added_by_the_calendar_with_the_day_clamped() {
        let at = |s: &str| parse_rfc3339(s).unwrap();
        assert_eq!(add_months(at("2026-03-15T08:30:00Z"), 0), at("2026-03-15T08:30:00Z"));
        assert_eq!(add_months(at("2026-03-15T08:30:00Z"), 1), at("2026-04-15T08:30:00Z"));
        assert_eq!(add_months(at("2026-12-15T00:00:00Z"), 1), at("2027-01-15T00:00:00Z"));
        assert_eq!(add_months(at("2026-11-30T00:00:00Z"), 2), at("2027-01-30T00:00:00Z"));
        assert_eq!(add_months(at("2024-01-31T23:59:59Z"), 1), at("2024-02-29T23:59:59Z"), "leap year");
        assert_eq!(add_months(at("2026-01-31T00:00:00Z"), 3), at("2026-04-30T00:00:00Z"));
        assert_eq!(add_months(at("2026-05-31T00:00:00Z"), 1), at("2026-06-30T00:00:00Z"));
        assert_eq!(add_months(at("2026-01-31T00:00:00Z"), 120), at("2036-01-31T00:00:00Z"));
    }

    proptest! {
        #[test]
        fn adding_months_keeps_the_time_of_day_and_moves_forward(at in 0i64..4_000_000_000_000, months in 0u32..=240) {
            let later = add_months(at, months);
            prop_assert_eq!(later.rem_euclid(DAY_MS), at.rem_euclid(DAY_MS));
            prop_assert!(later >= at + i64::from(months) * 28 * DAY_MS && later <= at + i64::from(months) * 31 * DAY_MS);
        }
    }

    #[test]
    fn known_dates() {
        assert_eq!(rfc3339(951_782_400_000), "2000-02-29T00:00:00.000Z");
        assert_eq!(rfc3339(1_795_990_309_001), "2026-11-29T22:11:49.001Z");
        assert_eq!(parse_rfc3339("2000-02-29T00:00:00Z"), Some(951_782_400_000));
        assert_eq!(parse_rfc3339("2000-02-29T00:00:00.5+00:00"), Some(951_782_400_500));
        for bad in ["", "2000-02-30T00:00:00Z", "2001-02-29T00:00:00Z", "2000-13-01T00:00:00Z", "2000-01-01T24:00:00Z", "2000-01-01 00:00:00Z", "2000-01-01T00:00:00", "2000-01-01T00:00:00.1234Z", "+2000-01-01T00:00:00Z"] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
    }

    #[test]
    fn fields_are_checked_at_their_upper_and_lower_bounds() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_rfc3339("9999-12-31T23:59:59.999Z"), Some(253_402_300_799_999));
        for bad in [
            "1969-12-31T23:59:59Z",
            "10000-01-01T00:00:00Z",
            "2000-00-01T00:00:00Z",
            "2000-01-00T00:00:00Z",
            "2000-01-32T00:00:00Z",
            "2000-01-01T00:60:00Z",
            "2000-01-01T00:00:60Z",
            "2000-01-01T00:00:00.Z",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
    }

    #[test]
    fn out_of_range_fields_are_refused_before_any_arithmetic_could_overflow() {
        for bad in [
            "2000-99999999999999999-01T00:00:00Z",
            "2000-01-9223372036854775807T00:00:00Z",
            "9223372036854775807-01-01T00:00:00Z",
            "2000-01-01T9223372036854775807:00:00Z",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
    }

    proptest! {
        #[test]
        fn rfc3339_round_trips(ms in 0i64..253_402_300_799_999) {
            prop_assert_eq!(parse_rfc3339(&rfc3339(ms)), Some(ms));
        }
    }
}
