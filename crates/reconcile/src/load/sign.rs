//! The one sign rule of every loader: an amount beside a credit/debit indicator (camt.053
//! `CdtDbtInd`, a CSV `CR`/`DR` or `DEBIT`/`CREDIT` column) takes its direction from the
//! indicator, once. A debit is negative whether the file wrote `47.29` or `-47.29` next to it;
//! a credit is positive. A negative amount marked as a credit contradicts itself and is refused
//! (the row becomes a reject naming both), never guessed. Formats without an indicator keep
//! their own rule: BAI2 detail amounts are unsigned with the direction in the type code, OFX
//! `TRNAMT` is signed by the OFX specification, a single CSV amount column is signed.

use tieout_domain::Cents;

/// The direction an indicator states.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    /// Money in.
    Credit,
    /// Money out.
    Debit,
}

/// Signed cents (positive = money in) for `amount` stated with `direction`; `shown` is the
/// amount as written, for the message.
pub(crate) fn apply(amount: Cents, direction: Direction, shown: &str) -> Result<Cents, String> {
    match direction {
        Direction::Debit => Ok(-amount.saturating_abs()),
        Direction::Credit if amount >= 0 => Ok(amount),
        Direction::Credit => Err(format!(
            "amount `{}` is negative but its indicator says credit; the file contradicts itself",
            shown.trim()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_debit_is_negative_once_whatever_the_amount_sign() {
        assert_eq!(apply(4729, Direction::Debit, "47.29"), Ok(-4729));
        assert_eq!(apply(-4729, Direction::Debit, "-47.29"), Ok(-4729));
        assert_eq!(apply(4729, Direction::Credit, "47.29"), Ok(4729));
        assert_eq!(apply(0, Direction::Credit, "0.00"), Ok(0));
        let e = apply(-4729, Direction::Credit, "-47.29").unwrap_err();
        assert!(e.contains("`-47.29`") && e.contains("credit"), "{e}");
    }
}
