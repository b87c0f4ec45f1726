//! The business-day calendar, one home for both of its uses:
//! - filing deadlines ([`add_business_days`], [`next_business_day_on_or_after`]) count US
//!   federal business days (the SEC's filing calendar): weekends and federal holidays
//!   (5 U.S.C. 6103, with Saturday holidays observed on Friday and Sunday holidays on Monday)
//!   are not business days;
//! - settlement windows ([`weekdays_between`]) count weekdays only: a bank holiday inside a
//!   window only delays the money by a day, which the matching tolerances' windows absorb, and
//!   the count stays an O(1) subtraction for the millions of candidate pairs a run scores.

use chrono::{Datelike, Duration, NaiveDate, Weekday};

/// The `n`-th `weekday` of `month` (1-based), or the last one when `n` is 0.
fn nth_weekday(year: i32, month: u32, weekday: Weekday, n: u32) -> Option<NaiveDate> {
    if n == 0 {
        let next = if month == 12 {
            NaiveDate::from_ymd_opt(year + 1, 1, 1)?
        } else {
            NaiveDate::from_ymd_opt(year, month + 1, 1)?
        };
        let mut d = next.pred_opt()?;
        while d.weekday() != weekday {
            d = d.pred_opt()?;
        }
        return Some(d);
    }
    NaiveDate::from_weekday_of_month_opt(year, month, weekday, u8::try_from(n).ok()?)
}

fn observed(d: NaiveDate) -> NaiveDate {
    match d.weekday() {
        Weekday::Sat => d - Duration::days(1),
        Weekday::Sun => d + Duration::days(1),
        _ => d,
    }
}

/// Whether `d` is a US federal holiday (as observed).
pub fn is_federal_holiday(d: NaiveDate) -> bool {
    let y = d.year();
    let fixed = |m: u32, day: u32| NaiveDate::from_ymd_opt(y, m, day).map(observed);
    let mut days = vec![
        fixed(1, 1),
        nth_weekday(y, 1, Weekday::Mon, 3),
        nth_weekday(y, 2, Weekday::Mon, 3),
        nth_weekday(y, 5, Weekday::Mon, 0),
        fixed(7, 4),
        nth_weekday(y, 9, Weekday::Mon, 1),
        nth_weekday(y, 10, Weekday::Mon, 2),
        fixed(11, 11),
        nth_weekday(y, 11, Weekday::Thu, 4),
        fixed(12, 25),
        // New Year's Day of next year observed on Dec 31 of this year.
        NaiveDate::from_ymd_opt(y + 1, 1, 1).map(observed),
    ];
    if y >= 2021 {
        days.push(fixed(6, 19));
    }
    days.into_iter().flatten().any(|h| h == d)
}

/// Whether `d` is a business day.
pub fn is_business_day(d: NaiveDate) -> bool {
    !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) && !is_federal_holiday(d)
}

/// The date `n` business days after `d` (not counting `d` itself).
pub fn add_business_days(d: NaiveDate, n: u32) -> NaiveDate {
    let mut cur = d;
    let mut left = n;
    while left > 0 {
        match cur.succ_opt() {
            Some(next) => cur = next,
            None => return cur,
        }
        if is_business_day(cur) {
            left -= 1;
        }
    }
    cur
}

/// `d` if it is a business day, else the next business day.
pub fn next_business_day_on_or_after(d: NaiveDate) -> NaiveDate {
    let mut cur = d;
    while !is_business_day(cur) {
        match cur.succ_opt() {
            Some(next) => cur = next,
            None => return cur,
        }
    }
    cur
}

fn weekdays_through(d: NaiveDate) -> i64 {
    // Day 1 of the common era (0001-01-01) is a Monday in the proleptic Gregorian calendar.
    let n = i64::from(d.num_days_from_ce());
    (n / 7) * 5 + (n % 7).min(5)
}

/// Signed number of weekdays (Mon–Fri, no holidays) from `from` to `to`: weekdays in
/// (from, to]. Same day → 0; a weekend `to` counts as the Friday before.
#[inline]
pub fn weekdays_between(from: NaiveDate, to: NaiveDate) -> i64 {
    weekdays_through(to) - weekdays_through(from)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn skips_weekends_and_holidays() {
        // Thu 2026-11-19 + 5 business days: Fri 20, Mon 23, Tue 24, Wed 25, (Thu 26 Thanksgiving) Fri 27.
        assert_eq!(add_business_days(d(2026, 11, 19), 5), d(2026, 11, 27));
        // July 4 2026 is a Saturday: observed Friday July 3.
        assert!(is_federal_holiday(d(2026, 7, 3)));
        assert!(!is_business_day(d(2026, 7, 3)));
        assert_eq!(next_business_day_on_or_after(d(2026, 7, 4)), d(2026, 7, 6));
        // Memorial Day 2026: last Monday of May = May 25.
        assert!(is_federal_holiday(d(2026, 5, 25)));
        assert!(!is_federal_holiday(d(2026, 5, 18)));
    }

    #[test]
    fn weekdays_between_agrees_with_a_calendar_walk() {
        let start = d(2026, 9, 20);
        for off in 0..40 {
            let to = start + Duration::days(off);
            let mut walk = 0;
            let mut x = start;
            while x < to {
                x = x.succ_opt().unwrap();
                if !matches!(x.weekday(), Weekday::Sat | Weekday::Sun) {
                    walk += 1;
                }
            }
            assert_eq!(weekdays_between(start, to), walk, "to {to}");
            assert_eq!(weekdays_between(to, start), -walk);
        }
    }
}
