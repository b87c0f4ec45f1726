//! BAI2 (BTRS) cash-management files: records 01/02/03/16/88/49/98/99, continuation records,
//! funds types, control totals.

use chrono::NaiveDate;
use tieout_domain::Cents;

use super::values::{parse_yymmdd, text_counterparty};
use super::{LoadError, LoadedStatement};
use crate::model::{Reject, SourceFormat, StatedBalance, StatementLine};

/// Separator put between a record and its `88` continuations; treated as a field separator,
/// and as a space inside the free-text field.
const JOIN: char = '\u{1}';

struct Record {
    code: u8,
    line: u32,
    /// Fields after the record code, continuation lines joined with [`JOIN`].
    body: String,
    raw: String,
    physical: u64,
}

/// Field cursor over a record body.
struct Fields<'a> {
    s: &'a str,
    pos: usize,
    done: bool,
}

impl<'a> Fields<'a> {
    fn new(s: &'a str) -> Self {
        Self {
            s,
            pos: 0,
            done: s.is_empty(),
        }
    }
    fn next(&mut self) -> Option<&'a str> {
        if self.done {
            return None;
        }
        let rest = &self.s[self.pos..];
        match rest.find([',', JOIN]) {
            Some(i) => {
                self.pos += i + rest[i..].chars().next().map_or(1, char::len_utf8);
                Some(rest[..i].trim())
            }
            None => {
                self.done = true;
                self.pos = self.s.len();
                Some(rest.trim())
            }
        }
    }
    fn rest(&self) -> &'a str {
        if self.done { "" } else { &self.s[self.pos..] }
    }
}

fn strip_terminator(line: &str) -> &str {
    let t = line.trim_end_matches(['\r', '\n', ' ', '\t', '\u{1a}']);
    t.strip_suffix('/').unwrap_or(t)
}

/// Whether `rest` (what follows a `/`) starts a record that may follow a record of code
/// `prev`: spaces, then a record code and the shape of that record's first field. Only
/// such a `/` ends a record packed on a physical line with others: a `/` in a reference
/// (`AB/GS/RPFILE0001`) or in text (`08/18/23 Invoice`) is not followed by one.
fn starts_record(prev: u8, rest: &str) -> Option<usize> {
    let skipped = rest.len() - rest.trim_start_matches([' ', '\t']).len();
    let r = &rest.as_bytes()[skipped..];
    if r.len() < 3 || !r[0].is_ascii_digit() || !r[1].is_ascii_digit() || r[2] != b',' {
        return None;
    }
    let code = (r[0] - b'0') * 10 + (r[1] - b'0');
    let allowed: &[u8] = match prev {
        1 => &[2],
        2 => &[3, 88],
        3 | 16 => &[16, 88, 49],
        88 => &[2, 3, 16, 88, 49, 98, 99],
        49 => &[3, 98, 88],
        98 => &[2, 99, 88],
        _ => &[],
    };
    if !allowed.contains(&code) {
        return None;
    }
    let field = &r[3..];
    let digits = |f: &[u8]| f.iter().take_while(|b| b.is_ascii_digit()).count();
    let ok = match code {
        // a three-digit type code
        16 => digits(field) == 3 && field.get(3) == Some(&b','),
        // a signed or empty control total
        49 | 98 | 99 => {
            let f = field
                .strip_prefix(b"-")
                .or_else(|| field.strip_prefix(b"+"))
                .unwrap_or(field);
            let n = digits(f);
            f.get(n).is_some_and(|b| *b == b',' || *b == b'/')
        }
        _ => true,
    };
    ok.then_some(skipped)
}

/// The records of one physical line: usually one, but banks also pack several records on a
/// line, each ended by its `/` (`16,…/16,…/`). Split at every `/` followed by the start of a
/// record that can come next ([`starts_record`]).
fn packed_records(line: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let b = line.as_bytes();
    if b.len() < 3 || !b[0].is_ascii_digit() || !b[1].is_ascii_digit() {
        out.push(line);
        return out;
    }
    let mut start = 0;
    let mut code = (b[0] - b'0') * 10 + (b[1] - b'0');
    let mut i = start + 3;
    while i < b.len() {
        if b[i] == b'/'
            && let Some(skip) = starts_record(code, &line[i + 1..])
        {
            out.push(&line[start..=i]);
            start = i + 1 + skip;
            code = (b[start] - b'0') * 10 + (b[start + 1] - b'0');
            i = start + 3;
            continue;
        }
        i += 1;
    }
    out.push(&line[start..]);
    out
}

fn split_records(file: &str, text: &str) -> Result<(Vec<Record>, Vec<Reject>), LoadError> {
    let mut recs: Vec<Record> = Vec::new();
    let mut rejects = Vec::new();
    for (i, phys) in text.split('\n').enumerate() {
        let line_no = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let whole = phys.trim_end_matches(['\r', ' ', '\t', '\u{1a}']);
        if whole.trim().is_empty() {
            continue;
        }
        for trimmed in packed_records(whole) {
            let b = trimmed.as_bytes();
            let code_ok = b.len() >= 2
                && b[0].is_ascii_digit()
                && b[1].is_ascii_digit()
                && (b.len() == 2 || b[2] == b',' || b[2] == b'/');
            let code = if code_ok {
                (b[0] - b'0') * 10 + (b[1] - b'0')
            } else {
                255
            };
            if recs.is_empty() && code != 1 {
                return Err(LoadError::Bai2 {
                    file: file.to_string(),
                    line: line_no,
                    reason: if code_ok {
                        format!(
                            "first record has code `{}`, expected `01` (file header): `{}`",
                            &trimmed[..2],
                            trimmed
                        )
                    } else {
                        format!(
                            "first line does not start with a record code: `{}`",
                            trimmed.chars().take(60).collect::<String>()
                        )
                    },
                });
            }
            let body = if trimmed.len() > 3 {
                strip_terminator(&trimmed[3..])
            } else {
                ""
            };
            match code {
                88 => {
                    let Some(prev) = recs.last_mut() else {
                        continue;
                    };
                    prev.body.push(JOIN);
                    prev.body.push_str(body);
                    prev.raw.push('\n');
                    prev.raw.push_str(trimmed);
                    prev.physical += 1;
                }
                1 | 2 | 3 | 16 | 49 | 98 | 99 => recs.push(Record {
                    code,
                    line: line_no,
                    body: body.to_string(),
                    raw: trimmed.to_string(),
                    physical: 1,
                }),
                _ => rejects.push(Reject {
                    file: file.to_string(),
                    row: line_no,
                    column: Some("record code".into()),
                    reason: format!(
                        "unknown BAI2 record code `{}` (expected 01, 02, 03, 16, 88, 49, 98 or 99)",
                        trimmed.get(..2).unwrap_or(trimmed)
                    ),
                    raw: trimmed.to_string(),
                }),
            }
        }
    }
    if recs.is_empty() {
        return Err(LoadError::Bai2 {
            file: file.to_string(),
            line: 1,
            reason: "file is empty".into(),
        });
    }
    Ok((recs, rejects))
}

/// Minor-unit scale of a currency relative to cents: (multiply, divide).
fn scale(ccy: &str) -> (i64, i64) {
    match ccy {
        "JPY" | "KRW" | "VND" | "CLP" | "ISK" | "PYG" | "UGX" | "XAF" | "XOF" | "HUF_0" => (100, 1),
        "BHD" | "KWD" | "OMR" | "JOD" | "TND" | "IQD" | "LYD" => (1, 10),
        _ => (1, 1),
    }
}

fn parse_int(s: &str) -> Result<i64, String> {
    let t = s.trim();
    if t.is_empty() {
        return Err("amount is empty".into());
    }
    let (neg, digits) = match t.as_bytes()[0] {
        b'-' => (true, &t[1..]),
        b'+' => (false, &t[1..]),
        _ => (false, t),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("amount `{t}` is not a whole number of minor units"));
    }
    let v: i64 = digits
        .parse()
        .map_err(|_| format!("amount `{t}` is too large"))?;
    Ok(if neg { -v } else { v })
}

fn to_cents(raw: i64, ccy: &str) -> Result<Cents, String> {
    let (mul, div) = scale(ccy);
    if raw % div != 0 {
        return Err(format!("amount {raw} in {ccy} has sub-cent digits"));
    }
    (raw / div)
        .checked_mul(mul)
        .ok_or_else(|| format!("amount {raw} is too large"))
}

/// Skip the extra fields of a funds type. Returns the value date for `V`.
fn funds_extras(f: &mut Fields<'_>, funds: &str) -> Result<Option<NaiveDate>, String> {
    match funds.to_ascii_uppercase().as_str() {
        "" | "0" | "1" | "2" | "Z" => Ok(None),
        "V" => {
            let d = f.next().unwrap_or("");
            let _time = f.next();
            if d.is_empty() {
                Ok(None)
            } else {
                parse_yymmdd(d)
                    .map(Some)
                    .map_err(|e| format!("funds type V value date: {e}"))
            }
        }
        "S" => {
            for _ in 0..3 {
                f.next();
            }
            Ok(None)
        }
        "D" => {
            let n = f.next().unwrap_or("");
            let n: usize = if n.is_empty() {
                0
            } else {
                n.parse().map_err(|_| {
                    format!("funds type D: distribution count `{n}` is not a number")
                })?
            };
            if n > 1000 {
                return Err(format!(
                    "funds type D: distribution count {n} is implausible"
                ));
            }
            for _ in 0..n * 2 {
                f.next();
            }
            Ok(None)
        }
        other => Err(format!(
            "unknown funds type `{other}` (expected 0, 1, 2, S, V, D or Z)"
        )),
    }
}

struct Account {
    number: String,
    currency: String,
    opening: Option<i64>,
    closing: Option<i64>,
    sum: i64,
    records: u64,
    first_row: u32,
}

struct Group {
    as_of: NaiveDate,
    currency: String,
    sum: i64,
    accounts: u64,
    records: u64,
}

pub(crate) fn parse_bai2(file: &str, text: &str) -> Result<LoadedStatement, LoadError> {
    let (recs, early_rejects) = split_records(file, text)?;
    let mut out = LoadedStatement {
        rejects: early_rejects,
        ..Default::default()
    };
    let rej = |r: &Record, column: &str, reason: String| Reject {
        file: file.to_string(),
        row: r.line,
        column: Some(column.to_string()),
        reason,
        raw: r.raw.clone(),
    };
    let structural = |r: &Record, reason: String| LoadError::Bai2 {
        file: file.to_string(),
        line: r.line,
        reason,
    };
    let mut group: Option<Group> = None;
    let mut acct: Option<Account> = None;
    let mut file_sum: i64 = 0;
    let mut file_groups: u64 = 0;
    let mut file_records: u64 = 0;
    let mut row_no: u32 = 0;
    let mut seen_99 = false;
    let last_info = recs
        .last()
        .map(|r| (r.line, r.raw.clone()))
        .unwrap_or((0, String::new()));
    for mut r in recs {
        file_records += r.physical;
        if let Some(g) = group.as_mut() {
            g.records += r.physical;
        }
        if let Some(a) = acct.as_mut() {
            a.records += r.physical;
        }
        let mut f = Fields::new(&r.body);
        match r.code {
            1 => {}
            2 => {
                if group.is_some() {
                    out.rejects.push(rej(
                        &r,
                        "02 group header",
                        "group header before the previous group's 98 trailer".into(),
                    ));
                }
                let _receiver = f.next();
                let _originator = f.next();
                let _status = f.next();
                let date = f.next().unwrap_or("");
                let as_of = parse_yymmdd(date)
                    .map_err(|e| structural(&r, format!("group header as-of date: {e}")))?;
                let _time = f.next();
                let currency = f.next().unwrap_or("").to_ascii_uppercase();
                group = Some(Group {
                    as_of,
                    currency,
                    sum: 0,
                    accounts: 0,
                    records: r.physical,
                });
            }
            3 => {
                let Some(g) = group.as_ref() else {
                    return Err(structural(
                        &r,
                        "account record (03) outside a group (no 02 before it)".into(),
                    ));
                };
                let number = f.next().unwrap_or("").to_string();
                let ccy = f.next().unwrap_or("").to_ascii_uppercase();
                let currency = if !ccy.is_empty() {
                    ccy
                } else if !g.currency.is_empty() {
                    g.currency.clone()
                } else {
                    "USD".into()
                };
                let mut a = Account {
                    number,
                    currency,
                    opening: None,
                    closing: None,
                    sum: 0,
                    records: r.physical,
                    first_row: row_no + 1,
                };
                while let Some(tc) = f.next() {
                    if tc.is_empty() {
                        // empty placeholder fields (`USD,,,,,060,...`, a trailing `,/`)
                        continue;
                    }
                    let amount = f.next().unwrap_or("");
                    let _count = f.next();
                    let funds = f.next().unwrap_or("");
                    if let Err(e) = funds_extras(&mut f, funds) {
                        out.rejects.push(rej(&r, "03 funds type", e));
                        break;
                    }
                    if amount.is_empty() {
                        continue;
                    }
                    match parse_int(amount) {
                        Ok(v) => {
                            a.sum += v;
                            match tc {
                                "010" => a.opening = Some(v),
                                "015" => a.closing = Some(v),
                                _ => {}
                            }
                        }
                        Err(e) => out.rejects.push(rej(
                            &r,
                            "03 summary amount",
                            format!("type code {tc}: {e}"),
                        )),
                    }
                }
                acct = Some(a);
            }
            16 => {
                let (Some(g), Some(a)) = (group.as_ref(), acct.as_mut()) else {
                    return Err(structural(
                        &r,
                        "transaction detail (16) outside an account (no 03 before it)".into(),
                    ));
                };
                row_no += 1;
                let tc = f.next().unwrap_or("").to_string();
                let amount_s = f.next().unwrap_or("");
                let funds = f.next().unwrap_or("");
                let value_date = match funds_extras(&mut f, funds) {
                    Ok(v) => v,
                    Err(e) => {
                        out.rejects.push(rej(&r, "funds type", e));
                        continue;
                    }
                };
                let bank_ref = f.next().unwrap_or("").to_string();
                let cust_ref = f.next().unwrap_or("").to_string();
                let text: String = f
                    .rest()
                    .split(JOIN)
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .collect::<Vec<_>>()
                    .join(" ");
                let raw_amount = match parse_int(amount_s) {
                    Ok(v) if v < 0 => {
                        out.rejects.push(rej(&r, "amount", format!("detail amount `{amount_s}` is signed; BAI2 detail amounts are unsigned (direction comes from the type code)")));
                        a.sum += v;
                        continue;
                    }
                    Ok(v) => v,
                    Err(e) => {
                        out.rejects.push(rej(&r, "amount", e));
                        continue;
                    }
                };
                a.sum += raw_amount;
                let code: u32 = tc.parse().unwrap_or(0);
                let sign: i64 = match code {
                    100..=399 => 1,
                    400..=699 => -1,
                    _ => {
                        out.rejects.push(rej(&r, "type code", format!(
                            "type code `{tc}` is not a credit (100–399) or debit (400–699) detail code; its direction is unknown"
                        )));
                        continue;
                    }
                };
                let cents = match to_cents(raw_amount, &a.currency) {
                    Ok(c) => c,
                    Err(e) => {
                        out.rejects.push(rej(&r, "amount", e));
                        continue;
                    }
                };
                out.lines.push(StatementLine {
                    file: file.to_string(),
                    statement_row: row_no,
                    format: SourceFormat::Bai2,
                    account: Some(a.number.clone()).filter(|s| !s.is_empty()),
                    bank_ref: Some(bank_ref).filter(|s| !s.is_empty()),
                    end_to_end_ref: Some(cust_ref).filter(|s| !s.is_empty()),
                    entry_ref: None,
                    booking_date: g.as_of,
                    value_date,
                    amount_cents: sign * cents,
                    currency: Some(a.currency.clone()),
                    counterparty: text_counterparty(&text, sign > 0),
                    description: text,
                    type_code: Some(tc),
                    raw: std::mem::take(&mut r.raw),
                });
            }
            49 => {
                let Some(a) = acct.take() else {
                    out.rejects.push(rej(
                        &r,
                        "49 account trailer",
                        "account trailer without an account (03)".into(),
                    ));
                    continue;
                };
                let total = f.next().unwrap_or("");
                let count = f.next().unwrap_or("");
                let mut stated_total = a.sum;
                if !total.is_empty() {
                    match parse_int(total) {
                        Ok(t) => {
                            stated_total = t;
                            if t != a.sum {
                                out.control_breaks.push(rej(&r, "49 account control total", format!(
                                    "BALANCE: account {} trailer control total {t} does not equal the sum of the account's amounts {}",
                                    a.number, a.sum
                                )));
                            }
                        }
                        Err(e) => out.rejects.push(rej(&r, "49 account control total", e)),
                    }
                }
                if !count.is_empty() && count.parse::<u64>().ok() != Some(a.records) {
                    out.control_breaks.push(rej(
                        &r,
                        "49 record count",
                        format!(
                            "account {} trailer says {count} records, the account has {}",
                            a.number, a.records
                        ),
                    ));
                }
                if let Some(g) = group.as_mut() {
                    g.sum += stated_total;
                    g.accounts += 1;
                }
                if let (Some(o), Some(c)) = (a.opening, a.closing) {
                    match (to_cents(o, &a.currency), to_cents(c, &a.currency)) {
                        (Ok(o), Ok(c)) => {
                            out.balances.push(StatedBalance {
                                file: file.to_string(),
                                account: Some(a.number.clone()).filter(|s| !s.is_empty()),
                                opening_cents: o,
                                closing_cents: c,
                                as_of: group.as_ref().map(|g| g.as_of),
                            });
                            out.balance_rows.push((a.first_row, row_no + 1));
                        }
                        (Err(e), _) | (_, Err(e)) => out.rejects.push(rej(&r, "03 balance", e)),
                    }
                }
            }
            98 => {
                if acct.is_some() {
                    out.rejects.push(rej(
                        &r,
                        "98 group trailer",
                        "group trailer before the account's 49 trailer".into(),
                    ));
                    acct = None;
                }
                let Some(g) = group.take() else {
                    out.rejects.push(rej(
                        &r,
                        "98 group trailer",
                        "group trailer without a group header (02)".into(),
                    ));
                    continue;
                };
                let total = f.next().unwrap_or("");
                let accounts = f.next().unwrap_or("");
                let count = f.next().unwrap_or("");
                let mut stated = g.sum;
                if !total.is_empty() {
                    match parse_int(total) {
                        Ok(t) => {
                            stated = t;
                            if t != g.sum {
                                out.control_breaks.push(rej(&r, "98 group control total", format!(
                                    "BALANCE: group trailer control total {t} does not equal the sum of its account totals {}", g.sum
                                )));
                            }
                        }
                        Err(e) => out.rejects.push(rej(&r, "98 group control total", e)),
                    }
                }
                if !accounts.is_empty() && accounts.parse::<u64>().ok() != Some(g.accounts) {
                    out.control_breaks.push(rej(
                        &r,
                        "98 number of accounts",
                        format!(
                            "group trailer says {accounts} accounts, the group has {}",
                            g.accounts
                        ),
                    ));
                }
                if !count.is_empty() && count.parse::<u64>().ok() != Some(g.records) {
                    out.control_breaks.push(rej(
                        &r,
                        "98 record count",
                        format!(
                            "group trailer says {count} records, the group has {}",
                            g.records
                        ),
                    ));
                }
                file_sum += stated;
                file_groups += 1;
            }
            99 => {
                seen_99 = true;
                let total = f.next().unwrap_or("");
                let groups = f.next().unwrap_or("");
                let count = f.next().unwrap_or("");
                if !total.is_empty() {
                    match parse_int(total) {
                        Ok(t) if t != file_sum => out.control_breaks.push(rej(&r, "99 file control total", format!(
                            "BALANCE: file trailer control total {t} does not equal the sum of its group totals {file_sum}"
                        ))),
                        Ok(_) => {}
                        Err(e) => out.rejects.push(rej(&r, "99 file control total", e)),
                    }
                }
                if !groups.is_empty() && groups.parse::<u64>().ok() != Some(file_groups) {
                    out.control_breaks.push(rej(
                        &r,
                        "99 number of groups",
                        format!("file trailer says {groups} groups, the file has {file_groups}"),
                    ));
                }
                if !count.is_empty() && count.parse::<u64>().ok() != Some(file_records) {
                    out.control_breaks.push(rej(
                        &r,
                        "99 record count",
                        format!("file trailer says {count} records, the file has {file_records}"),
                    ));
                }
            }
            _ => {}
        }
    }
    if !seen_99 {
        let last = last_info;
        out.rejects.push(Reject {
            file: file.to_string(),
            row: last.0,
            column: Some("99 file trailer".into()),
            reason: "file ends without a 99 file trailer (truncated?)".into(),
            raw: last.1,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(s: &str) -> LoadedStatement {
        parse_bai2("t.bai2", s).unwrap()
    }

    const GOOD: &str = "01,SENDER,RECV,261003,0800,1,,,2/
02,RECV,BANK,1,261002,2400,USD,2/
03,123,USD,010,100000,,,015,145000,,/
16,195,50000,V,261001,,WIRE1,CUST1,INCOMING WIRE FROM/
88,JANE DOE REF INV-1
16,495,5000,0,REF2,,OUTGOING/
49,300000,5/
98,300000,1,7/
99,300000,1,9/
";

    #[test]
    fn continuation_funds_and_balances() {
        let l = load(GOOD);
        assert!(l.rejects.is_empty(), "{:?}", l.rejects);
        assert_eq!(l.lines.len(), 2);
        let a = &l.lines[0];
        assert_eq!(a.amount_cents, 50_000);
        assert_eq!(a.value_date, NaiveDate::from_ymd_opt(2026, 10, 1));
        assert_eq!(
            a.booking_date,
            NaiveDate::from_ymd_opt(2026, 10, 2).unwrap()
        );
        assert_eq!(a.bank_ref.as_deref(), Some("WIRE1"));
        assert_eq!(a.end_to_end_ref.as_deref(), Some("CUST1"));
        assert_eq!(a.description, "INCOMING WIRE FROM JANE DOE REF INV-1");
        assert!(a.raw.contains('\n'));
        assert_eq!(l.lines[1].amount_cents, -5_000);
        assert_eq!(l.lines[1].statement_row, 2);
        assert_eq!(l.balances.len(), 1);
        assert_eq!(
            (l.balances[0].opening_cents, l.balances[0].closing_cents),
            (100_000, 145_000)
        );
        assert!(l.balance_breaks().is_empty());
    }

    #[test]
    fn control_total_mismatch_is_a_control_break_not_a_reject() {
        let bad = GOOD.replace("49,300000,5/", "49,300001,5/");
        let l = load(&bad);
        assert!(l.rejects.is_empty(), "{:?}", l.rejects);
        let r = l
            .control_breaks
            .iter()
            .find(|r| r.column.as_deref() == Some("49 account control total"))
            .unwrap();
        assert!(r.reason.starts_with("BALANCE:"), "{}", r.reason);
        assert!(r.reason.contains("300001") && r.reason.contains("300000"));
        assert_eq!(r.row, 7);
        // group total now disagrees with the 49 it sums
        assert!(
            l.control_breaks
                .iter()
                .any(|r| r.column.as_deref() == Some("98 group control total"))
        );
    }

    #[test]
    fn funds_type_variants_shift_fields() {
        let s = "01,S,R,261003,0800,1,,,2/
02,R,B,1,261002,,,2/
03,9,,010,0,,,015,1000,,/
16,115,100,S,10,20,70,BREF-S,CREF-S,TEXT S/
16,115,200,D,2,0,150,1,50,BREF-D,CREF-D,TEXT D/
16,115,300,Z,BREF-Z,CREF-Z,TEXT Z/
16,115,400,1,BREF-1,,/
49,2000,6/
98,2000,1,8/
99,2000,1,10/
";
        let l = load(s);
        assert!(l.rejects.is_empty(), "{:?}", l.rejects);
        let refs: Vec<_> = l
            .lines
            .iter()
            .map(|x| x.bank_ref.clone().unwrap())
            .collect();
        assert_eq!(refs, ["BREF-S", "BREF-D", "BREF-Z", "BREF-1"]);
        assert_eq!(l.lines[1].description, "TEXT D");
        assert_eq!(l.lines[1].end_to_end_ref.as_deref(), Some("CREF-D"));
        assert_eq!(l.lines.iter().map(|x| x.amount_cents).sum::<i64>(), 1000);
        assert!(l.balance_breaks().is_empty());
    }

    #[test]
    fn bad_detail_lines_are_rejected_not_dropped() {
        let s = GOOD.replace("16,495,5000,0,REF2", "16,905,5000,0,REF2");
        let l = load(&s);
        assert_eq!(l.lines.len(), 1);
        let r = l
            .rejects
            .iter()
            .find(|r| r.column.as_deref() == Some("type code"))
            .unwrap();
        assert!(r.reason.contains("905"));
        assert_eq!(r.row, 6);
        let s = GOOD.replace("16,495,5000,", "16,495,,");
        let l = load(&s);
        assert!(
            l.rejects
                .iter()
                .any(|r| r.column.as_deref() == Some("amount") && r.reason.contains("empty"))
        );
    }

    #[test]
    fn counterparty_from_wire_text() {
        let t = "FEDWIRE CREDIT VIA: TRUIST BANK /061000104 B/O: JANE Q DOE OBI: INV-1 IMAD: 20261003MMQFMP01";
        assert_eq!(text_counterparty(t, true).as_deref(), Some("JANE Q DOE"));
        let t = "SWIFT INCOMING CREDIT B/O: ACME, INC. ORD INST: DEUTDEFF UETR: 1-2 /RFB/ INV-2";
        assert_eq!(text_counterparty(t, true).as_deref(), Some("ACME, INC."));
        let t = "ACH Credit Payment EREF: 1111 DBNM: TEST INC CACT: ACHCONTROL";
        assert_eq!(text_counterparty(t, true).as_deref(), Some("TEST INC"));
        assert_eq!(
            text_counterparty("WIRE OUT BNF: JOHN ROE REF: R1", false).as_deref(),
            Some("JOHN ROE")
        );
        assert_eq!(text_counterparty("MONTHLY FEE", true), None);
        let l = load(&GOOD.replace("INCOMING WIRE FROM/", "WIRE B/O: MARY/"));
        assert_eq!(
            l.lines[0].counterparty.as_deref(),
            Some("MARY JANE DOE REF INV-1")
        );
    }

    #[test]
    fn records_packed_on_one_line_are_split_and_none_is_lost() {
        // The whole file on one physical line, every record ended by `/`.
        let packed = GOOD
            .lines()
            .map(|l| {
                if l.ends_with('/') {
                    l.to_string()
                } else {
                    format!("{l}/")
                }
            })
            .collect::<Vec<_>>()
            .join(" ");
        let l = load(&packed);
        assert!(l.rejects.is_empty(), "{:?}", l.rejects);
        assert!(l.control_breaks.is_empty(), "{:?}", l.control_breaks);
        let want = load(GOOD);
        let key = |x: &StatementLine| {
            (
                x.amount_cents,
                x.bank_ref.clone(),
                x.description.clone(),
                x.value_date,
            )
        };
        assert_eq!(
            l.lines.iter().map(key).collect::<Vec<_>>(),
            want.lines.iter().map(key).collect::<Vec<_>>()
        );
        assert_eq!(l.balances, want.balances);
        // The header on its own line and the rest packed two records a line: the second
        // record of each line is a record of its own, not text of the first.
        let s = "01,SENDER,RECV,261003,0800,1,,,2/
02,RECV,BANK,1,261002,2400,USD,2/03,123,USD,010,100000,,,015,100800,,/
16,195,700,0,B1,C1/16,495,200,0,B2,C2/
16,195,300,0,B3,/49,202000,5/
98,202000,1,7/99,202000,1,9/
";
        let l = load(s);
        assert!(l.rejects.is_empty(), "{:?}", l.rejects);
        assert!(l.control_breaks.is_empty(), "{:?}", l.control_breaks);
        let got: Vec<(i64, Option<&str>, Option<&str>, u32)> = l
            .lines
            .iter()
            .map(|x| {
                (
                    x.amount_cents,
                    x.bank_ref.as_deref(),
                    x.end_to_end_ref.as_deref(),
                    x.statement_row,
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                (700, Some("B1"), Some("C1"), 1),
                (-200, Some("B2"), Some("C2"), 2),
                (300, Some("B3"), None, 3),
            ]
        );
        // Rejects of packed records name their physical line.
        let l = load(&s.replace("16,495,200,", "16,905,200,"));
        assert_eq!(l.lines.len(), 2);
        assert_eq!(l.rejects.len(), 1);
        assert_eq!(l.rejects[0].row, 3);
        assert!(
            l.rejects[0].raw.starts_with("16,905,200"),
            "{:?}",
            l.rejects
        );
    }

    #[test]
    fn a_slash_inside_a_reference_or_text_is_not_a_terminator() {
        // The shape of moov-io/bai2's issue 113 file: customer references and free text with
        // `/` in them, records not slash-terminated, 88 continuations with `/`.
        let s = "01,GSBI,cont001,210706,1249,1,,,2/
02,cont001,026015079,1,230906,2000,,/
03,107049924,USD,,,,,060,0,,,100,000,0,,400,000,0,/
16,447,928650,,SPB2322684598521,AB/GS/RPFILERP0001/RPBA0001,ACH Credit Payment,Client Ref ID: AB/GS/TEST0001/RPBA0001, GS ID: SPB2322684598521
88,EREF: AB/GS/RPFILERP0001/RPBA0001
16,495,30000000,,GI2323300009168,3785726,Outgoing Wire,Remittance Info: \"08/18/23 Invoice - Sample\", Client Ref ID: 3785726
88,REMI: 08/18/23 Invoice - Sample/
16,165,5000,,SPB2321284264201,AB/GS/DDFILEAB0001/DDBAB0001/
49,30933650,7/
98,30933650,1,9/
99,30933650,1,11/
";
        let l = load(s);
        assert!(l.rejects.is_empty(), "{:?}", l.rejects);
        assert!(l.control_breaks.is_empty(), "{:?}", l.control_breaks);
        assert_eq!(l.lines.len(), 3);
        assert_eq!(
            l.lines[0].end_to_end_ref.as_deref(),
            Some("AB/GS/RPFILERP0001/RPBA0001")
        );
        assert!(
            l.lines[0]
                .description
                .ends_with("Client Ref ID: AB/GS/TEST0001/RPBA0001, GS ID: SPB2322684598521 EREF: AB/GS/RPFILERP0001/RPBA0001"),
            "{}",
            l.lines[0].description
        );
        assert_eq!(l.lines[1].amount_cents, -30_000_000);
        assert!(
            l.lines[1]
                .description
                .ends_with("REMI: 08/18/23 Invoice - Sample"),
            "{}",
            l.lines[1].description
        );
        assert_eq!(
            l.lines[2].end_to_end_ref.as_deref(),
            Some("AB/GS/DDFILEAB0001/DDBAB0001")
        );
    }

    #[test]
    fn structural_errors() {
        let e = parse_bai2("x.txt", "00,0004,1/2/345/\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("x.txt") && e.contains("line 1") && e.contains("`00`"),
            "{e}"
        );
        let l = load(GOOD.trim_end().rsplit_once('\n').unwrap().0);
        assert!(l.rejects.iter().any(|r| r.reason.contains("without a 99")));
        let cad = "01,S,R,261003,0800,1,,,2/\n02,R,B,1,261002,,JPY,2/\n03,9,,/\n16,195,1500,0,R1,,/\n49,1500,3/\n98,1500,1,5/\n99,1500,1,7/\n";
        assert_eq!(load(cad).lines[0].amount_cents, 150_000);
    }
}
