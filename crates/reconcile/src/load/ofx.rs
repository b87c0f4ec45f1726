//! OFX bank and credit-card statements, 1.x SGML (unclosed leaf tags) and 2.x XML, read with a
//! tolerant tag scanner: `STMTTRN` blocks become lines (FITID → bank reference, TRNAMT signed
//! from the account holder's view, DTPOSTED → booking date, DTAVAIL → value date). OFX states
//! only a closing (ledger) balance, so no opening/closing pair is returned.

use chrono::NaiveDate;

use super::{LoadError, LoadedStatement};
use crate::model::{Reject, SourceFormat, StatementLine};

/// One `<TAG>value` leaf or aggregate boundary.
enum Tok<'a> {
    Open(&'a str, usize),
    Close(&'a str, usize),
    Leaf(&'a str, String),
}

fn unescape(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    // Known entities are decoded; a raw `&` (common in SGML OFX) is kept as is.
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&")
}

fn tokens(text: &str, start: usize) -> Vec<Tok<'_>> {
    let mut out = Vec::new();
    let mut i = start;
    while let Some(off) = text[i..].find('<') {
        let lt = i + off;
        let Some(gt_off) = text[lt..].find('>') else {
            break;
        };
        let gt = lt + gt_off;
        let tag = &text[lt + 1..gt];
        i = gt + 1;
        if tag.starts_with('?') || tag.starts_with('!') {
            continue;
        }
        if let Some(name) = tag.strip_prefix('/') {
            out.push(Tok::Close(name.trim(), lt));
            continue;
        }
        let name = tag.trim().trim_end_matches('/');
        // Leaf value: text up to the next tag, with CDATA sections taken verbatim.
        let mut value = String::new();
        let mut j = i;
        loop {
            let rest = &text[j..];
            if let Some(body) = rest.strip_prefix("<![CDATA[") {
                let end = body.find("]]>").unwrap_or(body.len());
                value.push_str(&body[..end]);
                j += 9 + end + 3.min(body.len() - end);
                continue;
            }
            match rest.find('<') {
                Some(k) if rest[k..].starts_with("<![CDATA[") => {
                    value.push_str(&unescape(&rest[..k]));
                    j += k;
                }
                Some(k) => {
                    value.push_str(&unescape(&rest[..k]));
                    j += k;
                    break;
                }
                None => {
                    value.push_str(&unescape(rest));
                    j = text.len();
                    break;
                }
            }
        }
        let value = value.trim().to_string();
        if value.is_empty() {
            out.push(Tok::Open(name, lt));
        } else {
            out.push(Tok::Leaf(name, value));
            i = j;
            // skip an explicit close of this leaf (OFX 2.x / closed SGML)
            let rest = &text[i..];
            let close = format!("</{name}>");
            if rest.starts_with(&close) {
                i += close.len();
            }
        }
    }
    out
}

fn ofx_date(s: &str) -> Result<NaiveDate, String> {
    let d = s.get(..8).filter(|d| d.bytes().all(|c| c.is_ascii_digit()));
    d.and_then(|d| NaiveDate::parse_from_str(d, "%Y%m%d").ok())
        .ok_or_else(|| format!("`{s}` is not an OFX date (YYYYMMDD…)"))
}

/// OFX amounts: optional sign, digits, optional `.` or `,` decimal part. Anything else (e.g. a
/// currency sign) is an error: OFX forbids it.
fn ofx_amount(s: &str) -> Result<i64, String> {
    let t = s.trim();
    let ok = !t.is_empty()
        && t.trim_start_matches(['+', '-'])
            .bytes()
            .all(|c| c.is_ascii_digit() || c == b'.' || c == b',')
        && t.trim_start_matches(['+', '-'])
            .bytes()
            .any(|c| c.is_ascii_digit())
        && t.matches(['.', ',']).count() <= 1;
    if !ok {
        return Err(format!(
            "TRNAMT `{t}` is not an OFX amount (sign, digits, one decimal mark)"
        ));
    }
    let sep = if t.contains(',') {
        super::DecimalSeparator::Comma
    } else {
        super::DecimalSeparator::Dot
    };
    super::parse_amount(t, sep)
}

fn line_of(text: &str, pos: usize) -> u32 {
    u32::try_from(
        text.as_bytes()[..pos.min(text.len())]
            .iter()
            .filter(|&&c| c == b'\n')
            .count()
            + 1,
    )
    .unwrap_or(u32::MAX)
}

pub(crate) fn parse_ofx(file: &str, text: &str) -> Result<LoadedStatement, LoadError> {
    let start = text
        .find("<OFX>")
        .or_else(|| text.find("<OFX "))
        .ok_or_else(|| LoadError::UnknownFormat {
            file: file.to_string(),
            reason: "no <OFX> element: not an OFX file".into(),
        })?;
    let mut out = LoadedStatement::default();
    let mut account: Option<String> = None;
    let mut currency: Option<String> = None;
    let mut row_no: u32 = 0;
    let mut txn: Option<(usize, Vec<(&str, String)>)> = None;
    for t in tokens(text, start) {
        match t {
            Tok::Open("STMTTRN", pos) => txn = Some((pos, Vec::new())),
            Tok::Leaf(name, v) => match &mut txn {
                Some((_, fields)) => fields.push((name, v)),
                None => match name {
                    "ACCTID" => account = Some(v),
                    "CURDEF" => currency = Some(v),
                    _ => {}
                },
            },
            Tok::Close("STMTTRN", end) => {
                let Some((pos, fields)) = txn.take() else {
                    continue;
                };
                row_no += 1;
                let close_end = end + "</STMTTRN>".len();
                let raw = text
                    .get(pos..close_end.min(text.len()))
                    .unwrap_or("")
                    .trim()
                    .to_string();
                let get = |n: &str| fields.iter().find(|(k, _)| *k == n).map(|(_, v)| v.clone());
                let reject = |column: &str, reason: String| Reject {
                    file: file.to_string(),
                    row: line_of(text, pos),
                    column: Some(column.to_string()),
                    reason,
                    raw: raw.clone(),
                };
                let booking = match get("DTPOSTED").map(|d| ofx_date(&d)) {
                    Some(Ok(d)) => d,
                    Some(Err(e)) => {
                        out.rejects.push(reject("DTPOSTED", e));
                        continue;
                    }
                    None => {
                        out.rejects
                            .push(reject("DTPOSTED", "transaction has no DTPOSTED".into()));
                        continue;
                    }
                };
                let amount = match get("TRNAMT").map(|a| ofx_amount(&a)) {
                    Some(Ok(a)) => a,
                    Some(Err(e)) => {
                        out.rejects.push(reject("TRNAMT", e));
                        continue;
                    }
                    None => {
                        out.rejects
                            .push(reject("TRNAMT", "transaction has no TRNAMT".into()));
                        continue;
                    }
                };
                let value_date = get("DTAVAIL").and_then(|d| ofx_date(&d).ok());
                let name = get("NAME");
                let memo = get("MEMO");
                let description = match (&memo, &name) {
                    (Some(m), _) => m.clone(),
                    (None, Some(n)) => n.clone(),
                    _ => String::new(),
                };
                out.lines.push(StatementLine {
                    file: file.to_string(),
                    statement_row: row_no,
                    format: SourceFormat::Ofx,
                    account: account.clone(),
                    bank_ref: get("FITID").or_else(|| get("CHECKNUM")),
                    end_to_end_ref: get("REFNUM"),
                    entry_ref: None,
                    booking_date: booking,
                    value_date,
                    amount_cents: amount,
                    currency: get("CURRENCY").or_else(|| currency.clone()),
                    counterparty: name,
                    description,
                    type_code: get("TRNTYPE"),
                    raw,
                });
            }
            _ => {}
        }
    }
    if let Some((pos, _)) = txn {
        out.rejects.push(Reject {
            file: file.to_string(),
            row: line_of(text, pos),
            column: Some("STMTTRN".into()),
            reason: "transaction is not closed (</STMTTRN> missing): file truncated?".into(),
            raw: text.get(pos..).unwrap_or("").chars().take(400).collect(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sgml_and_xml_shapes() {
        let sgml = "OFXHEADER:100\nDATA:OFXSGML\n\n<OFX><BANKMSGSRSV1><STMTTRNRS><STMTRS><CURDEF>USD\n<BANKACCTFROM><ACCTID>999\n</BANKACCTFROM><BANKTRANLIST>\n<STMTTRN>\n<TRNTYPE>CREDIT\n<DTPOSTED>20261003120000[-5:EST]\n<TRNAMT>1250,5\n<FITID>F1\n<NAME>JANE & CO\n<MEMO>INV-1 &amp; more\n</STMTTRN>\n<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20261004<TRNAMT>-3<FITID>F2<NAME><![CDATA[FEE  ]]></NAME></STMTTRN>\n</BANKTRANLIST></STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>";
        let l = parse_ofx("a.ofx", sgml).unwrap();
        assert!(l.rejects.is_empty(), "{:?}", l.rejects);
        assert_eq!(l.lines.len(), 2);
        assert_eq!(
            l.lines[0].amount_cents, 125_050,
            "comma is the decimal mark when alone"
        );
        assert_eq!(l.lines[0].counterparty.as_deref(), Some("JANE & CO"));
        assert_eq!(l.lines[0].description, "INV-1 & more");
        assert_eq!(l.lines[0].account.as_deref(), Some("999"));
        assert_eq!(l.lines[1].amount_cents, -300);
        assert_eq!(l.lines[1].counterparty.as_deref(), Some("FEE"));
        assert_eq!(l.lines[1].bank_ref.as_deref(), Some("F2"));
        let bad = sgml.replace("<TRNAMT>-3", "<TRNAMT>$3");
        let l = parse_ofx("a.ofx", &bad).unwrap();
        assert_eq!(l.lines.len(), 1);
        assert_eq!(l.rejects[0].column.as_deref(), Some("TRNAMT"));
        assert_eq!(l.rejects[0].row, 15);
        assert!(
            parse_ofx("x.ofx", "hello")
                .unwrap_err()
                .to_string()
                .contains("x.ofx")
        );
    }
}
