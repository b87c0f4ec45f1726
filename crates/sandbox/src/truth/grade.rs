//! Grading every statement line's outcome, not only pairs: each truth line kind maps to what a
//! correct engine does with it ([`Expected`]); a run's outcome per line ([`LineOutcome`]) is
//! right or wrong; exceptions no plant explains are false alarms; planted exceptions the run
//! did not report are misses; truth lines the loaders lost are wrong (and their pairs missed).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::{Reported, Score, Truth};

/// What a correct engine does with one statement line, from its truth kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expected {
    /// Matched to exactly these investments.
    Match(BTreeSet<i64>),
    /// A line of an investment with a planted exception elsewhere (the first of a duplicated
    /// wire): matched to these investments, or under an exception.
    MatchOrException(BTreeSet<i64>),
    /// Set aside, with a reason containing this word (lower case).
    Ignore(&'static str),
    /// The credit of an escrow release on the issuer's account: set aside as a transfer, or
    /// matched (to the investments of its release).
    TransferOrMatch,
    /// Reported as an exception with this code on the line (a planted exception).
    Exception(String),
}

impl Expected {
    /// The expectation of a truth line of `kind` listing `ids`, `planted` being the code of a
    /// planted exception on the line, `planted_investment` whether one of `ids` has a planted
    /// exception elsewhere.
    pub fn of(kind: &str, ids: &[i64], planted: Option<&str>, planted_investment: bool) -> Self {
        if let Some(code) = planted {
            return Expected::Exception(code.to_string());
        }
        let set: BTreeSet<i64> = ids.iter().copied().collect();
        match kind {
            "bank_fee" => Expected::Ignore("fee"),
            "disbursement_out" | "disbursement_in" => Expected::Ignore("transfer"),
            "escrow_release_in" => Expected::TransferOrMatch,
            _ if planted_investment => Expected::MatchOrException(set),
            // A line of no investment that no plant explains is set aside for a reason.
            _ if set.is_empty() => Expected::Ignore(""),
            _ => Expected::Match(set),
        }
    }

    /// Whether `o` is what this expects.
    pub fn holds(&self, o: &LineOutcome) -> bool {
        let ignored = |word: &str| {
            o.matched.is_empty()
                && o.codes.is_empty()
                && o.ignored.iter().any(|r| r.to_lowercase().contains(word))
        };
        match self {
            Expected::Match(ids) => &o.matched == ids && o.codes.is_empty(),
            Expected::MatchOrException(ids) => &o.matched == ids || !o.codes.is_empty(),
            Expected::Ignore(word) => ignored(word),
            Expected::TransferOrMatch => {
                ignored("transfer") || (!o.matched.is_empty() && o.codes.is_empty())
            }
            Expected::Exception(code) => o.codes.contains(code),
        }
    }
}

/// One line of `truth/lines.csv` with what a correct engine does with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TruthLine {
    /// Account id.
    pub account: String,
    /// The line's bank reference (its key in every rendering).
    pub bank_ref: String,
    /// Signed amount in cents.
    pub amount_cents: i64,
    /// Truth kind (`wire`, `escrow_release`, …).
    pub kind: String,
    /// Investments the line pays or returns.
    pub ids: Vec<i64>,
    /// What a correct engine does with it.
    pub expected: Expected,
}

/// What a run did with one statement line: every loaded line carrying its reference (a camt
/// batch entry's items, too) taken together.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineOutcome {
    /// Investments matched to it.
    pub matched: BTreeSet<i64>,
    /// Codes of the exceptions on it.
    pub codes: BTreeSet<String>,
    /// Reasons it (or a part of it) was set aside.
    pub ignored: Vec<String>,
}

/// Lines of one truth kind and how many came out right.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KindGrade {
    /// Truth lines of the kind.
    pub lines: usize,
    /// Lines whose outcome is the expected one.
    pub right: usize,
    /// Lines no loaded line carries (the loader lost them).
    pub lost: usize,
}

/// A run graded line by line against the truth.
#[derive(Debug, Clone, Default)]
pub struct Grade {
    /// Pairs precision/recall and planted exceptions (see [`Truth::score`]).
    pub pairs: Score,
    /// Per truth line kind.
    pub by_kind: BTreeMap<String, KindGrade>,
    /// Lines whose outcome is not the expected one (`bank_ref kind: expected … got …`).
    pub wrong_lines: Vec<String>,
    /// Reported exceptions no planted exception explains.
    pub false_alarms: Vec<String>,
    /// Planted exceptions the run did not report with their code.
    pub missed_planted: Vec<String>,
}

impl Grade {
    /// Truth lines.
    pub fn lines(&self) -> usize {
        self.by_kind.values().map(|k| k.lines).sum()
    }
    /// Lines with the expected outcome.
    pub fn lines_right(&self) -> usize {
        self.by_kind.values().map(|k| k.right).sum()
    }
    /// Lines the loaders lost.
    pub fn lines_lost(&self) -> usize {
        self.by_kind.values().map(|k| k.lost).sum()
    }
    /// Share of lines with the expected outcome (1 with no lines).
    pub fn line_accuracy(&self) -> f64 {
        super::ratio(self.lines_right(), self.lines())
    }
    /// One line for a report.
    pub fn note(&self) -> String {
        format!(
            "{}; lines right {}/{} ({} lost by the loader); false alarms {}",
            self.pairs.note(),
            self.lines_right(),
            self.lines(),
            self.lines_lost(),
            self.false_alarms.len()
        )
    }
    /// Adds another run's grade (several seeds or formats in one row).
    pub fn add(&mut self, o: &Grade) {
        let (a, b) = (&mut self.pairs, &o.pairs);
        a.truth += b.truth;
        a.found += b.found;
        a.correct += b.correct;
        a.planted += b.planted;
        a.planted_reported += b.planted_reported;
        for (k, g) in &o.by_kind {
            let e = self.by_kind.entry(k.clone()).or_default();
            e.lines += g.lines;
            e.right += g.right;
            e.lost += g.lost;
        }
        self.wrong_lines.extend(o.wrong_lines.iter().cloned());
        self.false_alarms.extend(o.false_alarms.iter().cloned());
        self.missed_planted.extend(o.missed_planted.iter().cloned());
    }
}

impl Truth {
    /// Whether reported exception `e` is one a planted exception explains: same code, and the
    /// same investment, the same line, or (for a plant without an investment) the same amount.
    fn explains(&self, e: &Reported<'_>) -> bool {
        self.planted.iter().any(|p| {
            p.code == e.code
                && (p.investment_id.is_some_and(|i| e.investment_id == Some(i))
                    || (!p.bank_ref.is_empty() && e.line_ref == Some(p.bank_ref.as_str()))
                    || (p.investment_id.is_none() && p.amount_cents == e.amount_cents))
        })
    }

    /// Grades a run: pairs (`found`), exceptions (`reported`) and every truth line's outcome
    /// (`outcomes`, by bank reference; a truth line missing there was lost by the loader).
    pub fn grade(
        &self,
        found: impl IntoIterator<Item = (i64, String)>,
        reported: &[Reported<'_>],
        outcomes: &HashMap<String, LineOutcome>,
    ) -> Grade {
        let pairs = self.score(found, reported);
        let mut g = Grade {
            pairs,
            ..Grade::default()
        };
        for l in &self.lines {
            let k = g.by_kind.entry(l.kind.clone()).or_default();
            k.lines += 1;
            match outcomes.get(&l.bank_ref) {
                None => {
                    k.lost += 1;
                    g.wrong_lines
                        .push(format!("{} {}: lost by the loader", l.bank_ref, l.kind));
                }
                Some(o) if l.expected.holds(o) => k.right += 1,
                // A planted exception about the line's investment, reported on the investment
                // with the line matched to it, is the exception on this line.
                Some(o)
                    if matches!(&l.expected, Expected::Exception(code)
                    if !o.matched.is_empty() && o.matched.iter().all(|i| {
                        l.ids.contains(i)
                            && reported
                                .iter()
                                .any(|e| e.code == code && e.investment_id == Some(*i))
                    })) =>
                {
                    k.right += 1
                }
                Some(o) => g.wrong_lines.push(format!(
                    "{} {} {}: expected {:?}, got {:?}",
                    l.bank_ref, l.kind, l.amount_cents, l.expected, o
                )),
            }
        }
        for e in reported.iter().filter(|e| !self.explains(e)) {
            g.false_alarms.push(format!(
                "{} investment {:?} line {:?} amount {}",
                e.code, e.investment_id, e.line_ref, e.amount_cents
            ));
        }
        let mut by_amount: BTreeMap<(&str, i64), usize> = BTreeMap::new();
        for e in reported.iter().filter(|e| e.investment_id.is_none()) {
            *by_amount.entry((e.code, e.amount_cents)).or_default() += 1;
        }
        for p in &self.planted {
            if !self.reported(p, reported, &mut by_amount) {
                g.missed_planted.push(format!(
                    "{} investment {:?} line {} amount {}",
                    p.code, p.investment_id, p.bank_ref, p.amount_cents
                ));
            }
        }
        g
    }
}
