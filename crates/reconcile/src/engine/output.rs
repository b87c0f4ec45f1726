//! CSV writers for the run's outputs. Deterministic: fixed sort orders, scores with three
//! decimals, money as integer cents. Every text cell goes through
//! [`tieout_domain::safe_text::csv_text`], so text from a statement (`=HYPERLINK(…)`) is never a
//! formula when the CSV is opened in a spreadsheet; numeric columns stay numbers.

use rayon::prelude::*;
use tieout_domain::safe_text::csv_text;

use crate::model::{ExceptionRow, MatchRow, Reject};

fn finish(w: csv::Writer<Vec<u8>>) -> String {
    let bytes = w.into_inner().unwrap_or_default();
    String::from_utf8(bytes).unwrap_or_default()
}

/// Rows per chunk of [`par_csv`].
const CSV_CHUNK: usize = 16_384;

/// The CSV text of `header` and `rows` (in that order). Chunks of rows are written on every
/// core and joined: a record's text depends on that record alone. `row` writes one record's
/// fields (`buf` is scratch for numbers); the record is ended here.
fn par_csv<T: Sync>(
    header: &[&str],
    rows: &[&T],
    row: impl Fn(&mut csv::Writer<Vec<u8>>, &T, &mut String) + Sync,
) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(header);
    let head = w.into_inner().unwrap_or_default();
    let chunks: Vec<Vec<u8>> = rows
        .par_chunks(CSV_CHUNK)
        .map(|chunk| {
            let mut w = csv::Writer::from_writer(Vec::with_capacity(chunk.len() * 96));
            let mut buf = String::new();
            for r in chunk {
                row(&mut w, r, &mut buf);
                let _ = w.write_record(std::iter::empty::<&[u8]>());
            }
            w.into_inner().unwrap_or_default()
        })
        .collect();
    let mut out = head;
    out.reserve(chunks.iter().map(Vec::len).sum());
    for c in chunks {
        out.extend_from_slice(&c);
    }
    String::from_utf8(out).unwrap_or_default()
}

/// Writes `v`'s `Display` text as one field, through `buf`.
fn num_field(w: &mut csv::Writer<Vec<u8>>, buf: &mut String, v: impl std::fmt::Display) {
    use std::fmt::Write;
    buf.clear();
    let _ = write!(buf, "{v}");
    let _ = w.write_field(buf.as_bytes());
}

/// `matches.csv`: investment_id,statement_file,statement_row,statement_ref,rule,score,
/// expected_cents,bank_cents,difference_cents — sorted by file, row, investment id, rule.
pub fn matches_csv(rows: &[MatchRow]) -> String {
    let mut sorted: Vec<&MatchRow> = rows.iter().collect();
    sorted.par_sort_by(|a, b| {
        (&a.statement_file, a.statement_row, a.investment_id, &a.rule).cmp(&(
            &b.statement_file,
            b.statement_row,
            b.investment_id,
            &b.rule,
        ))
    });
    let header = [
        "investment_id",
        "statement_file",
        "statement_row",
        "statement_ref",
        "rule",
        "score",
        "expected_cents",
        "bank_cents",
        "difference_cents",
    ];
    par_csv(&header, &sorted, |w, r, buf| {
        num_field(w, buf, r.investment_id);
        let _ = w.write_field(csv_text(&r.statement_file).as_ref());
        num_field(w, buf, r.statement_row);
        let _ = w.write_field(csv_text(r.statement_ref.as_deref().unwrap_or("")).as_ref());
        let _ = w.write_field(csv_text(&r.rule).as_ref());
        num_field(w, buf, format_args!("{:.3}", r.score));
        num_field(w, buf, r.expected_cents);
        num_field(w, buf, r.bank_cents);
        num_field(w, buf, r.difference_cents);
    })
}

/// `exceptions.csv`: code,severity,investment_id,statement_file,statement_row,amount_cents,detail
/// — sorted by code, file, row, investment id, detail.
pub fn exceptions_csv(rows: &[ExceptionRow]) -> String {
    let mut sorted: Vec<&ExceptionRow> = rows.iter().collect();
    sorted.par_sort_by(|a, b| ExceptionRow::output_order(a, b));
    let header = [
        "code",
        "severity",
        "investment_id",
        "statement_file",
        "statement_row",
        "amount_cents",
        "detail",
    ];
    par_csv(&header, &sorted, |w, r, buf| {
        let _ = w.write_field(r.code.as_str());
        let _ = w.write_field(r.severity.as_str());
        match r.investment_id {
            Some(i) => num_field(w, buf, i),
            None => {
                let _ = w.write_field("");
            }
        }
        let _ = w.write_field(csv_text(r.statement_file.as_deref().unwrap_or("")).as_ref());
        match r.statement_row {
            Some(i) => num_field(w, buf, i),
            None => {
                let _ = w.write_field("");
            }
        }
        num_field(w, buf, r.amount_cents);
        let _ = w.write_field(csv_text(&r.detail).as_ref());
    })
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
            csv_text(&r.file).as_ref(),
            r.row.to_string().as_str(),
            csv_text(r.column.as_deref().unwrap_or_default()).as_ref(),
            csv_text(&r.reason).as_ref(),
            csv_text(&r.raw).as_ref(),
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

    #[test]
    fn text_cells_are_never_formulas_and_amounts_stay_numbers() {
        let m = MatchRow {
            investment_id: 7,
            statement_file: "bank.csv".into(),
            statement_row: 3,
            statement_ref: Some("=HYPERLINK(\"http://evil\",\"x\")".into()),
            rule: "exact_reference".into(),
            score: 1.0,
            expected_cents: 4729,
            bank_cents: -4729,
            difference_cents: -9458,
        };
        let out = matches_csv(&[m]);
        let mut r = csv::Reader::from_reader(out.as_bytes());
        let rec = r.records().next().unwrap().unwrap();
        assert_eq!(&rec[3], "'=HYPERLINK(\"http://evil\",\"x\")");
        assert_eq!(
            (&rec[7], &rec[8]),
            ("-4729", "-9458"),
            "numbers stay numbers"
        );
        let rejects = rejects_csv(&[Reject {
            file: "bank.csv".into(),
            row: 4,
            column: Some("amount".into()),
            reason: "-not an amount".into(),
            raw: "\t=2+2,+cmd|' /C calc'!A0,@SUM(A1)".into(),
        }]);
        let mut r = csv::Reader::from_reader(rejects.as_bytes());
        let rec = r.records().next().unwrap().unwrap();
        assert_eq!(&rec[3], "'-not an amount");
        assert_eq!(&rec[4], "'\t=2+2,+cmd|' /C calc'!A0,@SUM(A1)");
        assert_eq!(&rec[1], "4");
    }
}
