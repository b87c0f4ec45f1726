//! The `YYYY-MM` month a run covers.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};

/// A calendar month.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    /// Year.
    pub year: i32,
    /// Month 1–12.
    pub month: u32,
}

impl Period {
    /// First day of the month.
    pub fn first_day(&self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).expect("validated on parse")
    }

    /// Last day of the month.
    pub fn last_day(&self) -> NaiveDate {
        let (y, m) = if self.month == 12 { (self.year + 1, 1) } else { (self.year, self.month + 1) };
        NaiveDate::from_ymd_opt(y, m, 1).expect("valid").pred_opt().expect("valid")
    }
}

impl FromStr for Period {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("`{s}` is not a month: expected YYYY-MM, e.g. 2026-10");
        let (y, m) = s.trim().split_once('-').ok_or_else(bad)?;
        if y.len() != 4 || m.len() != 2 {
            return Err(bad());
        }
        let year: i32 = y.parse().map_err(|_| bad())?;
        let month: u32 = m.parse().map_err(|_| bad())?;
        NaiveDate::from_ymd_opt(year, month, 1).ok_or_else(bad)?;
        Ok(Self { year, month })
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl From<NaiveDate> for Period {
    fn from(d: NaiveDate) -> Self {
        Self { year: d.year(), month: d.month() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_bounds_months() {
        let p: Period = "2026-02".parse().unwrap();
        assert_eq!(p.first_day().to_string(), "2026-02-01");
        assert_eq!(p.last_day().to_string(), "2026-02-28");
        let d: Period = "2026-12".parse().unwrap();
        assert_eq!(d.last_day().to_string(), "2026-12-31");
        assert_eq!(d.to_string(), "2026-12");
        assert!("2026-13".parse::<Period>().is_err());
        assert!("26-1".parse::<Period>().is_err());
    }
}
