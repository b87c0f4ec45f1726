//! Stable exception ids: a short hash of what an exception or finding is about, so the same
//! item keeps its id across re-runs of the same inputs and, for items carried from month to
//! month (an investment's exception), across months.
//!
//! What the id is made of:
//! - a reconciliation exception: its code; the statement file and the line's bank reference
//!   (or, when the bank gives none, the line's own content: booking date, amount, counterparty
//!   and description — never its row number, which moves when a file is re-exported); the
//!   investment id. An exception about a whole file (a control-total break) uses its detail.
//! - a compliance finding: its rule code, investment, investor and offering ids, and for a
//!   sanctions hit the SDN entry number (a new entry matching the same investor is a new item).
//!
//! Ids look like `X-1f2e3d4c5b6a7980` (exceptions) and `F-…` (findings): 64 bits of SHA-256.
//! Two items with the same key in one run (which the engine does not produce) get `.2`, `.3`…
//! in output order, so ids are unique within a run.

use std::collections::{HashMap, HashSet};

use rayon::prelude::*;
use sha2::{Digest, Sha256};
use tieout_domain::Finding;

use crate::model::{ExceptionRow, StatementLine};

/// The statement lines exceptions point at, looked up by (file, row).
pub struct LineIndex<'a> {
    by_pos: HashMap<(&'a str, u32), &'a StatementLine>,
}

impl<'a> LineIndex<'a> {
    /// Indexes the lines that `exceptions` point at (only those: a run may read millions).
    pub fn new(lines: &'a [StatementLine], exceptions: &[ExceptionRow]) -> Self {
        let wanted: HashSet<(&str, u32)> = exceptions
            .iter()
            .filter_map(|e| Some((e.statement_file.as_deref()?, e.statement_row?)))
            .collect();
        let by_pos = lines
            .iter()
            .filter(|l| wanted.contains(&(l.file.as_str(), l.statement_row)))
            .map(|l| ((l.file.as_str(), l.statement_row), l))
            .collect();
        Self { by_pos }
    }

    /// The line at `file` / `row`, when it was read.
    pub fn get(&self, file: &str, row: u32) -> Option<&'a StatementLine> {
        self.by_pos.get(&(file, row)).copied()
    }
}

fn short_hash(prefix: &str, key: &str) -> String {
    let digest = Sha256::digest(key.as_bytes());
    format!("{prefix}-{}", hex::encode(&digest[..8]))
}

/// What identifies a statement line across re-exports of its file: the bank's reference when
/// it gives one, else the line's content.
fn line_key(line: &StatementLine) -> String {
    match line
        .bank_ref
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
    {
        Some(r) => format!("ref {r}"),
        None => format!(
            "content {} {} {} {}",
            line.booking_date,
            line.amount_cents,
            line.counterparty.as_deref().unwrap_or("").trim(),
            line.description
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        ),
    }
}

/// The key an exception's id is hashed from (see the module docs).
pub fn exception_key(e: &ExceptionRow, lines: &LineIndex<'_>) -> String {
    let mut key = format!("exception\n{}\n", e.code.as_str());
    if let Some(file) = &e.statement_file {
        key.push_str("file ");
        key.push_str(file);
        key.push('\n');
        match e.statement_row.and_then(|r| lines.get(file, r)) {
            Some(line) => key.push_str(&line_key(line)),
            // Not a line of the statements read (a file-level break, or a decision file's
            // row): what it says is what it is about.
            None => {
                if let Some(r) = e.statement_row {
                    key.push_str(&format!("row {r} "));
                }
                key.push_str(&e.detail);
            }
        }
        key.push('\n');
    }
    if let Some(id) = e.investment_id {
        key.push_str(&format!("investment {id}\n"));
    }
    key
}

/// Makes `ids` unique in order: the second and later copies of an id get `.2`, `.3`, ….
fn dedupe(ids: &mut [String]) {
    let mut seen: HashMap<String, u32> = HashMap::new();
    for id in ids.iter_mut() {
        let n = seen.entry(id.clone()).or_insert(0);
        *n += 1;
        if *n > 1 {
            id.push_str(&format!(".{n}"));
        }
    }
}

/// The id of every exception, in the order given.
pub fn exception_ids(exceptions: &[ExceptionRow], lines: &LineIndex<'_>) -> Vec<String> {
    let mut ids: Vec<String> = exceptions
        .par_iter()
        .map(|e| short_hash("X", &exception_key(e, lines)))
        .collect();
    dedupe(&mut ids);
    ids
}

/// The key a finding's id is hashed from (see the module docs).
pub fn finding_key(f: &Finding) -> String {
    let id = |v: Option<i64>| v.map(|x| x.to_string()).unwrap_or_default();
    let mut key = format!(
        "finding\n{}\ninvestment {}\ninvestor {}\noffering {}\n",
        f.code.as_str(),
        id(f.investment_id),
        id(f.investor_id),
        id(f.offering_id)
    );
    if let Some((_, ent)) = f.figures.iter().find(|(k, _)| k == "ent_num") {
        key.push_str(&format!("sdn entry {ent}\n"));
    }
    key
}

/// The id of every finding, in the order given.
pub fn finding_ids(findings: &[Finding]) -> Vec<String> {
    let mut ids: Vec<String> = findings
        .iter()
        .map(|f| short_hash("F", &finding_key(f)))
        .collect();
    dedupe(&mut ids);
    ids
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;
    use tieout_domain::Severity;

    use super::*;
    use crate::model::{ExceptionCode, SourceFormat};

    fn line(row: u32, bank_ref: Option<&str>) -> StatementLine {
        StatementLine {
            file: "a.csv".into(),
            statement_row: row,
            format: SourceFormat::Csv,
            account: None,
            bank_ref: bank_ref.map(Into::into),
            end_to_end_ref: None,
            entry_ref: None,
            booking_date: NaiveDate::from_ymd_opt(2026, 10, 3).unwrap(),
            value_date: None,
            amount_cents: -500,
            currency: None,
            counterparty: Some("ACME".into()),
            description: "WIRE  OUT".into(),
            type_code: None,
            raw: String::new(),
        }
    }

    fn exc(row: u32) -> ExceptionRow {
        ExceptionRow {
            code: ExceptionCode::UnmatchedDebit,
            severity: Severity::Warning,
            investment_id: None,
            statement_file: Some("a.csv".into()),
            statement_row: Some(row),
            amount_cents: -500,
            detail: format!("row {row}"),
        }
    }

    #[test]
    fn a_line_without_a_bank_reference_keeps_its_id_when_rows_move() {
        let a = [line(3, None)];
        let b = [line(9, None)];
        let ea = [exc(3)];
        let eb = [exc(9)];
        let ia = exception_ids(&ea, &LineIndex::new(&a, &ea));
        let ib = exception_ids(&eb, &LineIndex::new(&b, &eb));
        assert_eq!(ia, ib);
        assert!(ia[0].starts_with("X-") && ia[0].len() == 18, "{}", ia[0]);
    }

    #[test]
    fn the_bank_reference_decides_when_there_is_one() {
        let a = [line(3, Some("R1")), line(4, Some("R2"))];
        let e = [exc(3), exc(4)];
        let ids = exception_ids(&e, &LineIndex::new(&a, &e));
        assert_ne!(ids[0], ids[1]);
    }

    #[test]
    fn investment_exceptions_depend_on_code_and_investment_only() {
        let mk = |detail: &str| ExceptionRow {
            code: ExceptionCode::UnmatchedInvestment,
            severity: Severity::Warning,
            investment_id: Some(7),
            statement_file: None,
            statement_row: None,
            amount_cents: 100,
            detail: detail.into(),
        };
        let (e1, e2) = ([mk("October")], [mk("November, still missing")]);
        let none: [StatementLine; 0] = [];
        assert_eq!(
            exception_ids(&e1, &LineIndex::new(&none, &e1)),
            exception_ids(&e2, &LineIndex::new(&none, &e2))
        );
    }

    #[test]
    fn duplicates_get_a_suffix() {
        let a = [line(3, Some("R1"))];
        let e = [exc(3), exc(3)];
        let ids = exception_ids(&e, &LineIndex::new(&a, &e));
        assert_eq!(ids[1], format!("{}.2", ids[0]));
    }
}
