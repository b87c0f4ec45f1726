//! Applying decisions to a run's outcome (see the module docs of [`super`]).

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::NaiveDate;
use tieout_domain::{Book, Finding, RuleCode, Severity};

use super::ids::{LineIndex, exception_ids, finding_ids};
use super::{CarriedDecision, Decision, DecisionFile, DecisionKind, HistoryEntry, ResolvedItem};
use crate::engine::{OpenItem, ReconOutcome, Tolerances};
use crate::model::{ExceptionCode, ExceptionRow, MatchRow, StatementLine};

/// What [`apply`] reads besides the outcome and findings it changes.
#[derive(Debug, Clone, Copy)]
pub struct CloseInput<'a> {
    /// The snapshot (an investment a decision names must exist in it).
    pub book: &'a Book,
    /// Every statement line read this run.
    pub lines: &'a [StatementLine],
    /// The tolerances a manual match's money must tie within.
    pub tolerances: &'a Tolerances,
    /// End of the period (dates the history).
    pub period_end: NaiveDate,
    /// Standing decisions carried from last month's `open-items.json`.
    pub carried: &'a [CarriedDecision],
    /// Decision files, in the order given.
    pub files: &'a [DecisionFile],
}

/// How one decision file fared.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FileReport {
    /// File name.
    pub name: String,
    /// SHA-256.
    pub sha256: String,
    /// Decisions it holds (rows with a decision).
    pub decisions: usize,
    /// Of which applied.
    pub applied: usize,
    /// Of which stale (each a `STALE_DECISION` exception).
    pub stale: usize,
}

/// The result of [`apply`].
#[derive(Debug, Clone, Default)]
pub struct Closing {
    /// The id of each of the outcome's exceptions, in their (output) order.
    pub exception_ids: Vec<String>,
    /// The id of each finding, in order.
    pub finding_ids: Vec<String>,
    /// Standing decisions by item id: `keep_open` items and cleared screening hits, to prefill
    /// the worksheet and to carry into `open-items.json`.
    pub standing: BTreeMap<String, CarriedDecision>,
    /// Items decisions closed this run.
    pub resolved: Vec<ResolvedItem>,
    /// Who decided a manual match, and why, by (file, row, investment id).
    pub manual: crate::engine::ManualNotes,
    /// Per decision file.
    pub files: Vec<FileReport>,
    /// Items carried in from last month's decisions.
    pub carried_in: usize,
}

impl Closing {
    /// The standing decisions to write into next month's `open-items.json`.
    pub fn carry(&self) -> Vec<CarriedDecision> {
        self.standing.values().cloned().collect()
    }
}

/// Where an item lives while decisions are applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Exception(usize),
    Finding(usize),
}

struct State<'a, 'o> {
    input: &'a CloseInput<'a>,
    outcome: &'o mut ReconOutcome,
    findings: &'o mut [Finding],
    /// (id, row, still open) per exception.
    exc: Vec<(String, ExceptionRow, bool)>,
    fids: Vec<String>,
    by_id: HashMap<String, Target>,
    lines: LineIndex<'a>,
    investments: Option<HashSet<i64>>,
    /// Who closed an item already, by id (for a later decision on it).
    closed_by: HashMap<String, String>,
    stale: Vec<ExceptionRow>,
    out: Closing,
}

fn source(d: &Decision, sha: &str) -> String {
    let sheet = d
        .sheet
        .as_ref()
        .map(|s| format!(" sheet {s}"))
        .unwrap_or_default();
    format!(
        "{} (sha256 {}){sheet} row {}",
        d.file,
        &sha[..sha.len().min(12)],
        d.row
    )
}

fn is_screening(code: RuleCode) -> bool {
    matches!(
        code,
        RuleCode::SanctionsNameMatch | RuleCode::AmlWatchlistHit
    )
}

/// Applies carried and file decisions to `outcome` and `findings` (see [`super`]).
pub fn apply(
    input: &CloseInput<'_>,
    outcome: &mut ReconOutcome,
    findings: &mut [Finding],
) -> Closing {
    let exceptions = std::mem::take(&mut outcome.exceptions);
    let lines = LineIndex::new(input.lines, &exceptions);
    let ids = exception_ids(&exceptions, &lines);
    let fids = finding_ids(findings);
    // Ids are looked up only by decisions (carried or this month's).
    let mut by_id = HashMap::new();
    if !input.carried.is_empty() || !input.files.is_empty() {
        for (i, id) in ids.iter().enumerate() {
            by_id.insert(id.clone(), Target::Exception(i));
        }
        for (i, id) in fids.iter().enumerate() {
            by_id.insert(id.clone(), Target::Finding(i));
        }
    }
    let exc = ids
        .into_iter()
        .zip(exceptions)
        .map(|(id, e)| (id, e, true))
        .collect();
    let mut st = State {
        input,
        outcome,
        findings,
        exc,
        fids,
        by_id,
        lines,
        investments: None,
        closed_by: HashMap::new(),
        stale: Vec::new(),
        out: Closing::default(),
    };
    st.carried();
    for f in input.files {
        let mut report = FileReport {
            name: f.name.clone(),
            sha256: f.sha256.clone(),
            decisions: f.decisions.len(),
            applied: 0,
            stale: 0,
        };
        for d in &f.decisions {
            match st.decide(d, &f.sha256) {
                Ok(()) => report.applied += 1,
                Err((reason, amount)) => {
                    report.stale += 1;
                    st.stale_decision(d, &reason, amount);
                }
            }
        }
        st.out.files.push(report);
    }
    st.finish()
}

impl State<'_, '_> {
    fn investment_exists(&mut self, id: i64) -> bool {
        let book = self.input.book;
        self.investments
            .get_or_insert_with(|| book.investments.iter().map(|i| i.id).collect())
            .contains(&id)
    }

    /// Carried standing decisions: attached to the item they name when it is still reported
    /// (an investment's exception also by investment, should its code have changed); a
    /// statement line's exception whose file is not read this run is carried itself; any
    /// other is closed as no longer open.
    fn carried(&mut self) {
        let read_files: HashSet<&str> = self.input.lines.iter().map(|l| l.file.as_str()).collect();
        for c in self.input.carried {
            self.out.carried_in += 1;
            let target = self.by_id.get(&c.exception_id).copied().or_else(|| {
                let inv = c.investment_id?;
                let same_line = c.exception.as_ref().map(|e| e.statement_file.is_none());
                (c.kind == "reconciliation" && same_line != Some(false))
                    .then(|| {
                        self.exc.iter().position(|(_, e, open)| {
                            *open && e.investment_id == Some(inv) && e.statement_file.is_none()
                        })
                    })
                    .flatten()
                    .map(Target::Exception)
            });
            let mut c = c.clone();
            match target {
                Some(Target::Exception(i)) => {
                    c.exception_id = self.exc[i].0.clone();
                    c.code = self.exc[i].1.code.as_str().to_string();
                    if c.exception.is_some() {
                        c.exception = Some(self.exc[i].1.clone());
                    }
                    self.out.standing.insert(c.exception_id.clone(), c);
                }
                Some(Target::Finding(i)) => {
                    if c.decision == DecisionKind::FalsePositive {
                        let last = c.history.last().cloned();
                        if let Some(h) = last {
                            clear_finding(&mut self.findings[i], &h.decided_by, &h.note, &h.source);
                        }
                    }
                    self.out.standing.insert(c.exception_id.clone(), c);
                }
                None => match c.exception.clone() {
                    Some(e)
                        if e.statement_file
                            .as_deref()
                            .is_some_and(|f| !read_files.contains(f)) =>
                    {
                        // The line is on last month's statement: it stays open.
                        *self
                            .outcome
                            .summary
                            .exceptions_by_code
                            .entry(e.code.as_str().to_string())
                            .or_default() += 1;
                        self.by_id
                            .insert(c.exception_id.clone(), Target::Exception(self.exc.len()));
                        self.exc.push((c.exception_id.clone(), e, true));
                        self.out.standing.insert(c.exception_id.clone(), c);
                    }
                    _ => self.out.resolved.push(ResolvedItem {
                        exception_id: c.exception_id.clone(),
                        kind: c.kind.clone(),
                        code: c.code.clone(),
                        severity: String::new(),
                        investment_id: c.investment_id,
                        statement_file: c.exception.as_ref().and_then(|e| e.statement_file.clone()),
                        statement_row: c.exception.as_ref().and_then(|e| e.statement_row),
                        amount_cents: c.exception.as_ref().map_or(0, |e| e.amount_cents),
                        detail: "No longer reported this period (matched, or no longer in scope)."
                            .into(),
                        decision: "no_longer_open".into(),
                        match_investment_ids: Vec::new(),
                        note: c.note.clone(),
                        decided_by: c.decided_by.clone(),
                        decision_file: "open-items.json".into(),
                        decision_file_sha256: String::new(),
                        decision_row: None,
                    }),
                },
            }
        }
    }

    /// Applies one decision; `Err((reason, amount at stake))` when it does not fit.
    fn decide(&mut self, d: &Decision, sha: &str) -> Result<(), (String, i64)> {
        let Some(target) = self.by_id.get(&d.exception_id).copied() else {
            let reason = match self.closed_by.get(&d.exception_id) {
                Some(by) => format!("the item was already closed by {by}"),
                None => {
                    "no exception or finding of this run has this id (unknown, or no longer open)"
                        .into()
                }
            };
            return Err((reason, 0));
        };
        match target {
            Target::Finding(i) => self.decide_finding(d, sha, i),
            Target::Exception(i) => {
                if !self.exc[i].2 {
                    let by = self
                        .closed_by
                        .get(&d.exception_id)
                        .cloned()
                        .unwrap_or_default();
                    return Err((
                        format!("the item was already closed by {by}"),
                        self.exc[i].1.amount_cents,
                    ));
                }
                match d.kind {
                    DecisionKind::Match => self.manual_match(d, sha, i),
                    DecisionKind::AcceptDifference if !d.match_investment_ids.is_empty() => {
                        self.manual_match(d, sha, i)
                    }
                    DecisionKind::KeepOpen => {
                        self.keep(d, sha, i);
                        Ok(())
                    }
                    _ => {
                        if !d.match_investment_ids.is_empty() {
                            return Err((
                                format!(
                                    "`{}` names investments; only `match` or `accept_difference` pair a line with investments",
                                    d.kind.as_str()
                                ),
                                self.exc[i].1.amount_cents,
                            ));
                        }
                        self.close(i, d, sha, &[]);
                        Ok(())
                    }
                }
            }
        }
    }

    fn history(&self, d: &Decision, sha: &str) -> HistoryEntry {
        HistoryEntry {
            period_end: self.input.period_end,
            decision: d.kind,
            note: d.note.clone(),
            decided_by: d.decided_by.clone(),
            source: source(d, sha),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn standing(
        &mut self,
        id: &str,
        kind: &str,
        code: &str,
        inv: Option<i64>,
        d: &Decision,
        sha: &str,
        exception: Option<ExceptionRow>,
    ) {
        let entry = self.history(d, sha);
        let c = self
            .out
            .standing
            .entry(id.to_string())
            .or_insert_with(|| CarriedDecision {
                exception_id: id.to_string(),
                kind: kind.to_string(),
                code: code.to_string(),
                investment_id: inv,
                decision: d.kind,
                note: String::new(),
                decided_by: String::new(),
                history: Vec::new(),
                exception: None,
            });
        c.decision = d.kind;
        c.note = d.note.clone();
        c.decided_by = d.decided_by.clone();
        c.history.push(entry);
        if exception.is_some() {
            c.exception = exception;
        }
    }

    fn keep(&mut self, d: &Decision, sha: &str, i: usize) {
        let (id, e, _) = self.exc[i].clone();
        let carried_line = e.statement_file.is_some().then(|| e.clone());
        self.standing(
            &id,
            "reconciliation",
            e.code.as_str(),
            e.investment_id,
            d,
            sha,
            carried_line,
        );
    }

    fn decide_finding(&mut self, d: &Decision, sha: &str, i: usize) -> Result<(), (String, i64)> {
        let f = self.findings[i].clone();
        let id = self.fids[i].clone();
        match d.kind {
            DecisionKind::KeepOpen => {
                self.standing(
                    &id,
                    "compliance",
                    f.code.as_str(),
                    f.investment_id,
                    d,
                    sha,
                    None,
                );
                Ok(())
            }
            DecisionKind::FalsePositive if is_screening(f.code) => {
                if f.severity == Severity::Info {
                    return Err(("the screening hit is already cleared".into(), 0));
                }
                let src = source(d, sha);
                self.out.resolved.push(ResolvedItem {
                    exception_id: id.clone(),
                    kind: "compliance".into(),
                    code: f.code.as_str().into(),
                    severity: f.severity.as_str().into(),
                    investment_id: f.investment_id,
                    statement_file: None,
                    statement_row: None,
                    amount_cents: 0,
                    detail: f.detail.clone(),
                    decision: d.kind.as_str().into(),
                    match_investment_ids: Vec::new(),
                    note: d.note.clone(),
                    decided_by: d.decided_by.clone(),
                    decision_file: d.file.clone(),
                    decision_file_sha256: sha.into(),
                    decision_row: Some(d.row),
                });
                clear_finding(&mut self.findings[i], &d.decided_by, &d.note, &src);
                self.standing(
                    &id,
                    "compliance",
                    f.code.as_str(),
                    f.investment_id,
                    d,
                    sha,
                    None,
                );
                Ok(())
            }
            DecisionKind::FalsePositive => Err((
                format!(
                    "`false_positive` clears screening hits (OFAC, AML watchlist) only; {} is decided by the data: correct it on the platform",
                    f.code.as_str()
                ),
                0,
            )),
            other => Err((
                format!(
                    "`{}` does not apply to a compliance finding (use false_positive on a screening hit, or keep_open)",
                    other.as_str()
                ),
                0,
            )),
        }
    }

    /// Closes exception `i` (and records it as resolved by `d`).
    fn close(&mut self, i: usize, d: &Decision, sha: &str, invs: &[i64]) {
        let (id, e, open) = &mut self.exc[i];
        if !*open {
            return;
        }
        *open = false;
        let id = id.clone();
        let e = e.clone();
        if let Some(n) = self
            .outcome
            .summary
            .exceptions_by_code
            .get_mut(e.code.as_str())
        {
            *n = n.saturating_sub(1);
            if *n == 0 {
                self.outcome
                    .summary
                    .exceptions_by_code
                    .remove(e.code.as_str());
            }
        }
        // An investment's exception closed by a decision is not carried to next month.
        if let (Some(inv), None) = (e.investment_id, &e.statement_file) {
            self.outcome
                .open_items
                .items
                .retain(|o| !(o.investment_id == inv && o.code == e.code.as_str()));
        }
        self.out.standing.remove(&id);
        self.closed_by.insert(id.clone(), source(d, sha));
        self.out.resolved.push(ResolvedItem {
            exception_id: id,
            kind: "reconciliation".into(),
            code: e.code.as_str().into(),
            severity: e.severity.as_str().into(),
            investment_id: e.investment_id,
            statement_file: e.statement_file.clone(),
            statement_row: e.statement_row,
            amount_cents: e.amount_cents,
            detail: e.detail.clone(),
            decision: d.kind.as_str().into(),
            match_investment_ids: invs.to_vec(),
            note: d.note.clone(),
            decided_by: d.decided_by.clone(),
            decision_file: d.file.clone(),
            decision_file_sha256: sha.into(),
            decision_row: Some(d.row),
        });
    }

    fn method_tolerance(&self, item: &OpenItem) -> i64 {
        let t = self.input.tolerances;
        let m = match (item.kind.as_str(), item.method.as_str()) {
            ("refund", _) => &t.refund,
            ("ach_return", _) => &t.ach_return,
            (_, "card") => &t.card,
            (_, "ach") => &t.ach,
            (_, "ira") => &t.ira,
            (_, "crypto") => &t.crypto,
            _ => &t.wire,
        };
        m.tolerance_cents(item.expected_cents)
    }

    /// A statement line's exception decided as a match with the named investments.
    fn manual_match(&mut self, d: &Decision, sha: &str, i: usize) -> Result<(), (String, i64)> {
        let e = self.exc[i].1.clone();
        let at_stake = e.amount_cents;
        let (Some(file), Some(row)) = (e.statement_file.clone(), e.statement_row) else {
            return Err((
                format!(
                    "a match is decided on a statement line's row; this {} is about investment {} alone",
                    e.code.as_str(),
                    e.investment_id.map(|i| i.to_string()).unwrap_or_default()
                ),
                at_stake,
            ));
        };
        let Some(line) = self.lines.get(&file, row) else {
            return Err((
                format!("{file} row {row} is not among this run's statement lines"),
                at_stake,
            ));
        };
        let line_cents = at_stake;
        let mut items: Vec<OpenItem> = Vec::new();
        for &inv in &d.match_investment_ids {
            if !self.investment_exists(inv) {
                return Err((
                    format!("investment {inv} does not exist in the snapshot"),
                    at_stake,
                ));
            }
            let open = self.outcome.open_items.items.iter().find(|o| {
                o.investment_id == inv && o.expected_cents.signum() == line_cents.signum()
            });
            match open {
                Some(o) => items.push(o.clone()),
                None => {
                    let why = match self.outcome.matches.iter().find(|m| m.investment_id == inv) {
                        Some(m) => format!(
                            "investment {inv} is already matched ({} row {}, {})",
                            m.statement_file, m.statement_row, m.rule
                        ),
                        None => format!(
                            "investment {inv} has no open {} this period",
                            if line_cents < 0 {
                                "refund or return"
                            } else {
                                "payment"
                            }
                        ),
                    };
                    return Err((why, at_stake));
                }
            }
        }
        let expected: i64 = items.iter().map(|o| o.expected_cents).sum();
        let tolerance: i64 = items.iter().map(|o| self.method_tolerance(o)).sum();
        let diff = line_cents - expected;
        if diff.abs() > tolerance && d.kind != DecisionKind::AcceptDifference {
            return Err((
                format!(
                    "the line's {} does not tie to the investments' {} (difference {}, tolerance {}); decide accept_difference to pair them anyway",
                    tieout_domain::format_cents(line_cents),
                    tieout_domain::format_cents(expected),
                    tieout_domain::format_cents(diff),
                    tieout_domain::format_cents(tolerance)
                ),
                at_stake,
            ));
        }
        // The matches: each investment takes its expected cents, the last one the rest.
        let mut left = line_cents;
        for (k, o) in items.iter().enumerate() {
            let bank = if k + 1 == items.len() {
                left
            } else {
                o.expected_cents
            };
            left -= bank;
            self.outcome.matches.push(MatchRow {
                investment_id: o.investment_id,
                statement_file: file.clone(),
                statement_row: row,
                statement_ref: line.bank_ref.clone(),
                rule: "manual".into(),
                score: 1.0,
                expected_cents: o.expected_cents,
                bank_cents: bank,
                difference_cents: bank - o.expected_cents,
            });
            self.out.manual.insert(
                (file.clone(), row, o.investment_id),
                (d.decided_by.clone(), d.note.clone()),
            );
        }
        let invs: Vec<i64> = items.iter().map(|o| o.investment_id).collect();
        // Every exception about the line, and the investments' own (no line) exceptions.
        let related: Vec<usize> = (0..self.exc.len())
            .filter(|&k| {
                let (_, x, open) = &self.exc[k];
                *open
                    && ((x.statement_file.as_deref() == Some(file.as_str())
                        && x.statement_row == Some(row))
                        || (x.statement_file.is_none()
                            && x.investment_id.is_some_and(|v| invs.contains(&v))))
            })
            .collect();
        let s = &mut self.outcome.summary;
        s.lines_exception = s.lines_exception.saturating_sub(1);
        s.lines_matched += 1;
        s.exception_line_cents -= line_cents;
        s.matched_line_cents += line_cents;
        s.movements_exception = s.movements_exception.saturating_sub(invs.len());
        s.movements_matched += invs.len();
        self.outcome.open_items.items.retain(|o| {
            !(invs.contains(&o.investment_id) && o.expected_cents.signum() == line_cents.signum())
        });
        for k in related {
            self.close(k, d, sha, &invs);
        }
        self.outcome.matches.sort_by(|a, b| {
            (&a.statement_file, a.statement_row, a.investment_id).cmp(&(
                &b.statement_file,
                b.statement_row,
                b.investment_id,
            ))
        });
        Ok(())
    }

    fn stale_decision(&mut self, d: &Decision, reason: &str, amount: i64) {
        let sheet = d
            .sheet
            .as_ref()
            .map(|s| format!(", sheet {s}"))
            .unwrap_or_default();
        let invs = if d.match_investment_ids.is_empty() {
            String::new()
        } else {
            format!(
                " of investment {}",
                d.match_investment_ids
                    .iter()
                    .map(i64::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        self.stale.push(ExceptionRow {
            code: ExceptionCode::StaleDecision,
            severity: Severity::Warning,
            investment_id: d.match_investment_ids.first().copied(),
            statement_file: Some(d.file.clone()),
            statement_row: Some(d.row),
            amount_cents: amount,
            detail: format!(
                "Decision `{}`{invs} on {} by {} ({}{sheet}, row {}) no longer fits: {}. Decide it again in this run's exceptions.xlsx.",
                d.kind.as_str(),
                d.exception_id,
                d.decided_by,
                d.file,
                d.row,
                reason
            ),
        });
    }

    fn finish(mut self) -> Closing {
        for s in std::mem::take(&mut self.stale) {
            *self
                .outcome
                .summary
                .exceptions_by_code
                .entry(s.code.as_str().to_string())
                .or_default() += 1;
            self.exc.push((String::new(), s, true));
        }
        let mut kept: Vec<(String, ExceptionRow)> = self
            .exc
            .into_iter()
            .filter(|(_, _, open)| *open)
            .map(|(id, e, _)| (id, e))
            .collect();
        // The stale decisions' ids (about the decision: its file, row and what it said).
        let none: [StatementLine; 0] = [];
        for (id, e) in kept.iter_mut().filter(|(id, _)| id.is_empty()) {
            let one = [e.clone()];
            *id = exception_ids(&one, &LineIndex::new(&none, &one)).remove(0);
        }
        kept.sort_by(|a, b| ExceptionRow::output_order(&a.1, &b.1));
        let (ids, rows): (Vec<String>, Vec<ExceptionRow>) = kept.into_iter().unzip();
        self.outcome.exceptions = rows;
        self.out.exception_ids = ids;
        self.out.finding_ids = self.fids;
        self.out
    }
}

/// Clears a screening finding the way a recorded override does: it stays, as `info`, saying
/// who cleared it and why.
fn clear_finding(f: &mut Finding, by: &str, note: &str, source: &str) {
    if f.severity == Severity::Info {
        return;
    }
    f.severity = Severity::Info;
    f.figures
        .push(("override_decided_by".into(), by.to_string()));
    f.figures.push(("override_note".into(), note.to_string()));
    f.figures
        .push(("override_source".into(), source.to_string()));
    let base = f.detail.trim_end_matches('.').to_string();
    f.detail = format!("{base}; cleared as a false positive by {by} ({source}): {note}.");
}

#[cfg(test)]
#[path = "apply_tests.rs"]
mod tests;
