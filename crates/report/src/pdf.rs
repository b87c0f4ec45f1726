//! PDF rendering with printpdf 0.12's ops API and an embedded DejaVu Sans font.
//!
//! Text is measured with the font's own glyph advances so cells are cut with an ellipsis
//! instead of overflowing; tables break across pages with their header repeated; every page
//! carries the report title, period, run id and "Page X of Y".

use std::path::Path;

use chrono::NaiveDateTime;
use printpdf::{
    Color, FontId, Line, LinePoint, Op, PaintMode, ParsedFont, PdfDocument, PdfFont, PdfFontHandle,
    PdfPage, PdfSaveOptions, Point, Pt, Rect, Rgb, TextItem, WindingOrder,
};
use sha2::{Digest, Sha256};

use crate::ReportError;
use crate::cells::{Cell, DynTable, Totals, format_int};
use crate::layout::{
    Align, Layouts, Orientation, Paper, ReportLayout, TableLayout, table_or_default,
};
use crate::models::ReportModels;

mod board;
mod subset;

pub use board::{BoardDoc, board_pages, board_pdf};

const REGULAR_TTF: &[u8] = include_bytes!("../../../templates/fonts/DejaVuSans.ttf");
const BOLD_TTF: &[u8] = include_bytes!("../../../templates/fonts/DejaVuSans-Bold.ttf");

const MARGIN: f32 = 36.0;
const CELL_PAD: f32 = 2.5;
/// Characters of one cell's text measured at most (cut with a marker beyond: a page holds far
/// fewer).
const PDF_MAX_CELL_CHARS: usize = 2_000;

/// The two faces used by every report, parsed once.
#[derive(Debug, Clone)]
pub struct Fonts {
    regular: ParsedFont,
    bold: ParsedFont,
}

impl Fonts {
    /// Parses the embedded DejaVu Sans regular and bold faces.
    pub fn embedded() -> Result<Fonts, ReportError> {
        let parse = |bytes: &[u8], name: &str| {
            ParsedFont::from_bytes(bytes, 0, &mut Vec::new())
                .ok_or_else(|| ReportError::Font(name.into()))
        };
        Ok(Fonts {
            regular: parse(REGULAR_TTF, "DejaVuSans.ttf")?,
            bold: parse(BOLD_TTF, "DejaVuSans-Bold.ttf")?,
        })
    }

    fn face(&self, bold: bool) -> &ParsedFont {
        if bold { &self.bold } else { &self.regular }
    }

    /// Width of `s` in points at `size`, from the font's horizontal advances.
    pub fn width(&self, s: &str, size: f32, bold: bool) -> f32 {
        let f = self.face(bold);
        let upem = f32::from(f.units_per_em.max(1));
        let units: u64 = s
            .chars()
            .map(|c| {
                let gid = f.lookup_glyph_index(c as u32).unwrap_or(0);
                u64::from(f.get_glyph_width(gid).unwrap_or(0))
            })
            .sum();
        units as f32 / upem * size
    }

    /// `s` broken into lines of at most `max` points, at most `max_lines` lines (the last cut
    /// with an ellipsis when text remains). Words longer than a line are cut.
    pub fn wrap(&self, s: &str, max: f32, size: f32, bold: bool, max_lines: usize) -> Vec<String> {
        // A cell never shows more than a few lines: very long input text is cut first (with a
        // visible marker) so measuring it stays cheap.
        let s = &*tieout_domain::safe_text::truncate_marked(s, PDF_MAX_CELL_CHARS);
        let mut lines: Vec<String> = Vec::new();
        let mut line = String::new();
        for word in s.split_whitespace() {
            let cand = if line.is_empty() {
                word.to_string()
            } else {
                format!("{line} {word}")
            };
            if self.width(&cand, size, bold) <= max || line.is_empty() {
                line = cand;
            } else {
                lines.push(std::mem::replace(&mut line, word.to_string()));
            }
        }
        if !line.is_empty() {
            lines.push(line);
        }
        if lines.is_empty() {
            lines.push(String::new());
        }
        if lines.len() > max_lines.max(1) {
            let keep = max_lines.max(1);
            let rest = lines[keep - 1..].join(" ");
            lines.truncate(keep - 1);
            lines.push(format!("{rest}\u{2026}"));
        }
        lines
            .into_iter()
            .map(|l| self.fit(&l, max, size, bold))
            .collect()
    }

    /// `s` cut to fit `max` points, ending in an ellipsis when cut.
    pub fn fit(&self, s: &str, max: f32, size: f32, bold: bool) -> String {
        let s = &*tieout_domain::safe_text::truncate_marked(s, PDF_MAX_CELL_CHARS);
        if self.width(s, size, bold) <= max {
            return s.to_string();
        }
        let ell = self.width("…", size, bold);
        let mut out = String::new();
        let mut w = 0.0;
        for c in s.chars() {
            let cw = self.width(c.encode_utf8(&mut [0; 4]), size, bold);
            if w + cw + ell > max {
                break;
            }
            w += cw;
            out.push(c);
        }
        // Never mid-word when a whole word fits: cut at the last space.
        let cut_mid_word = s[out.len()..]
            .chars()
            .next()
            .is_some_and(|c| !c.is_whitespace());
        if cut_mid_word && let Some(sp) = out.rfind(' ').filter(|&i| i > 0) {
            out.truncate(sp);
        }
        let trimmed = out.trim_end();
        if trimmed.is_empty() && ell > max {
            return String::new();
        }
        format!("{trimmed}…")
    }
}

fn rgb(r: f32, g: f32, b: f32) -> Color {
    Color::Rgb(Rgb {
        r,
        g,
        b,
        icc_profile: None,
    })
}

fn pt(x: f32, y: f32) -> LinePoint {
    LinePoint {
        p: Point { x: Pt(x), y: Pt(y) },
        bezier: false,
    }
}

const REGULAR_ID: &str = "F1";
const BOLD_ID: &str = "F2";

/// A document being laid out, page by page.
pub struct Doc<'a> {
    fonts: &'a Fonts,
    /// Page width in points.
    pub w: f32,
    /// Page height in points.
    pub h: f32,
    pages: Vec<Vec<Op>>,
    /// Current baseline cursor (points from the bottom).
    pub y: f32,
    title: String,
    header_right: String,
    footer_left: String,
}

impl<'a> Doc<'a> {
    /// Starts a document with the first page.
    pub fn new(fonts: &'a Fonts, layout: &ReportLayout, models: &ReportModels) -> Doc<'a> {
        Self::with_header(fonts, layout, &models.header)
    }

    /// Starts a document with the first page, from the page header alone.
    pub fn with_header(
        fonts: &'a Fonts,
        layout: &ReportLayout,
        header: &crate::models::ReportHeader,
    ) -> Doc<'a> {
        let (pw, ph) = match layout.paper {
            Paper::Letter => (612.0, 792.0),
            Paper::A4 => (595.28, 841.89),
        };
        let (w, h) = match layout.orientation {
            Orientation::Portrait => (pw, ph),
            Orientation::Landscape => (ph, pw),
        };
        let p = &header.period;
        let mut d = Doc {
            fonts,
            w,
            h,
            pages: Vec::new(),
            y: 0.0,
            title: layout.title.clone(),
            header_right: format!(
                "Period {} ({} to {})   Run {}",
                p,
                p.first_day(),
                p.last_day(),
                header.run_id
            ),
            footer_left: format!(
                "tieout · {} · period {} · run {}",
                layout.title, p, header.run_id
            ),
        };
        d.new_page();
        d
    }

    fn ops(&mut self) -> &mut Vec<Op> {
        if self.pages.is_empty() {
            self.pages.push(Vec::new());
        }
        let n = self.pages.len() - 1;
        &mut self.pages[n]
    }

    /// Left edge of the content area.
    pub fn left(&self) -> f32 {
        MARGIN
    }

    /// Width of the content area.
    pub fn usable_width(&self) -> f32 {
        self.w - 2.0 * MARGIN
    }

    fn bottom(&self) -> f32 {
        MARGIN + 14.0
    }

    /// Starts a new page with the running header.
    pub fn new_page(&mut self) {
        self.pages.push(Vec::new());
        let top = self.h - MARGIN;
        let title = self.title.clone();
        self.text(MARGIN, top - 10.0, &title, 11.0, true, 0.0);
        let right = self.header_right.clone();
        let rw = self.fonts.width(&right, 7.0, false);
        self.text(self.w - MARGIN - rw, top - 9.0, &right, 7.0, false, 0.3);
        self.hline(MARGIN, self.w - MARGIN, top - 15.0, 0.6, 0.5);
        self.y = top - 30.0;
    }

    /// Draws one line of text with its baseline at `y`; `grey` 0 = black.
    pub fn text(&mut self, x: f32, y: f32, s: &str, size: f32, bold: bool, grey: f32) {
        if s.is_empty() {
            return;
        }
        let id = if bold { BOLD_ID } else { REGULAR_ID };
        let ops = self.ops();
        ops.push(Op::SetFillColor {
            col: rgb(grey, grey, grey),
        });
        ops.push(Op::StartTextSection);
        ops.push(Op::SetFont {
            font: PdfFontHandle::External(FontId(id.into())),
            size: Pt(size),
        });
        ops.push(Op::SetTextCursor {
            pos: Point { x: Pt(x), y: Pt(y) },
        });
        ops.push(Op::ShowText {
            items: vec![TextItem::Text(s.to_string())],
        });
        ops.push(Op::EndTextSection);
    }

    /// Draws text aligned within `[x, x + w]`, cut with an ellipsis to fit.
    #[allow(clippy::too_many_arguments)]
    pub fn text_in(
        &mut self,
        x: f32,
        w: f32,
        y: f32,
        s: &str,
        size: f32,
        bold: bool,
        align: Align,
    ) {
        let s = self.fonts.fit(s, w, size, bold);
        let tw = self.fonts.width(&s, size, bold);
        let tx = match align {
            Align::Left => x,
            Align::Right => x + w - tw,
            Align::Center => x + (w - tw) / 2.0,
        };
        self.text(tx, y, &s, size, bold, 0.0);
    }

    /// Like [`Doc::text_in`], but first shrinks the font (down to 70%) so figures and headings
    /// stay whole; only if that is not enough is the text cut with an ellipsis.
    #[allow(clippy::too_many_arguments)]
    pub fn text_in_shrink(
        &mut self,
        x: f32,
        w: f32,
        y: f32,
        s: &str,
        size: f32,
        bold: bool,
        align: Align,
    ) {
        let full = self.fonts.width(s, size, bold);
        let size = if full > w && full > 0.0 {
            (size * w / full).max(size * 0.7)
        } else {
            size
        };
        self.text_in(x, w, y, s, size, bold, align);
    }

    /// A filled rectangle (`y` is the bottom edge).
    pub fn fill_rect(&mut self, x: f32, y: f32, w: f32, h: f32, col: Color) {
        let ops = self.ops();
        ops.push(Op::SetFillColor { col });
        ops.push(Op::DrawRectangle {
            rectangle: Rect {
                x: Pt(x),
                y: Pt(y),
                width: Pt(w),
                height: Pt(h),
                mode: Some(PaintMode::Fill),
                winding_order: Some(WindingOrder::NonZero),
            },
        });
    }

    /// A polyline.
    pub fn polyline(&mut self, points: &[(f32, f32)], thickness: f32, col: Color) {
        let ops = self.ops();
        ops.push(Op::SetOutlineColor { col });
        ops.push(Op::SetOutlineThickness { pt: Pt(thickness) });
        ops.push(Op::DrawLine {
            line: Line {
                points: points.iter().map(|(x, y)| pt(*x, *y)).collect(),
                is_closed: false,
            },
        });
    }

    /// A horizontal rule.
    pub fn hline(&mut self, x1: f32, x2: f32, y: f32, thickness: f32, grey: f32) {
        self.polyline(&[(x1, y), (x2, y)], thickness, rgb(grey, grey, grey));
    }

    /// Starts a new page unless `need` points remain.
    pub fn ensure(&mut self, need: f32) -> bool {
        if self.y - need < self.bottom() {
            self.new_page();
            true
        } else {
            false
        }
    }

    /// A bold heading.
    pub fn heading(&mut self, s: &str, size: f32) {
        self.ensure(size * 2.5 + 30.0);
        self.y -= size * 0.4;
        let w = self.usable_width();
        let x = self.left();
        self.text_in(x, w, self.y, s, size, true, Align::Left);
        self.y -= size * 1.1;
    }

    /// Wrapped paragraph text.
    pub fn paragraph(&mut self, s: &str, size: f32, grey: f32) {
        let max = self.usable_width();
        let mut line = String::new();
        let mut lines = Vec::new();
        for word in s.split_whitespace() {
            let cand = if line.is_empty() {
                word.to_string()
            } else {
                format!("{line} {word}")
            };
            if self.fonts.width(&cand, size, false) > max && !line.is_empty() {
                lines.push(std::mem::replace(&mut line, word.to_string()));
            } else {
                line = cand;
            }
        }
        if !line.is_empty() {
            lines.push(line);
        }
        for l in lines {
            self.ensure(size * 1.5);
            let fitted = self.fonts.fit(&l, max, size, false);
            self.text(self.left(), self.y, &fitted, size, false, grey);
            self.y -= size * 1.4;
        }
        self.y -= size * 0.4;
    }

    /// Renders a table: title, header (repeated on every page), rows, totals.
    pub fn table(&mut self, tl: &TableLayout, table: &dyn DynTable, default_size: f32) {
        let pdf_view;
        let tl = if tl.columns.iter().any(|c| c.xlsx_only) {
            pdf_view = tl.pdf_view();
            &pdf_view
        } else {
            tl
        };
        let size = tl.font_size.unwrap_or(default_size);
        let row_h = size * 1.65;
        let mm = 72.0 / 25.4;
        let raw: f32 = tl.columns.iter().map(|c| c.width * mm).sum();
        let scale = if raw > self.usable_width() {
            self.usable_width() / raw
        } else {
            1.0
        };
        let widths: Vec<f32> = tl.columns.iter().map(|c| c.width * mm * scale).collect();
        let table_w: f32 = widths.iter().sum();
        let x0 = self.left();
        let aligns: Vec<Align> = tl
            .columns
            .iter()
            .map(|c| {
                c.align.unwrap_or_else(|| {
                    let numeric = (0..table.len().min(50))
                        .filter_map(|r| table.cell(r, &c.key))
                        .find(|cell| *cell != Cell::Empty)
                        .or_else(|| table.totals().and_then(|t| t.get(&c.key).cloned()))
                        .is_some_and(|cell| cell.is_numeric());
                    if numeric { Align::Right } else { Align::Left }
                })
            })
            .collect();

        let title_size = size + 2.0;
        self.ensure(title_size * 2.0 + row_h * 3.0);
        let draw_header = |d: &mut Doc<'_>, title: &str| {
            d.y -= title_size * 0.3;
            d.text_in(
                x0,
                table_w.max(d.usable_width()),
                d.y,
                title,
                title_size,
                true,
                Align::Left,
            );
            d.y -= title_size * 0.9;
            d.fill_rect(
                x0,
                d.y - row_h + size * 0.2,
                table_w,
                row_h,
                rgb(0.86, 0.88, 0.91),
            );
            let base = d.y - row_h + size * 0.2 + (row_h - size) / 2.0 + size * 0.22;
            let mut x = x0;
            for (i, c) in tl.columns.iter().enumerate() {
                d.text_in_shrink(
                    x + CELL_PAD,
                    widths[i] - 2.0 * CELL_PAD,
                    base,
                    &c.heading,
                    size,
                    true,
                    aligns[i],
                );
                x += widths[i];
            }
            d.y -= row_h;
        };
        draw_header(self, &tl.title);
        if table.is_empty() {
            self.y -= row_h * 0.2;
            self.text(x0 + CELL_PAD, self.y - size, "None.", size, false, 0.35);
            self.y -= row_h;
        }
        let line_h = size * 1.2;
        for r in 0..table.len() {
            // Cell texts, wrapped where the layout asks for it.
            let cells: Vec<(Cell, Vec<String>)> = tl
                .columns
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let cell = table.cell(r, &c.key).unwrap_or(Cell::Empty);
                    let s = cell.display();
                    let lines = if c.wrap {
                        self.fonts
                            .wrap(&s, widths[i] - 2.0 * CELL_PAD, size, false, 4)
                    } else {
                        vec![s]
                    };
                    (cell, lines)
                })
                .collect();
            let nlines = cells.iter().map(|(_, l)| l.len()).max().unwrap_or(1).max(1);
            let this_h = row_h + (nlines - 1) as f32 * line_h;
            // Keep the last row with the totals line so a page never holds a lone total.
            let need = if r + 1 == table.len() && table.totals().is_some() {
                this_h + row_h * 1.3
            } else {
                this_h
            };
            if self.y - need < self.bottom() {
                self.new_page();
                draw_header(self, &format!("{} (continued)", tl.title));
            }
            let top = self.y + size * 0.2;
            if r % 2 == 1 {
                self.fill_rect(x0, top - this_h, table_w, this_h, rgb(0.955, 0.96, 0.97));
            }
            let base = top - (row_h + size) / 2.0 + size * 0.22;
            let mut x = x0;
            for (i, (cell, lines)) in cells.iter().enumerate() {
                let w = widths[i] - 2.0 * CELL_PAD;
                for (k, line) in lines.iter().enumerate() {
                    let y = base - k as f32 * line_h;
                    if cell.is_numeric() || matches!(cell, Cell::Date(_)) {
                        self.text_in_shrink(x + CELL_PAD, w, y, line, size, false, aligns[i]);
                    } else {
                        self.text_in(x + CELL_PAD, w, y, line, size, false, aligns[i]);
                    }
                }
                x += widths[i];
            }
            self.y -= this_h;
        }
        if let Some(t) = table.totals() {
            if self.y - row_h * 1.3 < self.bottom() {
                self.new_page();
                draw_header(self, &format!("{} (continued)", tl.title));
            }
            let top = self.y + size * 0.2;
            self.hline(x0, x0 + table_w, top, 0.8, 0.2);
            let base = top - row_h + (row_h - size) / 2.0 + size * 0.22;
            // The label runs from the left edge up to the first column holding a total.
            let first_val = tl
                .columns
                .iter()
                .position(|c| t.get(&c.key).is_some())
                .unwrap_or(tl.columns.len());
            let label_w: f32 = widths[..first_val.max(1).min(widths.len())].iter().sum();
            self.text_in(
                x0 + CELL_PAD,
                label_w - 2.0 * CELL_PAD,
                base,
                &t.label,
                size,
                true,
                Align::Left,
            );
            let mut x = x0;
            for (i, c) in tl.columns.iter().enumerate() {
                if let Some(v) = t.get(&c.key) {
                    self.text_in_shrink(
                        x + CELL_PAD,
                        widths[i] - 2.0 * CELL_PAD,
                        base,
                        &v.display(),
                        size,
                        true,
                        aligns[i],
                    );
                }
                x += widths[i];
            }
            self.y -= row_h;
        }
        self.y -= row_h * 0.8;
    }

    /// Finishes: adds footers ("Page X of Y") and returns the pages.
    pub fn finish(mut self) -> Vec<PdfPage> {
        let n = self.pages.len();
        let (w, h) = (self.w, self.h);
        let mut out = Vec::with_capacity(n);
        let pages = std::mem::take(&mut self.pages);
        for (i, ops) in pages.into_iter().enumerate() {
            self.pages = vec![ops];
            let y = MARGIN - 4.0;
            self.hline(MARGIN, w - MARGIN, y + 9.0, 0.4, 0.6);
            let left = self.footer_left.clone();
            let right = format!("Page {} of {}", i + 1, n);
            let rw = self.fonts.width(&right, 7.0, false);
            let lw = self
                .fonts
                .fit(&left, w - 2.0 * MARGIN - rw - 20.0, 7.0, false);
            self.text(MARGIN, y, &lw, 7.0, false, 0.3);
            self.text(w - MARGIN - rw, y, &right, 7.0, false, 0.3);
            let ops = self.pages.pop().unwrap_or_default();
            out.push(PdfPage::new(
                printpdf::Mm(w * 25.4 / 72.0),
                printpdf::Mm(h * 25.4 / 72.0),
                ops,
            ));
        }
        out
    }
}

/// Serialises pages into PDF bytes: fonts under fixed resource ids, info dates from
/// `document_time`, trailer `/ID` derived from the title and run id (no randomness).
pub fn to_bytes(
    pages: Vec<PdfPage>,
    fonts: &Fonts,
    title: &str,
    run_id: &str,
    document_time: NaiveDateTime,
) -> Result<Vec<u8>, String> {
    let mut doc = PdfDocument::new(title);
    let ts = printpdf::OffsetDateTime::from_unix_timestamp(document_time.and_utc().timestamp())
        .map_err(|e| e.to_string())?;
    doc.metadata.info.creation_date = ts;
    doc.metadata.info.modification_date = ts;
    doc.metadata.info.metadata_date = ts;
    doc.metadata.info.producer = "tieout".into();
    doc.metadata.info.creator = "tieout".into();
    doc.metadata.info.identifier = run_id.into();
    doc.metadata.info.subject = format!("{title}, run {run_id}");
    // Each face cut down to the glyphs the pages draw (the whole face if that fails).
    let used = subset::used_chars(&pages);
    for (id, face, bytes) in [
        (REGULAR_ID, &fonts.regular, REGULAR_TTF),
        (BOLD_ID, &fonts.bold, BOLD_TTF),
    ] {
        let font = used
            .get(id)
            .and_then(|chars| subset::subset_font(face, bytes, chars))
            .unwrap_or_else(|| face.clone());
        doc.resources
            .fonts
            .map
            .insert(FontId(id.into()), PdfFont::new(font));
    }
    doc.with_pages(pages);
    let opts = PdfSaveOptions {
        optimize: true,
        // printpdf subsets only with its `text_layout` feature: the faces given above are
        // already subsets (see `subset`).
        subset_fonts: false,
        secure: true,
        image_optimization: None,
    };
    let mut warnings = Vec::new();
    let mut lo = doc.to_lopdf_document(&opts, &mut warnings);
    let digest = Sha256::digest(format!("tieout\0{title}\0{run_id}").as_bytes());
    let id = lopdf::Object::String(digest[..16].to_vec(), lopdf::StringFormat::Hexadecimal);
    lo.trailer
        .set("ID", lopdf::Object::Array(vec![id.clone(), id]));
    lo.compress();
    let mut buf = Vec::new();
    lo.save_to(&mut buf).map_err(|e| e.to_string())?;
    Ok(buf)
}

/// Some rows of a table, in a given order, with the whole table's totals line.
struct RowsView<'a> {
    inner: &'a dyn DynTable,
    rows: Vec<usize>,
}

impl<'a> RowsView<'a> {
    fn new(inner: &'a dyn DynTable, rows: Vec<usize>) -> Self {
        Self { inner, rows }
    }
}

impl DynTable for RowsView<'_> {
    fn len(&self) -> usize {
        self.rows.len()
    }
    fn cell(&self, row: usize, key: &str) -> Option<Cell> {
        self.rows.get(row).and_then(|r| self.inner.cell(*r, key))
    }
    fn cell_at(&self, row: usize, index: usize) -> Option<Cell> {
        self.rows
            .get(row)
            .and_then(|r| self.inner.cell_at(*r, index))
    }
    fn keys(&self) -> &'static [&'static str] {
        self.inner.keys()
    }
    fn totals(&self) -> Option<&Totals> {
        self.inner.totals()
    }
}

/// A copy of a table layout under another title.
fn retitled(t: &TableLayout, title: String) -> TableLayout {
    TableLayout { title, ..t.clone() }
}

/// The XLSX sheet a table is written to (as [`crate::xlsx`] names it).
fn sheet_name(t: &TableLayout) -> String {
    t.sheet
        .clone()
        .unwrap_or_else(|| t.title.chars().take(31).collect())
}

/// Lays out one report into pages (exposed for tests that inspect page ops).
pub fn layout_report(
    name: &str,
    models: &ReportModels,
    layouts: &Layouts,
    fonts: &Fonts,
) -> Result<Vec<PdfPage>, ReportError> {
    let layout = layouts.get(name)?;
    let mut d = Doc::new(fonts, layout, models);
    if let Some(s) = &layout.subtitle {
        d.paragraph(s, 8.0, 0.25);
    }
    let size = layout.font_size;
    let tl = |t: &str| {
        layout.table(t).ok_or_else(|| ReportError::Layout {
            file: format!("reports/{name}.toml"),
            message: format!("missing table `{t}`"),
        })
    };
    let optional = |t: &str| {
        table_or_default(layout, t).ok_or_else(|| ReportError::Layout {
            file: format!("reports/{name}.toml"),
            message: format!("missing table `{t}`"),
        })
    };
    match name {
        "investor-register" => {
            let reg = &models.investor_register;
            let t = tl("investors")?;
            let n = reg.investors.len();
            let k = t.pdf_rows(n);
            if k == n {
                d.table(t, &reg.investors, size);
            } else {
                d.paragraph(
                    &format!(
                        "This register has {} investors, too many to print. The complete \
                         register (every investor, with dates of birth and masked tax ids) is \
                         in investor-register.xlsx, sheet {}. Below: the register by offering, \
                         then the {} investors with the largest totals; the totals line covers \
                         all {} investors.",
                        format_int(n as i64),
                        sheet_name(t),
                        format_int(k as i64),
                        format_int(n as i64),
                    ),
                    8.0,
                    0.0,
                );
                d.table(&optional("by_offering")?, &reg.by_offering, size);
                let view = RowsView::new(&reg.investors, reg.largest(k));
                d.table(
                    &retitled(
                        t,
                        format!(
                            "{}: the {} largest of {}, by total",
                            t.title,
                            format_int(k as i64),
                            format_int(n as i64)
                        ),
                    ),
                    &view,
                    size,
                );
            }
        }
        "funds-received" => {
            let m = &models.funds_received;
            for t in &layout.tables {
                match t.name.as_str() {
                    "receipts" => {
                        let n = m.receipts.len();
                        let k = t.pdf_rows(n);
                        if k == n {
                            d.table(t, &m.receipts, size);
                        } else {
                            d.paragraph(
                                &format!(
                                    "{} receipts in the period, too many to print: every \
                                     receipt is in funds-received.xlsx, sheet {}. Below: the \
                                     {} largest, in date order, with the running totals of \
                                     the whole period; the totals line covers all {}.",
                                    format_int(n as i64),
                                    sheet_name(t),
                                    format_int(k as i64),
                                    format_int(n as i64),
                                ),
                                8.0,
                                0.0,
                            );
                            let view = RowsView::new(&m.receipts, m.largest(k));
                            d.table(
                                &retitled(
                                    t,
                                    format!(
                                        "{}: the {} largest of {}",
                                        t.title,
                                        format_int(k as i64),
                                        format_int(n as i64)
                                    ),
                                ),
                                &view,
                                size,
                            );
                        }
                    }
                    "by_day_method" => d.table(t, &m.by_day_method, size),
                    _ => d.table(t, &m.by_method, size),
                }
            }
        }
        "exceptions" => {
            let m = &models.exceptions;
            let detail: Vec<(&TableLayout, &dyn DynTable, &str)> = layout
                .tables
                .iter()
                .filter(|t| t.name != "summary" && t.name != "money_model")
                .map(|t| -> (&TableLayout, &dyn DynTable, &str) {
                    match t.name.as_str() {
                        "reconciliation" => (t, &m.reconciliation, "exceptions.csv"),
                        "findings" => (t, &m.findings, "findings.csv"),
                        _ => (t, &m.rejects, "rejects.csv"),
                    }
                })
                .collect();
            // What the amounts below are measured against, first.
            if !m.money_model.rows.is_empty()
                && let Some(t) = layout.tables.iter().find(|t| t.name == "money_model")
            {
                d.table(t, &m.money_model, size);
            }
            let capped = detail
                .iter()
                .any(|(t, table, _)| t.pdf_rows(table.len()) < table.len());
            if capped {
                d.paragraph(
                    "Too many items to print them all: each list below shows its first rows \
                     (by severity, then amount) and says where the complete list is. The \
                     summary covers every item.",
                    8.0,
                    0.0,
                );
                d.table(&optional("summary")?, &m.summary, size);
            }
            for (t, table, csv) in detail {
                let n = table.len();
                let k = t.pdf_rows(n);
                if k == n {
                    d.table(t, table, size);
                } else {
                    let view = RowsView::new(table, (0..k).collect());
                    d.table(
                        &retitled(
                            t,
                            format!(
                                "{}: the first {} of {}; all in exceptions.xlsx (sheet {}) and {}",
                                t.title,
                                format_int(k as i64),
                                format_int(n as i64),
                                sheet_name(t),
                                csv
                            ),
                        ),
                        &view,
                        size,
                    );
                }
            }
        }
        "regulator" => regulator(&mut d, models, layout, size)?,
        "board" => board::board(
            &mut d,
            &models.board,
            &board::unsigned_lines(),
            layout,
            size,
        )?,
        other => {
            return Err(ReportError::Layout {
                file: format!("reports/{other}.toml"),
                message: "unknown report".into(),
            });
        }
    }
    Ok(d.finish())
}

fn regulator(
    d: &mut Doc<'_>,
    models: &ReportModels,
    layout: &ReportLayout,
    size: f32,
) -> Result<(), ReportError> {
    let missing = |t: &str| ReportError::Layout {
        file: "reports/regulator.toml".into(),
        message: format!("missing table `{t}`"),
    };
    let figs = layout.table("figures").ok_or_else(|| missing("figures"))?;
    let states = layout
        .table("by_state")
        .ok_or_else(|| missing("by_state"))?;
    let caps = layout
        .table("issuer_caps")
        .ok_or_else(|| missing("issuer_caps"))?;
    let m = &models.regulator;
    if m.sections.is_empty() {
        d.paragraph(layout.label("no_offerings"), 9.0, 0.0);
    }
    for s in &m.sections {
        d.heading(
            &format!(
                "{} — {} (offering #{})",
                s.offering_name, s.regime, s.offering_id
            ),
            10.0,
        );
        let mut t = figs.clone();
        t.title = format!("{} figures", s.regime);
        d.table(&t, &s.figures, size);
        if s.offering_type == "reg_cf"
            && let Some(note) = layout.labels.get("regcf_note")
        {
            d.paragraph(note, 7.0, 0.3);
        }
        if !s.by_state.rows.is_empty() {
            d.table(states, &s.by_state, size);
        }
    }
    if !m.issuer_caps.rows.is_empty() {
        d.table(caps, &m.issuer_caps, size);
    }
    if !m.notes.is_empty() {
        d.heading("Not modelled (silence here is not compliance)", 10.0);
        for n in &m.notes {
            d.paragraph(n, 7.0, 0.3);
        }
    }
    Ok(())
}

/// Renders one report to `path`.
pub fn write_report(
    name: &str,
    models: &ReportModels,
    layouts: &Layouts,
    fonts: &Fonts,
    document_time: NaiveDateTime,
    path: &Path,
) -> Result<(), ReportError> {
    let pages = layout_report(name, models, layouts, fonts)?;
    let title = &layouts.get(name)?.title;
    let bytes =
        to_bytes(pages, fonts, title, &models.header.run_id, document_time).map_err(|message| {
            ReportError::Pdf {
                path: path.to_path_buf(),
                message,
            }
        })?;
    std::fs::write(path, bytes).map_err(|e| ReportError::Io {
        path: path.to_path_buf(),
        source: e,
    })
}

/// The text of every `ShowText` op, per page, in drawing order (for tests and checks).
pub fn page_texts(pages: &[PdfPage]) -> Vec<Vec<String>> {
    pages
        .iter()
        .map(|p| {
            p.ops
                .iter()
                .filter_map(|op| match op {
                    Op::ShowText { items } => Some(
                        items
                            .iter()
                            .filter_map(|i| match i {
                                TextItem::Text(s) => Some(s.as_str()),
                                _ => None,
                            })
                            .collect::<String>(),
                    ),
                    _ => None,
                })
                .collect()
        })
        .collect()
}
