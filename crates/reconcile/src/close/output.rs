//! The closing outputs: `exceptions.csv` with ids, `resolved.csv`, and `open-items.json` with
//! the standing decisions (`matches.csv` with who decided a manual match is the engine's
//! [`crate::engine::matches_csv_with`]).

use super::{CarriedDecision, ResolvedItem};
use crate::engine::OpenItems;
use crate::model::ExceptionRow;

fn finish(w: csv::Writer<Vec<u8>>) -> String {
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|x| x.to_string()).unwrap_or_default()
}

/// `exceptions.csv`: `exception_id` then the engine's columns (code,severity,investment_id,
/// statement_file,statement_row,amount_cents,detail). `ids[i]` is `rows[i]`'s id; rows are
/// written in [`ExceptionRow::output_order`].
pub fn exceptions_csv(ids: &[String], rows: &[ExceptionRow]) -> String {
    let mut order: Vec<usize> = (0..rows.len()).collect();
    order.sort_by(|&a, &b| ExceptionRow::output_order(&rows[a], &rows[b]));
    let mut w = csv::Writer::from_writer(Vec::with_capacity(rows.len() * 160));
    let _ = w.write_record([
        "exception_id",
        "code",
        "severity",
        "investment_id",
        "statement_file",
        "statement_row",
        "amount_cents",
        "detail",
    ]);
    for i in order {
        let r = &rows[i];
        let _ = w.write_record([
            ids.get(i).cloned().unwrap_or_default(),
            r.code.as_str().to_string(),
            r.severity.as_str().to_string(),
            opt(r.investment_id),
            r.statement_file.clone().unwrap_or_default(),
            opt(r.statement_row),
            r.amount_cents.to_string(),
            r.detail.clone(),
        ]);
    }
    finish(w)
}

/// `resolved.csv`: what decisions closed, with who, why and the decision file's hash.
pub fn resolved_csv(rows: &[ResolvedItem]) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record([
        "exception_id",
        "kind",
        "code",
        "severity",
        "investment_id",
        "statement_file",
        "statement_row",
        "amount_cents",
        "detail",
        "decision",
        "match_investment_id",
        "note",
        "decided_by",
        "decision_file",
        "decision_file_sha256",
        "decision_row",
    ]);
    for r in rows {
        let _ = w.write_record([
            r.exception_id.clone(),
            r.kind.clone(),
            r.code.clone(),
            r.severity.clone(),
            opt(r.investment_id),
            r.statement_file.clone().unwrap_or_default(),
            opt(r.statement_row),
            r.amount_cents.to_string(),
            r.detail.clone(),
            r.decision.clone(),
            r.match_investment_ids
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(","),
            r.note.clone(),
            r.decided_by.clone(),
            r.decision_file.clone(),
            r.decision_file_sha256.clone(),
            opt(r.decision_row),
        ]);
    }
    finish(w)
}

/// `open-items.json`: the engine's open items and, when there are any, the standing
/// decisions (`decisions`) carried to next month.
pub fn open_items_json(items: &OpenItems, carry: &[CarriedDecision]) -> String {
    if carry.is_empty() {
        return items.to_json();
    }
    let mut v = serde_json::to_value(items).unwrap_or_default();
    if let Some(m) = v.as_object_mut() {
        m.insert(
            "decisions".into(),
            serde_json::to_value(carry).unwrap_or_default(),
        );
    }
    serde_json::to_string_pretty(&v).unwrap_or_default()
}
