//! The board pack: it opens with the verdict in words (reconciled or not, the open
//! exceptions and the money at stake, compliance violations, what changed since last month,
//! who prepared and who reviewed the run), then the raise progress, funds received, the
//! cumulative chart and the status tables.
//!
//! The board pack is also rendered again by `tieout signoff` from the run's `board.json`
//! ([`BoardDoc`]), so the names of who signed off appear on its first page.

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

use super::{Doc, Fonts, rgb, to_bytes};
use crate::ReportError;
use crate::close::{SignoffFile, Verdict};
use crate::layout::{Layouts, ReportLayout};
use crate::models::{BoardReport, ReportHeader};

/// What the board pack is drawn from, saved as the run's `board.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BoardDoc {
    /// Period and run id.
    pub header: ReportHeader,
    /// The document time written into the PDF (from the period, never the clock).
    pub document_time: NaiveDateTime,
    /// The board model.
    pub board: BoardReport,
}

/// The sign-off lines of a run nobody has signed yet.
pub(super) fn unsigned_lines() -> Vec<String> {
    SignoffFile::default().lines("", "")
}

/// The board pack's PDF bytes, with `signoff_lines` (see [`SignoffFile::lines`]) under the
/// verdict.
pub fn board_pdf(
    doc: &BoardDoc,
    signoff_lines: &[String],
    layouts: &Layouts,
    fonts: &Fonts,
) -> Result<Vec<u8>, ReportError> {
    let layout = layouts.get("board")?;
    let pages = board_pages(doc, signoff_lines, layouts, fonts)?;
    to_bytes(
        pages,
        fonts,
        &layout.title,
        &doc.header.run_id,
        doc.document_time,
    )
    .map_err(|message| ReportError::Pdf {
        path: "board.pdf".into(),
        message,
    })
}

/// The board pack's pages (see [`board_pdf`]).
pub fn board_pages(
    doc: &BoardDoc,
    signoff_lines: &[String],
    layouts: &Layouts,
    fonts: &Fonts,
) -> Result<Vec<printpdf::PdfPage>, ReportError> {
    let layout = layouts.get("board")?;
    let mut d = Doc::with_header(fonts, layout, &doc.header);
    if let Some(s) = &layout.subtitle {
        d.paragraph(s, 8.0, 0.25);
    }
    board(&mut d, &doc.board, signoff_lines, layout, layout.font_size)?;
    Ok(d.finish())
}

/// The verdict block: a coloured bar with the one-line verdict, its sentences, then who
/// prepared and who reviewed the run.
fn verdict_block(d: &mut Doc<'_>, v: &Verdict, signoff_lines: &[String]) {
    let x = d.left();
    let w = d.usable_width();
    let lines = d.fonts.wrap(&v.headline, w - 16.0, 11.0, true, 4);
    let bar_h = 10.0 + lines.len() as f32 * 13.5;
    d.ensure(bar_h + 60.0);
    let col = if v.reconciled {
        rgb(0.86, 0.94, 0.87)
    } else {
        rgb(0.99, 0.91, 0.84)
    };
    d.fill_rect(x, d.y - bar_h + 11.0, w, bar_h, col);
    let mut y = d.y - 4.0;
    for l in &lines {
        d.text(x + 8.0, y, l, 11.0, true, 0.05);
        y -= 13.5;
    }
    d.y -= bar_h + 6.0;
    for s in &v.lines {
        d.paragraph(s, 9.0, 0.1);
    }
    d.y -= 2.0;
    for s in signoff_lines {
        let bold = !s.starts_with("No longer applies");
        let grey = if bold { 0.0 } else { 0.45 };
        for l in d.fonts.wrap(s, w, 8.5, false, 3) {
            d.ensure(12.0);
            d.text(
                x,
                d.y,
                &l,
                8.5,
                bold && s.contains(':') && !s.contains("not signed"),
                grey,
            );
            d.y -= 11.5;
        }
    }
    d.hline(x, x + w, d.y + 3.0, 0.6, 0.5);
    d.y -= 12.0;
}

/// The board pack: the verdict block in words, the sign-off lines, then the detail.
pub(super) fn board(
    d: &mut Doc<'_>,
    b: &BoardReport,
    signoff_lines: &[String],
    layout: &ReportLayout,
    size: f32,
) -> Result<(), ReportError> {
    verdict_block(d, &b.verdict, signoff_lines);
    let get = |t: &str| {
        layout.table(t).ok_or_else(|| ReportError::Layout {
            file: "reports/board.toml".into(),
            message: format!("missing table `{t}`"),
        })
    };
    d.table(get("progress")?, &b.progress, size);
    d.table(get("by_method")?, &b.by_method, size);
    chart(d, b, layout);
    d.table(get("reconciliation")?, &b.reconciliation, size);
    d.table(get("exception_age")?, &b.exception_age, size);
    d.table(get("top_issues")?, &b.top_issues, size);
    Ok(())
}

/// A round axis maximum ≥ `v` (1, 2, 2.5 or 5 × 10^k), in cents.
fn nice_max(v: i64) -> i64 {
    if v <= 0 {
        return 100_000;
    }
    let mut base: i64 = 1;
    while base.saturating_mul(10) <= v {
        base = base.saturating_mul(10);
    }
    for tenths in [10, 20, 25, 50, 100] {
        let c = base.saturating_mul(tenths) / 10;
        if c >= v {
            return c;
        }
    }
    base.saturating_mul(10)
}

fn dollars_short(cents: i64) -> String {
    let d = cents / 100;
    if d >= 1_000_000 && d % 1_000_000 == 0 {
        format!("{}M", d / 1_000_000)
    } else if d >= 1_000_000 {
        format!("{}.{}M", d / 1_000_000, (d % 1_000_000) / 100_000)
    } else if d >= 1_000 && d % 1_000 == 0 {
        format!("{}k", d / 1_000)
    } else {
        crate::cells::format_int(d)
    }
}

fn chart(d: &mut Doc<'_>, b: &BoardReport, layout: &ReportLayout) {
    let height = 170.0;
    d.ensure(height + 40.0);
    d.y -= 3.0;
    d.text(d.left(), d.y, layout.label("chart"), 9.5, true, 0.0);
    d.y -= 12.0;
    let left = d.left() + 42.0;
    let right = d.left() + d.usable_width() - 10.0;
    let top = d.y - 4.0;
    let bottom = top - height + 28.0;
    let grey = rgb(0.55, 0.55, 0.55);
    let max = b.daily.iter().map(|p| p.cumulative.0).max().unwrap_or(0);
    let ymax = nice_max(max);
    // Grid and y ticks.
    for i in 0..=4 {
        let v = ymax / 4 * i;
        let y = bottom + (top - bottom) * i as f32 / 4.0;
        if i > 0 {
            d.polyline(&[(left, y), (right, y)], 0.3, rgb(0.85, 0.85, 0.85));
        }
        d.polyline(&[(left - 3.0, y), (left, y)], 0.6, grey.clone());
        let label = dollars_short(v);
        let w = d.fonts.width(&label, 6.5, false);
        d.text(left - 5.0 - w, y - 2.2, &label, 6.5, false, 0.2);
    }
    // Axes.
    d.polyline(
        &[(left, top + 4.0), (left, bottom), (right, bottom)],
        0.8,
        rgb(0.2, 0.2, 0.2),
    );
    let n = b.daily.len();
    let x_of = |i: usize| {
        if n <= 1 {
            left
        } else {
            left + (right - left) * i as f32 / (n - 1) as f32
        }
    };
    // X ticks: every 5th day and the last.
    for (i, p) in b.daily.iter().enumerate() {
        if i % 5 == 0 || i + 1 == n {
            let x = x_of(i);
            d.polyline(&[(x, bottom), (x, bottom - 3.0)], 0.6, grey.clone());
            let label = p.date.format("%m-%d").to_string();
            let w = d.fonts.width(&label, 6.5, false);
            d.text(x - w / 2.0, bottom - 11.0, &label, 6.5, false, 0.2);
        }
    }
    if max == 0 {
        let msg = layout.label("no_receipts").to_string();
        let w = d.fonts.width(&msg, 8.0, false);
        d.text(
            (left + right - w) / 2.0,
            (top + bottom) / 2.0,
            &msg,
            8.0,
            false,
            0.4,
        );
    } else {
        let pts: Vec<(f32, f32)> = b
            .daily
            .iter()
            .enumerate()
            .map(|(i, p)| {
                (
                    x_of(i),
                    bottom + (top - bottom) * (p.cumulative.0 as f64 / ymax as f64) as f32,
                )
            })
            .collect();
        d.polyline(&pts, 1.6, rgb(0.12, 0.36, 0.66));
        if let Some(last) = b.daily.last() {
            let label = format!("Total {}", tieout_domain::format_cents(last.cumulative.0));
            let w = d.fonts.width(&label, 7.0, true);
            let (x, y) = pts.last().copied().unwrap_or((right, top));
            d.text(
                (x - w).max(left + 4.0),
                (y + 5.0).min(top + 2.0),
                &label,
                7.0,
                true,
                0.1,
            );
        }
    }
    d.y = bottom - 26.0;
}
