//! Layout detection by content, for CSV/XLSX exports whose header row names no column (or that
//! have none): which column holds the date, the amount (one signed column, a debit/credit
//! pair, or an amount with a D/C or DEBIT/CREDIT column), the description, the reference and
//! the running balance, decided from the values. Also the opening/closing balance rows some
//! banks write among the transactions (`Saldo Anterior`, `Opening balance`, …).
//!
//! What cannot be decided from the data is refused with what was ambiguous and how to map it
//! in a bank profile; what was decided is said ([`Inferred::notes`]).

use std::collections::BTreeSet;

use tieout_domain::Cents;

use super::grid::GridRow;
use super::profile::ColumnRole;
use super::values::{DayOrder, DecimalSeparator, parse_amount, parse_date};

/// Direction words an indicator column holds (upper case).
pub(crate) const CREDIT_WORDS: &[&str] = &["CR", "C", "CREDIT", "CRDT", "+", "CRED"];
/// See [`CREDIT_WORDS`].
pub(crate) const DEBIT_WORDS: &[&str] = &["DR", "D", "DEBIT", "DBIT", "-", "DEB"];

/// Roles decided from the content, one per column (`None`: not used).
#[derive(Debug)]
pub(crate) struct Inferred {
    /// Role per column.
    pub roles: Vec<Option<ColumnRole>>,
    /// What was decided and why, for the reader.
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Empty,
    Date,
    Money,
    Integer,
    Indicator,
    Currency,
    Word,
    Text,
}

/// A value a date column holds: parses as a date and looks like one (separators or a month
/// name, or eight digits), never a bare number (an amount, a check number, a serial).
fn date_like(v: &str) -> bool {
    // A plain number (`20.00`, `46298`) is an amount or a serial, not a written date.
    let plain_number = v.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && v.matches('.').count() <= 1
        && !(v.len() == 8 && v.bytes().all(|b| b.is_ascii_digit()));
    if plain_number {
        return false;
    }
    let has_sep = v.contains(['/', '-', '.', ' ']);
    let digits = v.bytes().filter(u8::is_ascii_digit).count();
    let shaped = has_sep || (digits >= 8 && v.as_bytes()[..8].iter().all(u8::is_ascii_digit));
    shaped
        && digits >= 4
        && (parse_date(v, DayOrder::Mdy).is_ok() || parse_date(v, DayOrder::Dmy).is_ok())
}

/// A value that is an amount of money: parses, and shows it (two decimals, a currency sign,
/// parentheses or an explicit sign). `0` placeholders are money-compatible but not evidence.
fn money_evidence(v: &str) -> Option<bool> {
    if parse_amount(v, DecimalSeparator::Auto).is_err() {
        return None;
    }
    let t = v.trim();
    let b = t.trim_end_matches([')', ' ']).as_bytes();
    let n = b.len();
    let two_dec = n >= 3
        && (b[n - 3] == b'.' || b[n - 3] == b',')
        && b[n - 2].is_ascii_digit()
        && b[n - 1].is_ascii_digit();
    let marked = t.contains(['$', '€', '£', '¥', '(']) || t.starts_with(['+', '-']);
    Some(two_dec || marked)
}

fn kind_of(values: &[&str]) -> Kind {
    let vals: Vec<&str> = values.iter().copied().filter(|v| !v.is_empty()).collect();
    if vals.is_empty() {
        return Kind::Empty;
    }
    let all = |f: &dyn Fn(&str) -> bool| vals.iter().all(|v| f(v));
    if all(&date_like) {
        return Kind::Date;
    }
    let up = |v: &str| v.to_ascii_uppercase();
    if all(&|v| {
        let u = up(v);
        CREDIT_WORDS.contains(&u.as_str()) || DEBIT_WORDS.contains(&u.as_str())
    }) && vals.iter().any(|v| v.chars().any(char::is_alphabetic))
    {
        return Kind::Indicator;
    }
    if all(&|v| v.len() == 3 && v.bytes().all(|b| b.is_ascii_uppercase())) {
        return Kind::Currency;
    }
    if all(&|v| v.bytes().all(|b| b.is_ascii_digit())) {
        // Whole numbers without a decimal: check numbers, document numbers (or 0 placeholders
        // of a money column, which the money test below sees with the column's other values).
        if vals.iter().all(|v| *v == "0") {
            return Kind::Money;
        }
        return Kind::Integer;
    }
    let ev: Vec<Option<bool>> = vals.iter().map(|v| money_evidence(v)).collect();
    if ev.iter().all(Option::is_some) && ev.contains(&Some(true)) {
        return Kind::Money;
    }
    let distinct: BTreeSet<String> = vals.iter().map(|v| up(v)).collect();
    if distinct.len() <= 12
        && distinct.len() * 2 <= vals.len()
        && all(&|v| v.chars().all(|c| c.is_alphabetic() || c == ' ' || c == '_') && v.len() <= 20)
    {
        return Kind::Word;
    }
    Kind::Text
}

fn cell(r: &GridRow, i: usize) -> &str {
    r.get(i)
}

/// Signed cents of a value (0 when empty or not money).
fn cents(v: &str, sep: DecimalSeparator) -> Cents {
    if v.is_empty() {
        0
    } else {
        parse_amount(v, sep).unwrap_or(0)
    }
}

/// How often `balance` rolls by `delta(row)` from one row to the next, in file order (`asc`)
/// and in reverse (newest-first exports).
fn rolls(data: &[&GridRow], balance: usize, delta: &dyn Fn(&GridRow) -> Cents) -> usize {
    let sep = DecimalSeparator::Auto;
    let (mut asc, mut desc) = (0, 0);
    for w in data.windows(2) {
        let (b0, b1) = (
            cents(cell(w[0], balance), sep),
            cents(cell(w[1], balance), sep),
        );
        if b0 + delta(w[1]) == b1 {
            asc += 1;
        }
        if b1 + delta(w[0]) == b0 {
            desc += 1;
        }
    }
    asc.max(desc)
}

fn col_name(i: usize) -> String {
    format!("#{}", i + 1)
}

/// Decide the roles of a table without usable column names from its data rows.
pub(crate) fn infer(data: &[&GridRow]) -> Result<Inferred, String> {
    let sample: Vec<&GridRow> = data
        .iter()
        .copied()
        .filter(|r| !is_balance_row(r))
        .take(500)
        .collect();
    if sample.is_empty() {
        return Err("the file has no data rows".into());
    }
    let width = sample.iter().map(|r| r.cells.len()).max().unwrap_or(0);
    let kinds: Vec<Kind> = (0..width)
        .map(|i| kind_of(&sample.iter().map(|r| cell(r, i)).collect::<Vec<_>>()))
        .collect();
    let of = |k: Kind| -> Vec<usize> { (0..width).filter(|&i| kinds[i] == k).collect() };
    let mut roles: Vec<Option<ColumnRole>> = vec![None; width];
    let mut notes = Vec::new();
    let described = |k: &Kind| match k {
        Kind::Empty => "empty",
        Kind::Date => "dates",
        Kind::Money => "amounts",
        Kind::Integer => "whole numbers",
        Kind::Indicator => "debit/credit indicators",
        Kind::Currency => "currency codes",
        Kind::Word => "type words",
        Kind::Text => "text",
    };
    let layout = (0..width)
        .map(|i| format!("{} {}", col_name(i), described(&kinds[i])))
        .collect::<Vec<_>>()
        .join(", ");
    let dates = of(Kind::Date);
    if dates.is_empty() {
        return Err(format!("no column holds dates in every row ({layout})"));
    }
    roles[dates[0]] = Some(ColumnRole::BookingDate);
    if let Some(&v) = dates.get(1) {
        roles[v] = Some(ColumnRole::ValueDate);
    }
    let money = of(Kind::Money);
    let nonzero = |r: &GridRow, i: usize| cents(cell(r, i), DecimalSeparator::Auto) != 0;
    // A pair of columns of which each row fills exactly one: money out / money in.
    let alternate = |a: usize, b: usize| {
        sample
            .iter()
            .all(|r| nonzero(r, a) != nonzero(r, b) || (!nonzero(r, a) && !nonzero(r, b)))
            && sample.iter().any(|r| nonzero(r, a))
            && sample.iter().any(|r| nonzero(r, b))
    };
    let signs = |i: usize| -> (bool, bool) {
        let neg = sample.iter().any(|r| {
            let v = cell(r, i);
            v.starts_with('-') || v.starts_with('(') || v.ends_with('-')
        });
        let pos = sample.iter().any(|r| cell(r, i).starts_with('+'));
        (neg, pos)
    };
    let sep = DecimalSeparator::Auto;
    // Debit/credit order of a pair: by the signs written, else by the running balance.
    let pair_order = |a: usize,
                      b: usize,
                      balance: Option<usize>|
     -> Result<(usize, usize), String> {
        let (an, ap) = signs(a);
        let (bn, bp) = signs(b);
        if (an || bp) && !(ap || bn) {
            return Ok((a, b));
        }
        if (bn || ap) && !(bp || an) {
            return Ok((b, a));
        }
        if let Some(bc) = balance {
            let ab = rolls(&sample, bc, &|r| {
                cents(cell(r, b), sep).abs() - cents(cell(r, a), sep).abs()
            });
            let ba = rolls(&sample, bc, &|r| {
                cents(cell(r, a), sep).abs() - cents(cell(r, b), sep).abs()
            });
            if ab > ba {
                return Ok((a, b));
            }
            if ba > ab {
                return Ok((b, a));
            }
        }
        Err(format!(
            "columns {} and {} hold amounts in alternate rows, but neither their signs nor a running \
             balance say which one is money out",
            col_name(a),
            col_name(b)
        ))
    };
    match money.len() {
        0 => return Err(format!("no column holds amounts ({layout})")),
        1 => roles[money[0]] = Some(ColumnRole::Amount),
        2 => {
            let (a, b) = (money[0], money[1]);
            if alternate(a, b) {
                let (d, c) = pair_order(a, b, None)?;
                roles[d] = Some(ColumnRole::Debit);
                roles[c] = Some(ColumnRole::Credit);
            } else {
                // An amount and a running balance: the balance is the column that rolls by the
                // other; when the rows do not follow each other, the last money column.
                let ab = rolls(&sample, b, &|r| cents(cell(r, a), sep));
                let ba = rolls(&sample, a, &|r| cents(cell(r, b), sep));
                let (amount, balance) = if ba > ab { (b, a) } else { (a, b) };
                if ab == ba {
                    notes.push(format!(
                        "{} taken as the running balance: it is the last amount column (the balance does not roll row to row to tell)",
                        col_name(balance)
                    ));
                }
                roles[amount] = Some(ColumnRole::Amount);
                roles[balance] = Some(ColumnRole::Balance);
            }
        }
        3 => {
            // Money out, money in and the running balance (the column that is not one of an
            // alternating pair).
            let (a, b, c) = (money[0], money[1], money[2]);
            let (x, y, bal) = if alternate(a, b) {
                (a, b, c)
            } else if alternate(b, c) {
                (b, c, a)
            } else if alternate(a, c) {
                (a, c, b)
            } else {
                return Err(format!(
                    "three columns hold amounts ({}, {}, {}) and no two of them alternate as money out / money in",
                    col_name(a),
                    col_name(b),
                    col_name(c)
                ));
            };
            let (d, cr) = pair_order(x, y, Some(bal))?;
            roles[d] = Some(ColumnRole::Debit);
            roles[cr] = Some(ColumnRole::Credit);
            roles[bal] = Some(ColumnRole::Balance);
        }
        n => {
            return Err(format!(
                "{n} columns hold amounts ({}); which is the transaction amount is not clear",
                money
                    .iter()
                    .map(|&i| col_name(i))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
    let amount_single = roles.contains(&Some(ColumnRole::Amount));
    for &i in &of(Kind::Indicator) {
        if amount_single && !roles.contains(&Some(ColumnRole::CrDr)) {
            roles[i] = Some(ColumnRole::CrDr);
        }
    }
    // Without free text, the column of a few repeated words (`Check`, `Deposit`) is the
    // description; beside free text, it is the transaction type.
    let mut texts = of(Kind::Text);
    let words = of(Kind::Word);
    if texts.is_empty() {
        texts = words.clone();
    } else {
        for &i in &words {
            if !roles.contains(&Some(ColumnRole::Type)) {
                roles[i] = Some(ColumnRole::Type);
            }
        }
    }
    for &i in &of(Kind::Currency) {
        if !roles.contains(&Some(ColumnRole::Currency)) {
            roles[i] = Some(ColumnRole::Currency);
        }
    }
    // Description: the text column with the most distinct values (longest on a tie); a
    // second text column of single tokens with digits is the reference.
    let score = |i: usize| {
        let d: BTreeSet<&str> = sample.iter().map(|r| cell(r, i)).collect();
        let len: usize = sample.iter().map(|r| cell(r, i).len()).sum();
        (d.len(), len)
    };
    if let Some(&desc) = texts
        .iter()
        .max_by_key(|&&i| (score(i), std::cmp::Reverse(i)))
    {
        roles[desc] = Some(ColumnRole::Description);
    }
    let reference = texts
        .iter()
        .chain(of(Kind::Integer).iter())
        .copied()
        .find(|&i| {
            roles[i].is_none()
                && sample.iter().all(|r| {
                    let v = cell(r, i);
                    v.is_empty() || (!v.contains(' ') && v.bytes().any(|b| b.is_ascii_digit()))
                })
        });
    if let Some(i) = reference {
        // One value on every row (an IBAN, an account number) is the account, not a reference.
        let distinct: BTreeSet<&str> = sample.iter().map(|r| cell(r, i)).collect();
        roles[i] = Some(if distinct.len() == 1 && sample.len() > 1 {
            ColumnRole::Account
        } else {
            ColumnRole::Reference
        });
    }
    let placed = (0..width)
        .filter_map(|i| roles[i].map(|r| format!("{} {}", col_name(i), r.as_str())))
        .collect::<Vec<_>>()
        .join(", ");
    notes.insert(
        0,
        format!("no header row: columns placed by their content: {placed}"),
    );
    Ok(Inferred { roles, notes })
}

/// The currency a file's amounts are written in: a `€`/`£` sign or an ISO code beside the
/// number (`1234,37 EUR`, `USD 1,000.00`), when every marked amount agrees. A bare `$` names
/// no currency (US, Canadian, Australian dollars…).
pub(crate) fn written_currency(data: &[&GridRow], money_cols: &[usize]) -> Option<String> {
    let mut found: BTreeSet<String> = BTreeSet::new();
    for r in data.iter().take(500) {
        for &c in money_cols {
            let v = cell(r, c);
            if v.contains('€') {
                found.insert("EUR".into());
            } else if v.contains('£') {
                found.insert("GBP".into());
            } else {
                let letters: String = v.chars().filter(|c| c.is_ascii_alphabetic()).collect();
                if letters.len() == 3
                    && letters.bytes().all(|b| b.is_ascii_uppercase())
                    && !matches!(letters.as_str(), "CRD" | "DRC")
                {
                    found.insert(letters);
                }
            }
        }
    }
    (found.len() == 1)
        .then(|| found.into_iter().next())
        .flatten()
}

/// The statement's stated balance from its opening/closing balance rows (`stated`: opening?,
/// date, cents, physical line) and the running-balance column (`derived`): a stated row wins
/// over the running balance. Only one side known: no roll-forward, and a note says so.
pub(crate) fn stated_balance(
    file: &str,
    lines: &[crate::model::StatementLine],
    stated: &[(bool, Option<chrono::NaiveDate>, Cents, u32)],
    derived: Option<crate::model::StatedBalance>,
    notes: &mut Vec<String>,
) -> Option<crate::model::StatedBalance> {
    // Earliest opening and latest closing (by date, then file order).
    let opening = stated
        .iter()
        .filter(|s| s.0)
        .min_by_key(|s| (s.1, s.3))
        .copied();
    let closing = stated
        .iter()
        .filter(|s| !s.0)
        .max_by_key(|s| (s.1, s.3))
        .copied();
    for (what, s) in [("opening", opening), ("closing", closing)] {
        if let Some((_, _, c, line)) = s {
            notes.push(format!(
                "{what} balance {} stated on line {line}: a balance, not a transaction",
                tieout_domain::format_cents(c)
            ));
        }
    }
    let open = opening
        .map(|s| s.2)
        .or(derived.as_ref().map(|d| d.opening_cents));
    let close = closing
        .map(|s| s.2)
        .or(derived.as_ref().map(|d| d.closing_cents));
    match (open, close) {
        (Some(o), Some(c)) => Some(crate::model::StatedBalance {
            file: file.to_string(),
            account: lines.first().and_then(|l| l.account.clone()),
            opening_cents: o,
            closing_cents: c,
            as_of: closing
                .and_then(|s| s.1)
                .or(derived.and_then(|d| d.as_of))
                .or_else(|| lines.iter().map(|l| l.booking_date).max()),
        }),
        (None, None) => None,
        _ => {
            notes.push(
                "only one of the opening and closing balances is stated: the roll-forward cannot be checked"
                    .into(),
            );
            None
        }
    }
}

/// Opening and closing balance words some banks write as a row among the transactions.
const OPENING: &[&str] = &[
    "saldo anterior",
    "saldo inicial",
    "saldo de abertura",
    "opening balance",
    "balance brought forward",
    "brought forward",
    "previous balance",
    "beginning balance",
    "starting balance",
    "solde precedent",
    "solde initial",
    "anfangssaldo",
    "alter kontostand",
];
/// See [`OPENING`].
const CLOSING: &[&str] = &[
    "saldo final",
    "saldo atual",
    "saldo do dia",
    "saldo actual",
    "closing balance",
    "ending balance",
    "balance carried forward",
    "carried forward",
    "solde final",
    "endsaldo",
    "neuer kontostand",
];

/// Whether a row's text is an opening (`Some(true)`) or closing (`Some(false)`) balance row.
pub(crate) fn balance_row_kind(r: &GridRow) -> Option<bool> {
    for c in r.cells.iter() {
        let folded = deunicode::deunicode(c.trim()).to_ascii_lowercase();
        let t = folded.trim_matches(|ch: char| !ch.is_ascii_alphanumeric());
        if OPENING
            .iter()
            .any(|w| t == *w || t.starts_with(&format!("{w} ")))
        {
            return Some(true);
        }
        if CLOSING
            .iter()
            .any(|w| t == *w || t.starts_with(&format!("{w} ")))
        {
            return Some(false);
        }
    }
    None
}

fn is_balance_row(r: &GridRow) -> bool {
    balance_row_kind(r).is_some()
}

/// Day/month order of a file's numeric dates, decided from all its date columns: a value whose
/// first part is above 12 means day first, second part above 12 month first. When no value
/// decides, a decimal comma (`1.234,56`) means day first (European exports), else month first;
/// the second element says how it was decided.
pub(crate) fn day_order(
    values: &[&str],
    comma_decimals: bool,
) -> Result<(DayOrder, &'static str), String> {
    let (mut dmy, mut mdy) = (0usize, 0usize);
    for v in values {
        match super::values::day_order_hint(v) {
            Some(DayOrder::Dmy) => dmy += 1,
            Some(DayOrder::Mdy) => mdy += 1,
            None => {}
        }
    }
    match (dmy > 0, mdy > 0) {
        (true, false) => Ok((DayOrder::Dmy, "a date with a day above 12 in first place")),
        (false, true) => Ok((DayOrder::Mdy, "a date with a day above 12 in second place")),
        (true, true) => Err(format!(
            "numeric dates are written both day first ({dmy} values) and month first ({mdy} values)"
        )),
        (false, false) if comma_decimals => Ok((
            DayOrder::Dmy,
            "no date decides; day first as amounts use a decimal comma",
        )),
        (false, false) => Ok((DayOrder::Mdy, "no date decides; month first (US)")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(text: &str) -> Vec<GridRow> {
        super::super::grid::csv_rows("t.csv", text, None).unwrap()
    }

    fn roles(text: &str) -> Result<Vec<Option<ColumnRole>>, String> {
        let rs = rows(text);
        let data: Vec<&GridRow> = rs.iter().collect();
        infer(&data).map(|i| i.roles)
    }

    use ColumnRole::*;

    #[test]
    fn columns_by_content() {
        assert_eq!(
            roles("DEBIT,2011/12/24,\"HOST 03719 MO\",($85.00)\nCHECK,2010/12/24,\"CHECK 2656\",($20.00)\nCREDIT,2008/12/24,\"Some Company PPD ID: 59728\",$3520.00\nDEBIT,2007/12/24,\"GITHUB 0412\",($7.00)\nCREDIT,2006/12/24,\"Blarg PPD ID: 00jah\",$1558.52\nDEBIT,2005/12/24,\"WEBSITE-BAL\",($12.23)\n").unwrap(),
            vec![Some(Type), Some(BookingDate), Some(Description), Some(Amount)]
        );
        // Withdrawal / deposit with 0 placeholders, check numbers, running balance.
        assert_eq!(
            roles("11/01/2014,0, Deposit,0,500.00,500.00\n11/02/2014,101,Check,100.00,0,400.00\n11/03/2014,102,Check,100.00,0,300.00\n").unwrap(),
            vec![Some(BookingDate), Some(Reference), Some(Description), Some(Debit), Some(Credit), Some(Balance)]
        );
        // A D/C column after an amount.
        assert_eq!(
            roles(
                "12/03/2013, 12.50, STARBUCKS 123, D\n12/04/2013, 100.00, PAYMENT THANK YOU, C\n"
            )
            .unwrap(),
            vec![
                Some(BookingDate),
                Some(Amount),
                Some(Description),
                Some(CrDr)
            ]
        );
    }

    #[test]
    fn ambiguity_is_refused_with_what_was_ambiguous() {
        let e = roles("01/02/2014,Shop,10.00,\n01/03/2014,Salary,,20.00\n").unwrap_err();
        assert!(e.contains("#3 and #4") && e.contains("money out"), "{e}");
        let e = roles("hello,world\nfoo,bar\n").unwrap_err();
        assert!(e.contains("no column holds dates"), "{e}");
    }

    #[test]
    fn balance_rows_and_day_order() {
        let r = rows("22/03/2012;Saldo Anterior;;100,00\n23/03/2012;SALDO FINAL DO DIA;;5,00\n");
        assert_eq!(balance_row_kind(&r[0]), Some(true));
        assert_eq!(balance_row_kind(&r[1]), Some(false));
        assert_eq!(
            day_order(&["21/11/2015", "01/02/2015"], false).unwrap().0,
            DayOrder::Dmy
        );
        assert_eq!(day_order(&["11/21/2015"], true).unwrap().0, DayOrder::Mdy);
        assert_eq!(day_order(&["01/02/2015"], true).unwrap().0, DayOrder::Dmy);
        assert_eq!(day_order(&["01/02/2015"], false).unwrap().0, DayOrder::Mdy);
        assert!(day_order(&["21/11/2015", "11/21/2015"], false).is_err());
    }
}
