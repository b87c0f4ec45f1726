//! Currencies: investments on the Issuance platform are in US dollars (the Issuer API states
//! amounts without a currency, in USD), so a statement line in another currency can never be
//! an investment's money. Such lines are set aside before matching and each becomes a
//! `CURRENCY_MISMATCH` exception holding the whole line; the roll-forward of the statements
//! they are on is checked here, in their own currency. Called from one place
//! ([`super::reconcile_beside`]); the passes never see these lines.

use std::collections::BTreeMap;

use tieout_domain::{Cents, Severity, format_cents};

use super::{ReconInput, ReconOutcome};
use crate::model::{ExceptionCode, ExceptionRow, StatedBalance, StatementLine};

/// The currency every investment is in.
pub const BOOK_CURRENCY: &str = "USD";

/// `USD 1,234.56` style amount with its currency code (`-EUR 47.29` for a negative).
pub fn money_in(ccy: &str, c: Cents) -> String {
    if c < 0 {
        format!("-{ccy} {}", format_cents(c.saturating_abs()))
    } else {
        format!("{ccy} {}", format_cents(c))
    }
}

/// Whether a line is in the investments' currency (a line without one is taken as such: the
/// loaders give every line a currency).
fn same_currency(l: &StatementLine) -> bool {
    l.currency
        .as_deref()
        .is_none_or(|c| c.eq_ignore_ascii_case(BOOK_CURRENCY))
}

/// What was set aside: the lines and balances the passes get, and what is added afterwards.
pub(crate) struct SetAside {
    /// Lines in the book's currency.
    pub lines: Vec<StatementLine>,
    /// Balances of statements without a foreign line.
    pub balances: Vec<StatedBalance>,
    exceptions: Vec<ExceptionRow>,
    foreign_lines: usize,
    foreign_cents: Cents,
}

/// Splits off the lines in another currency (and the balances of their statements); `None`
/// when every line is in the book's currency (the common case: nothing is copied).
pub(crate) fn set_aside(input: &ReconInput<'_>) -> Option<SetAside> {
    if input.lines.iter().all(same_currency) {
        return None;
    }
    let mut lines = Vec::new();
    let mut exceptions = Vec::new();
    let mut foreign_cents: Cents = 0;
    let mut foreign_lines = 0usize;
    // (file, account) of every statement holding a foreign line, with its currency.
    let mut foreign_stmts: BTreeMap<(String, Option<String>), String> = BTreeMap::new();
    for l in input.lines {
        if same_currency(l) {
            lines.push(l.clone());
            continue;
        }
        let ccy = l.currency.clone().unwrap_or_default();
        foreign_lines += 1;
        foreign_cents += l.amount_cents;
        foreign_stmts.insert((l.file.clone(), l.account.clone()), ccy.clone());
        exceptions.push(ExceptionRow {
            code: ExceptionCode::CurrencyMismatch,
            severity: Severity::Warning,
            investment_id: None,
            statement_file: Some(l.file.clone()),
            statement_row: Some(l.statement_row),
            amount_cents: l.amount_cents,
            detail: format!(
                "A {} of {} on {}: investments are in {BOOK_CURRENCY}, so it is not matched to any; explain it by hand.",
                if l.amount_cents < 0 { "debit" } else { "credit" },
                money_in(&ccy, l.amount_cents.saturating_abs()),
                l.booking_date
            ),
        });
    }
    let in_foreign = |b: &StatedBalance| {
        foreign_stmts.iter().find_map(|((f, a), ccy)| {
            (f == &b.file && (b.account.is_none() || a.is_none() || a == &b.account))
                .then_some(ccy.clone())
        })
    };
    let mut balances = Vec::new();
    // (file, account) → (currency, its balances)
    type Statement<'b> = (String, Vec<&'b StatedBalance>);
    let mut checked: BTreeMap<(String, Option<String>), Statement<'_>> = BTreeMap::new();
    for b in input.balances {
        match in_foreign(b) {
            None => balances.push(b.clone()),
            Some(ccy) => checked
                .entry((b.file.clone(), b.account.clone()))
                .or_insert_with(|| (ccy, Vec::new()))
                .1
                .push(b),
        }
    }
    // The roll-forward of those statements, in their currency: the first opening plus every
    // line of the statement equals the last closing.
    for ((file, account), (ccy, mut bs)) in checked {
        bs.sort_by_key(|b| b.as_of);
        let sum: Cents = input
            .lines
            .iter()
            .filter(|l| l.file == file && (account.is_none() || l.account == account))
            .map(|l| l.amount_cents)
            .sum();
        let (first, last) = (bs[0], bs[bs.len() - 1]);
        let diff = last.closing_cents - first.opening_cents - sum;
        if diff != 0 {
            exceptions.push(ExceptionRow {
                code: ExceptionCode::BalanceBreak,
                severity: Severity::Violation,
                investment_id: None,
                statement_file: Some(file.clone()),
                statement_row: None,
                amount_cents: diff,
                detail: format!(
                    "Opening {} plus lines {} does not equal closing {} (break {}); check for missing or duplicated statement pages.",
                    money_in(&ccy, first.opening_cents),
                    money_in(&ccy, sum),
                    money_in(&ccy, last.closing_cents),
                    money_in(&ccy, diff)
                ),
            });
        }
    }
    Some(SetAside {
        lines,
        balances,
        exceptions,
        foreign_lines,
        foreign_cents,
    })
}

impl SetAside {
    /// Adds the set-aside lines' exceptions to a run's outcome and summary.
    pub(crate) fn merge_into(self, o: &mut ReconOutcome) {
        let s = &mut o.summary;
        s.lines += self.foreign_lines;
        s.lines_exception += self.foreign_lines;
        s.lines_cents += self.foreign_cents;
        s.exception_line_cents += self.foreign_cents;
        for e in &self.exceptions {
            *s.exceptions_by_code
                .entry(e.code.as_str().to_string())
                .or_default() += 1;
        }
        o.exceptions.extend(self.exceptions);
        o.exceptions.sort_by(ExceptionRow::output_order);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_carry_their_currency_code() {
        assert_eq!(money_in("EUR", 4_729), "EUR 47.29");
        assert_eq!(money_in("GBP", -123_456), "-GBP 1,234.56");
    }
}
