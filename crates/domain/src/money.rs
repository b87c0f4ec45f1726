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

/// Which investment field holds the securities value (what the investor bought, without fees):
/// the figure the investor limits, minimums, maximums and increments are about.
///
/// The Issuer API does not say: "amount = securities value, price = amount + fees" and "price =
/// securities value, amount = price + fees" are both plausible readings. `quantity ×
/// offering.unit_price` is the one unambiguous figure: [`SecuritiesReading::infer`] counts which
/// field equals it, book-wide.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SecuritiesField {
    /// `amount`.
    Amount,
    /// `price`.
    Price,
}

/// The securities-value field of a book, with the evidence for it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SecuritiesReading {
    /// The field read as the securities value.
    pub field: SecuritiesField,
    /// Investments whose `quantity × unit_price` equals that field (and not the other).
    pub matched: usize,
    /// Investments where `quantity × unit_price` tells the two fields apart.
    pub decisive: usize,
    /// Whether the book decided it (otherwise `amount` is the default, stated as such).
    pub inferred: bool,
}

impl SecuritiesReading {
    /// Counts, over investments whose `price` and `amount` differ and whose offering gives a
    /// `unit_price`, which field equals `quantity × unit_price`; the majority wins (a tie or no
    /// evidence keeps `amount`, not inferred). Pure and order-independent.
    pub fn infer(book: &crate::Book) -> Self {
        let unit: std::collections::HashMap<i64, Decimal> = book
            .offerings
            .iter()
            .filter_map(|o| o.unit_price.map(|u| (o.id, u)))
            .collect();
        let (mut amount, mut price) = (0usize, 0usize);
        for inv in &book.investments {
            let (Some(q), Some(p), Some(u)) = (inv.quantity, inv.price, unit.get(&inv.offering_id))
            else {
                continue;
            };
            if p == inv.amount {
                continue;
            }
            let Some(value) = Decimal::from(q).checked_mul(*u) else {
                continue;
            };
            if value == inv.amount {
                amount += 1;
            } else if value == p {
                price += 1;
            }
        }
        let decisive = amount + price;
        if price > amount {
            Self {
                field: SecuritiesField::Price,
                matched: price,
                decisive,
                inferred: true,
            }
        } else {
            Self {
                field: SecuritiesField::Amount,
                matched: amount,
                decisive,
                inferred: amount > price,
            }
        }
    }

    /// The securities value of one investment under this reading (`amount` when the field read
    /// is `price` but the investment has none).
    pub fn value(&self, inv: &crate::Investment) -> Decimal {
        match self.field {
            SecuritiesField::Price => inv.price.unwrap_or(inv.amount),
            SecuritiesField::Amount => inv.amount,
        }
    }

    /// One sentence for the run summary and the manifest.
    pub fn describe(&self) -> String {
        let field = match self.field {
            SecuritiesField::Amount => "amount",
            SecuritiesField::Price => "price",
        };
        if self.inferred {
            format!(
                "securities value read from `{field}`: it equals quantity × unit_price on {} of {} investments where price and amount differ",
                self.matched, self.decisive
            )
        } else {
            format!(
                "securities value read from `{field}` by default: quantity × unit_price decides {} of {} investments where price and amount differ",
                self.matched, self.decisive
            )
        }
    }
}

#[cfg(test)]
mod securities_tests {
    use super::*;
    use crate::{Book, Offering, fixtures};

    fn book(reading: &str) -> Book {
        let offering = Offering {
            id: 1,
            unit_price: Some(Decimal::new(250, 2)),
            ..fixtures::offering()
        };
        let investments = (1..=4)
            .map(|k| {
                let shares = 100 * k;
                let value = Decimal::new(250 * shares, 2);
                let fees = Decimal::new(1_000 + k, 2);
                let (amount, price) = match reading {
                    "amount" => (value, value + fees),
                    _ => (value + fees, value),
                };
                crate::Investment {
                    id: k,
                    offering_id: 1,
                    quantity: Some(shares),
                    amount,
                    price: Some(price),
                    ..fixtures::investment()
                }
            })
            .collect();
        Book {
            offerings: vec![offering],
            investments,
            ..Book::default()
        }
    }

    #[test]
    fn quantity_times_unit_price_names_the_field() {
        for (reading, field) in [
            ("amount", SecuritiesField::Amount),
            ("price", SecuritiesField::Price),
        ] {
            let b = book(reading);
            let r = SecuritiesReading::infer(&b);
            assert_eq!(
                (r.field, r.matched, r.decisive, r.inferred),
                (field, 4, 4, true)
            );
            for inv in &b.investments {
                let q = Decimal::from(inv.quantity.unwrap_or(0));
                assert_eq!(r.value(inv), q * Decimal::new(250, 2), "{reading}");
            }
        }
    }

    #[test]
    fn no_evidence_keeps_amount_and_says_so() {
        let mut b = book("price");
        b.offerings[0].unit_price = None;
        let r = SecuritiesReading::infer(&b);
        assert_eq!(
            (r.field, r.inferred, r.decisive),
            (SecuritiesField::Amount, false, 0)
        );
        assert!(r.describe().contains("by default"), "{}", r.describe());
    }
}
