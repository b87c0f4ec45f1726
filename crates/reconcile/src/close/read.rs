//! Reading decision files: the `exceptions.xlsx` worksheet filled in by a person, or a CSV with
//! the columns `exception_id,decision,match_investment_id,note,decided_by` (any order, extra
//! columns ignored, headings matched without case, spaces or punctuation, so the workbook's
//! `Exception ID` and `Decided by` headings serve too). Rows whose decision is blank are
//! skipped: the worksheet lists every open item and only the decided ones count.

use std::io::Cursor;

use calamine::{Data, Reader};

use super::{Decision, DecisionError, DecisionKind};

/// The workbook sheets decisions are read from, in this order (others are ignored).
pub const DECISION_SHEETS: [&str; 2] = ["Reconciliation", "Findings"];

/// Columns of a decision table, by position.
struct Columns {
    id: usize,
    decision: usize,
    match_ids: Option<usize>,
    note: Option<usize>,
    decided_by: Option<usize>,
}

fn norm(h: &str) -> String {
    h.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

fn columns(file: &str, header: &[String]) -> Result<Columns, DecisionError> {
    let find = |want: &dyn Fn(&str) -> bool| header.iter().position(|h| want(&norm(h)));
    let missing = |col: &'static str| DecisionError::MissingColumn {
        file: file.to_string(),
        column: col,
    };
    Ok(Columns {
        id: find(&|h| h == "exceptionid").ok_or_else(|| missing("exception_id"))?,
        decision: find(&|h| h == "decision").ok_or_else(|| missing("decision"))?,
        match_ids: find(&|h| h.starts_with("matchinvestmentid")),
        note: find(&|h| h == "note"),
        decided_by: find(&|h| h == "decidedby"),
    })
}

/// Parses one data row (`cells` as text). `None` when the row holds no decision.
fn row(
    file: &str,
    sheet: Option<&str>,
    row_no: u32,
    cols: &Columns,
    cells: &[String],
) -> Result<Option<Decision>, DecisionError> {
    let get = |i: Option<usize>| {
        i.and_then(|i| cells.get(i))
            .map(|s| s.trim().to_string())
            .unwrap_or_default()
    };
    let decision = get(Some(cols.decision));
    if decision.is_empty() {
        return Ok(None);
    }
    let err = |column: &str, reason: String| DecisionError::Row {
        file: file.to_string(),
        sheet: sheet.map(str::to_string),
        row: row_no,
        column: column.to_string(),
        reason,
    };
    let kind = DecisionKind::parse(&decision).ok_or_else(|| {
        err(
            "decision",
            format!(
                "`{decision}` is not a decision (use one of {})",
                DecisionKind::ALL.map(|k| k.as_str()).join(", ")
            ),
        )
    })?;
    let exception_id = get(Some(cols.id));
    if exception_id.is_empty() {
        return Err(err(
            "exception_id",
            "a decision needs the exception id it decides".into(),
        ));
    }
    let mut match_investment_ids = Vec::new();
    for part in get(cols.match_ids)
        .split([',', ';', ' '])
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        // Excel may hand a typed id back as `120.0`.
        let text = part.strip_suffix(".0").unwrap_or(part);
        let id: i64 = text.parse().map_err(|_| {
            err(
                "match_investment_id",
                format!("`{part}` is not an investment id (ids are whole numbers, several separated by commas)"),
            )
        })?;
        match_investment_ids.push(id);
    }
    if kind == DecisionKind::Match && match_investment_ids.is_empty() {
        return Err(err(
            "match_investment_id",
            "a `match` names the investment(s) the line pays".into(),
        ));
    }
    let decided_by = get(cols.decided_by);
    if decided_by.is_empty() {
        return Err(err("decided_by", "every decision names who made it".into()));
    }
    Ok(Some(Decision {
        exception_id,
        kind,
        match_investment_ids,
        note: get(cols.note),
        decided_by,
        file: file.to_string(),
        sheet: sheet.map(str::to_string),
        row: row_no,
    }))
}

/// Parses a decisions CSV (see the module docs).
pub fn parse_csv(file: &str, bytes: &[u8]) -> Result<Vec<Decision>, DecisionError> {
    let text = std::str::from_utf8(bytes).map_err(|_| DecisionError::Format {
        file: file.to_string(),
        reason: "not UTF-8 text".into(),
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut r = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(false)
        .from_reader(text.as_bytes());
    let mut records = r.records();
    let header: Vec<String> = match records.next() {
        Some(h) => h
            .map_err(|e| DecisionError::Format {
                file: file.to_string(),
                reason: e.to_string(),
            })?
            .iter()
            .map(str::to_string)
            .collect(),
        None => return Ok(Vec::new()),
    };
    let cols = columns(file, &header)?;
    let mut out = Vec::new();
    for (i, rec) in records.enumerate() {
        let row_no = u32::try_from(i + 2).unwrap_or(u32::MAX);
        let rec = rec.map_err(|e| DecisionError::Format {
            file: file.to_string(),
            reason: format!("line {row_no}: {e}"),
        })?;
        let cells: Vec<String> = rec.iter().map(str::to_string).collect();
        if let Some(d) = row(file, None, row_no, &cols, &cells)? {
            out.push(d);
        }
    }
    Ok(out)
}

fn cell_text(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => format!("{}", *f as i64),
        Data::Int(i) => i.to_string(),
        other => other.to_string(),
    }
}

/// Parses decisions from a filled-in `exceptions.xlsx` (the sheets in [`DECISION_SHEETS`]
/// that are present; at least one must be).
pub fn parse_xlsx(file: &str, bytes: &[u8]) -> Result<Vec<Decision>, DecisionError> {
    let fail = |reason: String| DecisionError::Format {
        file: file.to_string(),
        reason,
    };
    let mut wb: calamine::Xlsx<_> =
        calamine::Xlsx::new(Cursor::new(bytes)).map_err(|e| fail(e.to_string()))?;
    let names = wb.sheet_names();
    let mut out = Vec::new();
    let mut any = false;
    for sheet in DECISION_SHEETS {
        if !names.iter().any(|n| n == sheet) {
            continue;
        }
        any = true;
        let range = wb
            .worksheet_range(sheet)
            .map_err(|e| fail(format!("sheet {sheet}: {e}")))?;
        let mut rows = range.rows();
        let Some(header) = rows.next() else { continue };
        let header: Vec<String> = header.iter().map(cell_text).collect();
        let cols = columns(file, &header)?;
        let first = range.start().map_or(0, |(r, _)| r);
        for (i, r) in rows.enumerate() {
            let row_no = first + u32::try_from(i).unwrap_or(u32::MAX) + 2;
            let cells: Vec<String> = r.iter().map(cell_text).collect();
            if let Some(d) = row(file, Some(sheet), row_no, &cols, &cells)? {
                out.push(d);
            }
        }
    }
    if !any {
        return Err(fail(format!(
            "no sheet named {} (is this the exceptions workbook?)",
            DECISION_SHEETS.join(" or ")
        )));
    }
    Ok(out)
}

/// Parses a decision file, XLSX (a zip container) or CSV by its content.
pub fn parse(file: &str, bytes: &[u8]) -> Result<Vec<Decision>, DecisionError> {
    if bytes.starts_with(b"PK\x03\x04") {
        parse_xlsx(file, bytes)
    } else {
        parse_csv(file, bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_rows_with_a_decision_are_read_and_blank_ones_skipped() {
        let csv = "Exception ID,Decision,Match investment ID(s),Note,Decided by\n\
                   X-1,match,\"120, 135\",paid together,ana\n\
                   X-2,,,,\n\
                   X-3,Write_Off,,bank fee,ana\n";
        let d = parse("d.csv", csv.as_bytes()).unwrap();
        assert_eq!(d.len(), 2);
        assert_eq!(d[0].kind, DecisionKind::Match);
        assert_eq!(d[0].match_investment_ids, vec![120, 135]);
        assert_eq!(d[1].kind, DecisionKind::WriteOff);
        assert_eq!(d[1].row, 4);
    }

    #[test]
    fn a_bad_row_names_file_row_and_column() {
        let csv = "exception_id,decision,match_investment_id,note,decided_by\nX-1,mtach,,,ana\n";
        let e = parse("d.csv", csv.as_bytes()).unwrap_err().to_string();
        assert!(
            e.contains("d.csv") && e.contains("row 2") && e.contains("decision"),
            "{e}"
        );
        let csv = "exception_id,decision,match_investment_id,note,decided_by\nX-1,match,12x,,ana\n";
        let e = parse("d.csv", csv.as_bytes()).unwrap_err().to_string();
        assert!(e.contains("match_investment_id"), "{e}");
        let csv = "exception_id,decision,note\nX-1,write_off,x\n";
        let e = parse("d.csv", csv.as_bytes()).unwrap_err().to_string();
        assert!(e.contains("decided_by"), "{e}");
        let csv = "id,decision\n";
        assert!(matches!(
            parse("d.csv", csv.as_bytes()),
            Err(DecisionError::MissingColumn { .. })
        ));
    }
}
