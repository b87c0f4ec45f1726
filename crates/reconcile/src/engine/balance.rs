//! The balance roll-forward: stated opening and closing balances against the lines between
//! them (BALANCE_BREAK).

use std::collections::BTreeMap;

use tieout_domain::{Cents, Severity};

use crate::engine::ReconInput;
use crate::engine::state::*;
use crate::model::{ExceptionCode, ExceptionRow};

pub(crate) fn balance_breaks(state: &mut State<'_>, input: &ReconInput<'_>) {
    // Balances per (file, account), in date order: a file may state one balance per day or per
    // statement. The chain must tie: each opening equals the previous closing, and the first
    // opening plus every line equals the last closing.
    type Group<'b> = Vec<(usize, &'b crate::model::StatedBalance)>;
    let mut groups: BTreeMap<(String, Option<String>), Group<'_>> = BTreeMap::new();
    for (i, b) in input.balances.iter().enumerate() {
        groups
            .entry((b.file.clone(), b.account.clone()))
            .or_default()
            .push((i, b));
    }
    for ((file, account), mut bs) in groups {
        bs.sort_by_key(|(i, b)| (b.as_of, *i));
        let sum: Cents = state
            .lines
            .iter()
            .filter(|l| l.src.file == file && (account.is_none() || l.src.account == account))
            .map(|l| l.amount)
            .sum();
        let rejected = input.rejects.iter().filter(|r| r.file == file).count();
        let note = if rejected > 0 {
            format!(" ({rejected} rejected rows in this file may explain it)")
        } else {
            String::new()
        };
        let mut breaks: Vec<(Cents, String)> = Vec::new();
        for w in bs.windows(2) {
            let (a, b) = (w[0].1, w[1].1);
            if a.closing_cents != b.opening_cents {
                breaks.push((
                    b.opening_cents - a.closing_cents,
                    format!("Opening {} does not continue the previous closing {}; a statement is missing or was restated.", money(b.opening_cents), money(a.closing_cents)),
                ));
            }
        }
        let (first, last) = (bs[0].1, bs[bs.len() - 1].1);
        let diff = last.closing_cents - first.opening_cents - sum;
        if diff != 0 && breaks.is_empty() {
            breaks.push((
                diff,
                format!(
                    "Opening {} plus lines {} does not equal closing {} (break {}){note}; check for missing or duplicated statement pages.",
                    money(first.opening_cents),
                    money(sum),
                    money(last.closing_cents),
                    money(diff)
                ),
            ));
        }
        for (amount, detail) in breaks {
            state.exceptions.push(PendingException {
                row: ExceptionRow {
                    code: ExceptionCode::BalanceBreak,
                    severity: Severity::Violation,
                    investment_id: None,
                    statement_file: Some(file.clone()),
                    statement_row: None,
                    amount_cents: amount,
                    detail,
                },
                line: None,
                line_cents: 0,
                movement: None,
            });
        }
    }
}

/// A file whose trailer records contradict its own transactions (BAI2 control totals and
/// counts) cannot vouch for its completeness: each contradiction is a `BALANCE_BREAK`.
pub(crate) fn control_breaks(state: &mut State<'_>, input: &ReconInput<'_>) {
    for b in input.control_breaks {
        state.exceptions.push(PendingException {
            row: ExceptionRow {
                code: ExceptionCode::BalanceBreak,
                severity: Severity::Warning,
                investment_id: None,
                statement_file: Some(b.file.clone()),
                statement_row: None,
                amount_cents: 0,
                detail: format!(
                    "{} (line {}, {}); every transaction was read, but ask the bank whether the file is complete.",
                    b.reason,
                    b.row,
                    b.column.as_deref().unwrap_or("trailer")
                ),
            },
            line: None,
            line_cents: 0,
            movement: None,
        });
    }
}
