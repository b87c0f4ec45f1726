//! The calendar month a month-end run covers (`YYYY-MM`).

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};

/// A calendar month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Period {
    /// Year, e.g. 2026.
    pub year: i32,
    /// Month, 1–12.
    pub month: u32,
}

/// A string or numbers that are not a month.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a month: expected YYYY-MM, e.g. 2026-10")]
pub struct PeriodError(pub String);

impl Period {
    /// Builds a period, checking the month (years 1900–2200).
    pub fn new(year: i32, month: u32) -> Result<Self, PeriodError> {
        if !(1..=12).contains(&month) || !(1900..=2200).contains(&year) {
            return Err(PeriodError(format!("{year:04}-{month:02}")));
        }
        Ok(Self { year, month })
    }

    /// Parses `YYYY-MM`.
    pub fn parse(s: &str) -> Result<Self, PeriodError> {
        let bad = || PeriodError(s.to_string());
        let (y, m) = s.trim().split_once('-').ok_or_else(bad)?;
        if y.len() != 4 || m.len() != 2 {
            return Err(bad());
        }
        let year = y.parse().map_err(|_| bad())?;
        let month = m.parse().map_err(|_| bad())?;
        Self::new(year, month).map_err(|_| bad())
    }

    /// The month containing `date`.
    pub fn of(date: NaiveDate) -> Self {
        Self {
            year: date.year(),
            month: date.month(),
        }
    }

    /// First day of the month.
    pub fn first_day(&self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).unwrap_or(NaiveDate::MIN)
    }

    /// Last day of the month.
    pub fn last_day(&self) -> NaiveDate {
        let (y, m) = if self.month == 12 {
            (self.year + 1, 1)
        } else {
            (self.year, self.month + 1)
        };
        NaiveDate::from_ymd_opt(y, m, 1)
            .and_then(|d| d.pred_opt())
            .unwrap_or(NaiveDate::MIN)
    }

    /// Whether `date` falls in the month.
    pub fn contains(&self, date: NaiveDate) -> bool {
        date.year() == self.year && date.month() == self.month
    }

    /// `YYYY-MM`.
    pub fn label(&self) -> String {
        self.to_string()
    }
}

impl FromStr for Period {
    type Err = PeriodError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_bounds_months() {
        let p: Period = "2024-02".parse().unwrap();
        assert_eq!(p.first_day().to_string(), "2024-02-01");
        assert_eq!(p.last_day().to_string(), "2024-02-29");
        let d = Period::parse("2026-12").unwrap();
        assert_eq!(d.last_day().to_string(), "2026-12-31");
        assert_eq!(d.to_string(), "2026-12");
        assert!(d.contains(NaiveDate::from_ymd_opt(2026, 12, 31).unwrap()));
        assert!(!d.contains(NaiveDate::from_ymd_opt(2027, 1, 1).unwrap()));
        for bad in ["2026-13", "26-10", "2026-1", "202610", "2026-00", ""] {
            assert!(Period::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            Period::parse("x").unwrap_err().to_string(),
            "`x` is not a month: expected YYYY-MM, e.g. 2026-10"
        );
    }
}
