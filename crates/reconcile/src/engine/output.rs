//! CSV writers for the run's outputs. Deterministic: fixed sort orders, scores with three
//! decimals, money as integer cents.

use crate::model::{ExceptionRow, MatchRow, Reject};

fn finish(w: csv::Writer<Vec<u8>>) -> String {
    let bytes = w.into_inner().unwrap_or_default();
    String::from_utf8(bytes).unwrap_or_default()
}

/// `matches.csv`: investment_id,statement_file,statement_row,statement_ref,rule,score,
/// expected_cents,bank_cents,difference_cents — sorted by file, row, investment id, rule.
pub fn matches_csv(rows: &[MatchRow]) -> String {
    let mut sorted: Vec<&MatchRow> = rows.iter().collect();
    sorted.sort_by(|a, b| {
        (&a.statement_file, a.statement_row, a.investment_id, &a.rule).cmp(&(
            &b.statement_file,
            b.statement_row,
            b.investment_id,
            &b.rule,
        ))
    });
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record([
        "investment_id",
        "statement_file",
        "statement_row",
        "statement_ref",
        "rule",
        "score",
        "expected_cents",
        "bank_cents",
        "difference_cents",
    ]);
    for r in sorted {
        let _ = w.write_record([
            r.investment_id.to_string(),
            r.statement_file.clone(),
            r.statement_row.to_string(),
            r.statement_ref.clone().unwrap_or_default(),
            r.rule.clone(),
            format!("{:.3}", r.score),
            r.expected_cents.to_string(),
            r.bank_cents.to_string(),
            r.difference_cents.to_string(),
        ]);
    }
    finish(w)
}

/// `exceptions.csv`: code,severity,investment_id,statement_file,statement_row,amount_cents,detail
/// — sorted by code, file, row, investment id, detail.
pub fn exceptions_csv(rows: &[ExceptionRow]) -> String {
    let mut sorted: Vec<&ExceptionRow> = rows.iter().collect();
    sorted.sort_by(|a, b| ExceptionRow::output_order(a, b));
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record([
        "code",
        "severity",
        "investment_id",
        "statement_file",
        "statement_row",
        "amount_cents",
        "detail",
    ]);
    for r in sorted {
        let _ = w.write_record([
            r.code.as_str().to_string(),
            r.severity.as_str().to_string(),
            r.investment_id.map(|i| i.to_string()).unwrap_or_default(),
            r.statement_file.clone().unwrap_or_default(),
            r.statement_row.map(|i| i.to_string()).unwrap_or_default(),
            r.amount_cents.to_string(),
            r.detail.clone(),
        ]);
    }
    finish(w)
}

/// `rejects.csv`: file,row,column,reason,raw — sorted by file, row, column.
pub fn rejects_csv(rows: &[Reject]) -> String {
    let mut sorted: Vec<&Reject> = rows.iter().collect();
    sorted.sort_by(|a, b| {
        (&a.file, a.row, &a.column, &a.reason).cmp(&(&b.file, b.row, &b.column, &b.reason))
    });
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(["file", "row", "column", "reason", "raw"]);
    for r in sorted {
        let _ = w.write_record([
            r.file.clone(),
            r.row.to_string(),
            r.column.clone().unwrap_or_default(),
            r.reason.clone(),
            r.raw.clone(),
        ]);
    }
    finish(w)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_sorted_and_scores_fixed() {
        let mk = |file: &str, row: u32, id: i64| MatchRow {
            investment_id: id,
            statement_file: file.into(),
            statement_row: row,
            statement_ref: Some("R,1".into()),
            rule: "exact_reference".into(),
            score: 0.97,
            expected_cents: 100,
            bank_cents: 75,
            difference_cents: -25,
        };
        let out = matches_csv(&[mk("b.csv", 1, 2), mk("a.csv", 9, 1)]);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(
            lines[1],
            "1,a.csv,9,\"R,1\",exact_reference,0.970,100,75,-25"
        );
        assert!(lines[2].starts_with("2,b.csv,1,"));
    }
}
