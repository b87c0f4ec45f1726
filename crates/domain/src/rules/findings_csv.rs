//! `findings.csv`: the findings as the output contract writes them.

use crate::finding::Finding;

/// Renders findings as `findings.csv`: columns `code,severity,investment_id,investor_id,
/// offering_id,detail` with RFC 4180 quoting; empty cells for missing ids.
pub fn findings_csv(findings: &[Finding]) -> String {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    let id = |v: Option<i64>| v.map(|x| x.to_string()).unwrap_or_default();
    // Writing to a Vec cannot fail; errors are impossible here but handled without panicking.
    let _ = w.write_record([
        "code",
        "severity",
        "investment_id",
        "investor_id",
        "offering_id",
        "detail",
    ]);
    for f in findings {
        let _ = w.write_record([
            f.code.as_str().to_string(),
            f.severity.as_str().to_string(),
            id(f.investment_id),
            id(f.investor_id),
            id(f.offering_id),
            // Details quote input text (names, references): never a formula in a spreadsheet.
            crate::safe_text::csv_text(&f.detail).into_owned(),
        ]);
    }
    let bytes = w.into_inner().unwrap_or_default();
    String::from_utf8(bytes).unwrap_or_default()
}
