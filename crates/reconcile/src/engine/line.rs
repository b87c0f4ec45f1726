//! Statement lines tokenised once: keys, name tokens and prefixes, upper-cased text, rail.

use rustc_hash::FxHashSet as HashSet;

use chrono::NaiveDate;
use rayon::prelude::*;
use tieout_domain::Cents;

use crate::engine::text::{Rail, key_shaped, key_tokens, line_rail, name_tokens};
use crate::engine::tolerances::Tolerances;
use crate::model::StatementLine;

/// A statement line, tokenised once.
pub(crate) struct Line<'a> {
    pub(crate) src: &'a StatementLine,
    pub(crate) amount: Cents,
    pub(crate) date: NaiveDate,
    pub(crate) keys: Vec<String>,
    pub(crate) names: Vec<String>,
    /// Two-letter prefixes of the name tokens (sorted): a cheap filter before Jaro-Winkler.
    pub(crate) pfx: Vec<u16>,
    pub(crate) upper: String,
    /// The text names a processor settlement (see `Tolerances::batch_words`).
    pub(crate) is_batch: bool,
    /// The text has the words of a custodian's wire (`FBO`, `IRA`): money from an IRA.
    pub(crate) custodial: bool,
    /// The rail the line came by (see [`line_rail`]).
    pub(crate) rail: Rail,
}

/// The two-letter prefix of a token (an initial: the letter and 0); none for an empty token.
pub(crate) fn prefix_of(t: &str) -> Option<u16> {
    let b = t.as_bytes();
    (!b.is_empty()).then(|| (u16::from(b[0]) << 8) | u16::from(*b.get(1).unwrap_or(&0)))
}

pub(crate) fn prefixes<'s>(tokens: impl Iterator<Item = &'s String>) -> Vec<u16> {
    let mut v: Vec<u16> = tokens.filter_map(|t| prefix_of(t)).collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// Whether the investor's name prefixes plausibly appear in the line: at least two shared, counted
/// from either side (one when either side has a single token); a one-letter token (an initial)
/// shares with any token starting with that letter.
pub(crate) fn share_prefix(a: &[u16], b: &[u16]) -> bool {
    let fits =
        |x: u16, y: u16| x == y || ((x & 0xff == 0 || y & 0xff == 0) && (x >> 8) == (y >> 8));
    let count = |p: &[u16], q: &[u16]| p.iter().filter(|&&x| q.iter().any(|&y| fits(x, y))).count();
    // Counted from either side: `HU` stands for both Hữu and Huỳnh once de-duplicated, and the
    // line `H HUYNH` has two prefixes it fits.
    count(a, b).max(count(b, a)) >= a.len().min(b.len()).min(2)
}

impl Line<'_> {
    pub(crate) fn label(&self) -> String {
        format!("{} row {}", self.src.file, self.src.statement_row)
    }
    pub(crate) fn has_word(&self, words: &[&str]) -> bool {
        words.iter().any(|w| self.upper.contains(w))
    }
}

/// The statement lines in the order the engine reads them: by booking date and cents, then
/// file and row (a statement's own order, so of two equal payments the earlier row is the
/// first). The passes break ties by line order, so the order the files were given in, or the
/// lines came in, never decides a match.
pub(crate) fn canonical_order(statement: &[StatementLine]) -> Vec<&StatementLine> {
    let mut v: Vec<&StatementLine> = statement.iter().collect();
    v.par_sort_by(|a, b| {
        (a.booking_date, a.amount_cents, &a.file, a.statement_row).cmp(&(
            b.booking_date,
            b.amount_cents,
            &b.file,
            b.statement_row,
        ))
    });
    v
}

/// Tokenises every statement line once, in parallel, in file order (see [`tokenise_in`]).
#[cfg(test)]
pub(crate) fn tokenise<'a>(
    statement: &'a [StatementLine],
    tol: &Tolerances,
    word_keys: &HashSet<String>,
) -> Vec<Line<'a>> {
    tokenise_in(&statement.iter().collect::<Vec<_>>(), tol, word_keys)
}

/// Tokenises every statement line once, in parallel, in the order given (a run gives the
/// [`canonical_order`]). A key token is kept only when `word_keys` holds it or it is
/// [`key_shaped`].
pub(crate) fn tokenise_in<'a>(
    statement: &[&'a StatementLine],
    tol: &Tolerances,
    word_keys: &HashSet<String>,
) -> Vec<Line<'a>> {
    let batch_words: Vec<String> = tol.batch_words.iter().map(|w| w.to_uppercase()).collect();
    let keep = |k: &str| key_shaped(k) || word_keys.contains(k);
    statement
        .par_iter()
        .map(|&s| {
            let texts: Vec<&str> = [
                Some(s.description.as_str()),
                s.bank_ref.as_deref(),
                s.end_to_end_ref.as_deref(),
                s.entry_ref.as_deref(),
                s.counterparty.as_deref(),
            ]
            .into_iter()
            .flatten()
            .collect();
            let mut names = s
                .counterparty
                .as_deref()
                .map(name_tokens)
                .unwrap_or_default();
            if names.is_empty() {
                names = name_tokens(&s.description);
            }
            // `format!("{} {}", description, counterparty).to_uppercase()` in one allocation.
            let counterparty = s.counterparty.as_deref().unwrap_or("");
            let mut upper = String::with_capacity(s.description.len() + counterparty.len() + 1);
            for part in [s.description.as_str(), " ", counterparty] {
                for c in part.chars() {
                    if c.is_ascii() {
                        upper.push(c.to_ascii_uppercase());
                    } else {
                        upper.extend(c.to_uppercase());
                    }
                }
            }
            Line {
                src: s,
                amount: s.amount_cents,
                date: s.booking_date,
                keys: key_tokens(&texts, keep),
                pfx: prefixes(names.iter()),
                names,
                is_batch: batch_words.iter().any(|w| upper.contains(w.as_str())),
                custodial: upper
                    .split(|c: char| !c.is_ascii_alphanumeric())
                    .any(|w| w == "FBO" || w == "IRA"),
                rail: line_rail(s.type_code.as_deref(), &upper),
                upper,
            }
        })
        .collect()
}
