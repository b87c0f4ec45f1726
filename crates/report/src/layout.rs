//! Report layouts as data: titles, table headings, column order, widths and alignment are read
//! from `templates/reports/<report>.toml` at run time, with the shipped defaults embedded in the
//! binary so the crate works without the templates directory.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::ReportError;

/// Every report this crate renders, by file stem.
pub const REPORTS: [&str; 5] = [
    "investor-register",
    "funds-received",
    "exceptions",
    "regulator",
    "board",
];

const EMBEDDED: [(&str, &str); 5] = [
    (
        "investor-register",
        include_str!("../../../templates/reports/investor-register.toml"),
    ),
    (
        "funds-received",
        include_str!("../../../templates/reports/funds-received.toml"),
    ),
    (
        "exceptions",
        include_str!("../../../templates/reports/exceptions.toml"),
    ),
    (
        "regulator",
        include_str!("../../../templates/reports/regulator.toml"),
    ),
    (
        "board",
        include_str!("../../../templates/reports/board.toml"),
    ),
];

/// Paper size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Paper {
    /// US Letter, 8.5 × 11 in.
    #[default]
    Letter,
    /// ISO A4, 210 × 297 mm.
    A4,
}

/// Page orientation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Orientation {
    /// Tall.
    #[default]
    Portrait,
    /// Wide (for wide tables).
    Landscape,
}

/// Horizontal alignment of a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Align {
    /// Left.
    Left,
    /// Right (numbers).
    Right,
    /// Centred.
    Center,
}

/// One column of a table.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnLayout {
    /// Field key in the report model row.
    pub key: String,
    /// Heading text.
    pub heading: String,
    /// Relative width in the PDF (millimetres before scaling to the page).
    pub width: f32,
    /// Column width in the XLSX (characters); defaults to `width`.
    #[serde(default)]
    pub xlsx_width: Option<f64>,
    /// Alignment; defaults to right for numbers, left otherwise.
    #[serde(default)]
    pub align: Option<Align>,
    /// Wrap long text onto up to four lines in the PDF (else it is cut with an ellipsis).
    #[serde(default)]
    pub wrap: bool,
    /// Only in the XLSX (the worksheet's id and decision columns), not in the PDF.
    #[serde(default)]
    pub xlsx_only: bool,
}

/// One table of a report.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableLayout {
    /// Table name in the report model.
    pub name: String,
    /// Title printed above the table.
    pub title: String,
    /// XLSX sheet name (max 31 characters).
    #[serde(default)]
    pub sheet: Option<String>,
    /// Body font size in points; defaults to the report's.
    #[serde(default)]
    pub font_size: Option<f32>,
    /// Columns in display order.
    pub columns: Vec<ColumnLayout>,
    /// The PDF lists this table in full up to this many rows; above it, the PDF summarises
    /// and lists only `pdf_listed_rows` (the XLSX always holds every row). Defaults to
    /// [`PDF_FULL_TABLE_MAX_ROWS`].
    #[serde(default)]
    pub pdf_max_rows: Option<usize>,
    /// Rows the PDF lists when the table has more than `pdf_max_rows`. Defaults to
    /// [`PDF_LISTED_ROWS`].
    #[serde(default)]
    pub pdf_listed_rows: Option<usize>,
}

/// Detail tables (investors, receipts, exceptions, findings, rejects) with at most this many
/// rows are listed in full in the PDF (10,000 rows is some 220 landscape pages). Longer ones
/// are summarised: a summary table, the first [`PDF_LISTED_ROWS`] most relevant rows, and a
/// pointer to the XLSX (and CSV) that hold every row.
pub const PDF_FULL_TABLE_MAX_ROWS: usize = 10_000;

/// Rows a summarised PDF table lists (see [`PDF_FULL_TABLE_MAX_ROWS`]).
pub const PDF_LISTED_ROWS: usize = 1_000;

impl TableLayout {
    /// How many of `n` rows the PDF lists: all of them up to the table's limit, else
    /// `pdf_listed_rows` (never more than `n`).
    pub fn pdf_rows(&self, n: usize) -> usize {
        if n <= self.pdf_max_rows.unwrap_or(PDF_FULL_TABLE_MAX_ROWS) {
            n
        } else {
            self.pdf_listed_rows.unwrap_or(PDF_LISTED_ROWS).min(n)
        }
    }
}

/// Built-in layouts of the optional summary tables the PDF adds when a detail table is too
/// long to list in full; a report layout file may define them to override these.
const OPTIONAL_TABLES: &str = r#"
[[tables]]
name = "by_offering"
title = "Register by offering"
columns = [
  { key = "offering_id", heading = "ID", width = 8 },
  { key = "offering", heading = "Offering", width = 38 },
  { key = "offering_type", heading = "Type", width = 16 },
  { key = "investors", heading = "Investors", width = 14 },
  { key = "investments", heading = "Inv.", width = 14 },
  { key = "pending", heading = "Pending", width = 24 },
  { key = "held", heading = "Received", width = 24 },
  { key = "accepted", heading = "Accepted", width = 24 },
  { key = "refunded", heading = "Refunded", width = 24 },
  { key = "void", heading = "Void", width = 24 },
  { key = "total", heading = "Total", width = 25 },
  { key = "shares", heading = "Shares", width = 18 },
]

[[tables]]
name = "summary"
title = "Summary by code"
columns = [
  { key = "kind", heading = "Kind", width = 24 },
  { key = "severity", heading = "Severity", width = 16 },
  { key = "issue", heading = "Issue", width = 50, wrap = true },
  { key = "code", heading = "Code", width = 36, wrap = true },
  { key = "count", heading = "Count", width = 16 },
  { key = "amount", heading = "Amount", width = 24 },
  { key = "next_action", heading = "Next action", width = 102, wrap = true },
]
"#;

impl TableLayout {
    /// The table as the PDF shows it: without the XLSX-only columns.
    pub fn pdf_view(&self) -> TableLayout {
        TableLayout {
            columns: self
                .columns
                .iter()
                .filter(|c| !c.xlsx_only)
                .cloned()
                .collect(),
            ..self.clone()
        }
    }
}

/// The layout of an optional table: the report's own when its layout file defines it, else
/// the built-in default (`None` for a name that has no default).
pub fn table_or_default(layout: &ReportLayout, name: &str) -> Option<TableLayout> {
    if let Some(t) = layout.table(name) {
        return Some(t.clone());
    }
    #[derive(Deserialize)]
    struct Tables {
        tables: Vec<TableLayout>,
    }
    let t: Tables = toml::from_str(OPTIONAL_TABLES).ok()?;
    t.tables.into_iter().find(|t| t.name == name)
}

/// The layout of one report.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportLayout {
    /// Report title (page header, XLSX document title).
    pub title: String,
    /// One-line description under the title on the first page.
    #[serde(default)]
    pub subtitle: Option<String>,
    /// Paper size.
    #[serde(default)]
    pub paper: Paper,
    /// Orientation.
    #[serde(default)]
    pub orientation: Orientation,
    /// Default body font size in points.
    #[serde(default = "default_font_size")]
    pub font_size: f32,
    /// Free labels used by the report (section headings, chart titles), by key.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// Tables.
    pub tables: Vec<TableLayout>,
}

fn default_font_size() -> f32 {
    7.5
}

impl ReportLayout {
    /// The table layout named `name`.
    pub fn table(&self, name: &str) -> Option<&TableLayout> {
        self.tables.iter().find(|t| t.name == name)
    }

    /// A label by key, or the key itself.
    pub fn label<'a>(&'a self, key: &'a str) -> &'a str {
        self.labels.get(key).map(String::as_str).unwrap_or(key)
    }
}

/// All report layouts.
#[derive(Debug, Clone, PartialEq)]
pub struct Layouts {
    /// Layout by report name (see [`REPORTS`]).
    pub reports: BTreeMap<String, ReportLayout>,
}

impl Layouts {
    /// Loads layouts: for each report, `<dir>/reports/<report>.toml` when `dir` is given and the
    /// file exists, else the embedded default. Every layout is validated against the report
    /// models (unknown tables or column keys are errors naming the file).
    pub fn load(dir: Option<&Path>) -> Result<Layouts, ReportError> {
        let mut reports = BTreeMap::new();
        for (name, embedded) in EMBEDDED {
            let (source, text) = match dir.map(|d| d.join("reports").join(format!("{name}.toml"))) {
                Some(path) if path.exists() => {
                    let text = std::fs::read_to_string(&path).map_err(|e| ReportError::Io {
                        path: path.clone(),
                        source: e,
                    })?;
                    (path.display().to_string(), text)
                }
                _ => (
                    format!("<embedded>/reports/{name}.toml"),
                    embedded.to_string(),
                ),
            };
            let layout: ReportLayout = toml::from_str(&text).map_err(|e| ReportError::Layout {
                file: source.clone(),
                message: e.to_string(),
            })?;
            validate(name, &layout).map_err(|message| ReportError::Layout {
                file: source.clone(),
                message,
            })?;
            reports.insert(name.to_string(), layout);
        }
        Ok(Layouts { reports })
    }

    /// The embedded default layouts.
    pub fn embedded() -> Result<Layouts, ReportError> {
        Self::load(None)
    }

    /// The layout of one report.
    pub fn get(&self, report: &str) -> Result<&ReportLayout, ReportError> {
        self.reports.get(report).ok_or_else(|| ReportError::Layout {
            file: format!("reports/{report}.toml"),
            message: "layout missing".into(),
        })
    }
}

fn validate(report: &str, layout: &ReportLayout) -> Result<(), String> {
    for t in &layout.tables {
        let Some(keys) = crate::models::table_keys(report, &t.name) else {
            return Err(format!("unknown table `{}` for report `{report}`", t.name));
        };
        if t.columns.is_empty() {
            return Err(format!("table `{}` has no columns", t.name));
        }
        for c in &t.columns {
            if !keys.contains(&c.key.as_str()) {
                return Err(format!(
                    "table `{}`: unknown column key `{}` (known: {})",
                    t.name,
                    c.key,
                    keys.join(", ")
                ));
            }
            if !(c.width > 0.0 && c.width.is_finite()) {
                return Err(format!(
                    "table `{}` column `{}`: width must be > 0",
                    t.name, c.key
                ));
            }
        }
        if let Some(s) = &t.sheet
            && (s.is_empty() || s.chars().count() > 31)
        {
            return Err(format!(
                "table `{}`: sheet name must be 1–31 characters",
                t.name
            ));
        }
    }
    for required in crate::models::required_tables(report) {
        if layout.table(required).is_none() {
            return Err(format!("missing table `{required}`"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_layouts_load_and_validate() {
        let l = Layouts::load(None).unwrap();
        assert_eq!(l.reports.len(), REPORTS.len());
        assert!(
            l.get("investor-register")
                .unwrap()
                .table("investors")
                .is_some()
        );
    }

    #[test]
    fn optional_tables_have_valid_defaults() {
        let l = Layouts::load(None).unwrap();
        for (report, table) in [
            ("investor-register", "by_offering"),
            ("exceptions", "summary"),
        ] {
            let layout = l.get(report).unwrap();
            let t = table_or_default(layout, table).unwrap();
            let mut with = layout.clone();
            with.tables.push(t);
            validate(report, &with).unwrap();
        }
        assert!(table_or_default(l.get("board").unwrap(), "nope").is_none());
    }

    #[test]
    fn pdf_rows_cap_long_tables() {
        let l = Layouts::load(None).unwrap();
        let mut t = l
            .get("investor-register")
            .unwrap()
            .table("investors")
            .unwrap()
            .clone();
        assert_eq!(t.pdf_rows(PDF_FULL_TABLE_MAX_ROWS), PDF_FULL_TABLE_MAX_ROWS);
        assert_eq!(t.pdf_rows(PDF_FULL_TABLE_MAX_ROWS + 1), PDF_LISTED_ROWS);
        t.pdf_max_rows = Some(3);
        t.pdf_listed_rows = Some(2);
        assert_eq!(t.pdf_rows(3), 3);
        assert_eq!(t.pdf_rows(4), 2);
        t.pdf_listed_rows = Some(10);
        assert_eq!(t.pdf_rows(4), 4);
    }

    #[test]
    fn directory_layout_overrides_and_bad_keys_are_reported() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("reports")).unwrap();
        let text = EMBEDDED[0].1.replace("key = \"name\"", "key = \"nmae\"");
        std::fs::write(dir.path().join("reports/investor-register.toml"), text).unwrap();
        let err = Layouts::load(Some(dir.path())).unwrap_err().to_string();
        assert!(err.contains("investor-register.toml"), "{err}");
        assert!(err.contains("nmae"), "{err}");

        let text = EMBEDDED[0]
            .1
            .replace("title = \"Investor register\"", "title = \"Register X\"");
        std::fs::write(dir.path().join("reports/investor-register.toml"), text).unwrap();
        let l = Layouts::load(Some(dir.path())).unwrap();
        assert_eq!(l.get("investor-register").unwrap().title, "Register X");
    }
}
