//! `exceptions.xlsx` as the month-end worksheet: an instructions sheet, a drop-down of the
//! decisions on the `decision` column, and column widths that fit their contents (the
//! layout's width is the most a column gets). The filled-in workbook is read back by
//! `tieout reconcile --decisions` (`tieout_reconcile::close::read`).

use rust_xlsxwriter::{DataValidation, Format, Workbook, Worksheet, XlsxError};
use tieout_reconcile::close::DecisionKind;

use crate::cells::{Cell, DynTable};
use crate::layout::ColumnLayout;

/// Rows looked at to size a column.
const WIDTH_SAMPLE_ROWS: usize = 2_000;

/// The width (characters) of a column: its heading or its longest value in the first rows,
/// whichever is longer, plus a margin; at most the layout's width.
pub fn column_width(c: &ColumnLayout, table: &dyn DynTable, key: Option<usize>) -> f64 {
    let cap = c.xlsx_width.unwrap_or(f64::from(c.width));
    let mut longest = c.heading.chars().count();
    if let Some(k) = key {
        for r in 0..table.len().min(WIDTH_SAMPLE_ROWS) {
            if let Some(cell) = table.cell_at(r, k) {
                let n = match &cell {
                    Cell::Empty => 0,
                    Cell::Date(_) => 10,
                    other => other.display().chars().count(),
                };
                longest = longest.max(n);
            }
        }
    }
    // Numbers with separators and a little air.
    (longest as f64 * 1.1 + 2.0).clamp(6.0, cap.max(6.0))
}

/// Adds the decision drop-down to the `decision` column of a sheet with `rows` data rows (a
/// few hundred blank rows more, for items added by hand are not needed: every item has a
/// row).
pub fn decision_dropdown(
    ws: &mut Worksheet,
    columns: &[ColumnLayout],
    rows: u32,
) -> Result<(), XlsxError> {
    let Some(col) = columns.iter().position(|c| c.key == "decision") else {
        return Ok(());
    };
    if rows == 0 {
        return Ok(());
    }
    let col = u16::try_from(col).map_err(|_| XlsxError::RowColumnLimitError)?;
    let names: Vec<&str> = DecisionKind::ALL.iter().map(DecisionKind::as_str).collect();
    let v = DataValidation::new()
        .allow_list_strings(&names)?
        .set_input_title("Decision")?
        .set_input_message(
            "match (name the investment ids), accept_difference, write_off, refund_sent, return_to_sender, keep_open or false_positive",
        )?
        .set_error_title("Not a decision")?
        .set_error_message("Pick one of the listed decisions.")?;
    ws.add_data_validation(1, col, rows, col, &v)?;
    Ok(())
}

/// The instructions sheet, first in the workbook.
pub fn instructions(wb: &mut Workbook) -> Result<(), XlsxError> {
    let ws = wb.add_worksheet();
    ws.set_name("Instructions")?;
    ws.set_column_width(0, 110)?;
    let bold = Format::new().set_bold().set_font_size(13);
    let head = Format::new().set_bold();
    let lines: &[(&str, bool)] = &[
        ("How to close the month in this workbook", true),
        ("", false),
        (
            "1. Open the Reconciliation and Findings sheets. Each row is one open item; its Exception ID names it in every run.",
            false,
        ),
        (
            "2. For each item you decide, fill in Decision (drop-down), Note (why) and Decided by (your name).",
            false,
        ),
        (
            "   Leave Decision blank for items you do not decide now: they stay open.",
            false,
        ),
        (
            "3. Save the workbook and run the month end again with it: tieout reconcile … --decisions exceptions.xlsx",
            false,
        ),
        (
            "   (a CSV with the columns exception_id,decision,match_investment_id,note,decided_by works too; --decisions may be repeated).",
            false,
        ),
        ("", false),
        ("Decisions", true),
        (
            "match — the statement line pays the investment(s) in Match investment ID(s): one id, or several separated by commas for a batch.",
            false,
        ),
        (
            "   The money must tie within the matching tolerances; it becomes a match with rule `manual` in matches.csv, with your name and note.",
            false,
        ),
        (
            "accept_difference — with investment ids: match although the amounts differ; without: accept an amount difference as it is.",
            false,
        ),
        (
            "write_off — close the item with a reason (a bank fee, an immaterial difference).",
            false,
        ),
        (
            "refund_sent / return_to_sender — the money went back to the investor or the sender.",
            false,
        ),
        (
            "keep_open — leave it open; the decision and its history are carried to next month (open-items.json), so you are not asked again.",
            false,
        ),
        (
            "false_positive — the item is not what it looks like; on a sanctions or AML screening hit it clears the hit like a recorded override.",
            false,
        ),
        ("", false),
        ("What happens next", true),
        (
            "Closed items move to resolved.csv with who decided, why and the SHA-256 of the decision file; the manifest lists every decision file.",
            false,
        ),
        (
            "A decision that no longer fits (the id is unknown, the investment is gone or already matched, the money does not tie) is never dropped:",
            false,
        ),
        (
            "it becomes a STALE_DECISION exception naming the decision file and row. Decide it again in the new workbook.",
            false,
        ),
        (
            "A run with new decisions has a new run id: sign-offs of the earlier run no longer apply (tieout signoff).",
            false,
        ),
    ];
    for (i, (text, is_head)) in lines.iter().enumerate() {
        let row = u32::try_from(i).unwrap_or(u32::MAX);
        if *is_head {
            let f = if i == 0 { &bold } else { &head };
            ws.write_string_with_format(row, 0, *text, f)?;
        } else if !text.is_empty() {
            ws.write_string(row, 0, *text)?;
        }
    }
    Ok(())
}
