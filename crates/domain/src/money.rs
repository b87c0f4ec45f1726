//! Exact money helpers. Money is `rust_decimal::Decimal` at the edges and `i64` cents inside
//! frames and ledgers. Never `f64`.

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

/// Signed amount in minor units (US cents).
pub type Cents = i64;

/// Converts an exact decimal amount to cents, rounding half away from zero at the cent.
///
/// Returns `None` when the amount does not fit in an `i64` number of cents.
pub fn decimal_to_cents(amount: Decimal) -> Option<Cents> {
    let scaled = amount.checked_mul(Decimal::ONE_HUNDRED)?;
    scaled
        .round_dp_with_strategy(0, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
        .to_i64()
}

/// Converts cents back to an exact decimal with two decimal places.
pub fn cents_to_decimal(cents: Cents) -> Decimal {
    Decimal::new(cents, 2)
}

/// Formats cents as `1,234,567.89` (with a leading `-` for negatives), for reports.
pub fn format_cents(cents: Cents) -> String {
    let neg = cents < 0;
    let abs = cents.unsigned_abs();
    let whole = (abs / 100).to_string();
    let frac = abs % 100;
    let mut grouped = String::with_capacity(whole.len() + whole.len() / 3);
    for (i, ch) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    format!("{}{}.{:02}", if neg { "-" } else { "" }, grouped, frac)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn round_trips_cents() {
        let d = Decimal::from_str("1234.565").unwrap();
        assert_eq!(decimal_to_cents(d), Some(123457));
        assert_eq!(
            decimal_to_cents(Decimal::from_str("-0.005").unwrap()),
            Some(-1)
        );
        assert_eq!(cents_to_decimal(123457).to_string(), "1234.57");
    }

    #[test]
    fn formats_with_thousands() {
        assert_eq!(format_cents(0), "0.00");
        assert_eq!(format_cents(-5), "-0.05");
        assert_eq!(format_cents(123456789), "1,234,567.89");
        assert_eq!(format_cents(100000), "1,000.00");
    }
}
