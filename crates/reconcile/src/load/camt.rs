//! ISO 20022 camt.053 (BankToCustomerStatement), versions .001.02 through .001.08 and later:
//! parsed by local element names, both party shapes (`Dbtr/Nm` and `Dbtr/Pty/Nm`), plain or
//! wrapped `Sts`, `Dt` or `DtTm` dates, batch entries expanded per `TxDtls`.
//!
//! Sign: the entry's `CdtDbtInd` gives the direction (`CRDT` = money in), once: a `DBIT` entry
//! written `<Amt>-47.29</Amt>` (hand-written files and some bank exports) is a debit of 47.29,
//! not a credit ([`super::sign`]). ISO usage
//! rules say a reversal (`RvslInd` = true) carries the direction of the reversing booking
//! itself: a `CRDT` reversal gives back a debit, a `DBIT` reversal takes back a credit. So the
//! amount sign still follows `CdtDbtInd`; the line's description is prefixed with `REVERSAL:` so
//! the engine and a reader know the original meaning is flipped.
//!
//! An entry without `BookgDt` takes its `ValDt`, else the statement's closing-balance date, else
//! the statement creation date. A batch entry's `entry_ref` is its `AcctSvcrRef`, else `NtryRef`,
//! else `Btch/PmtInfId` or `Btch/MsgId`, else `entry@line<N>` (the line of its `<Ntry>` tag).
//! Entries whose status is not booked (`PDNG`, `INFO`) are rejected
//! with that reason, not loaded as money.

use std::borrow::Cow;

use chrono::NaiveDate;
use quick_xml::events::Event;
use rayon::prelude::*;
use tieout_domain::Cents;

use super::sign::{self, Direction};
use super::values::{DecimalSeparator, parse_amount};
use super::{LoadError, LoadedStatement};
use crate::model::{Reject, SourceFormat, StatedBalance, StatementLine};

/// What one entry yields, numbered in document order afterwards.
enum EntryRow {
    /// The entry is rejected (one row).
    Reject(Reject),
    /// One line (an expanded batch yields one per transaction).
    Line(StatementLine),
}

/// Deepest element nesting read (camt.053 v08 nests about 12 deep; a hostile file nested
/// 30,000 deep would otherwise overflow the stack when its tree is dropped).
const MAX_DEPTH: usize = 200;

#[derive(Debug, Default)]
struct Node<'a> {
    /// Local name, borrowed from the document.
    name: &'a str,
    ccy: Option<String>,
    /// The element's own text (leading whitespace-only text dropped: every reader trims or
    /// splits on whitespace); borrowed from the document when it is one plain piece.
    text: Cow<'a, str>,
    kids: Vec<Node<'a>>,
    /// Byte range of the element in the whole document.
    start: usize,
    end: usize,
    /// An entry (`Stmt/Ntry`) read only as a byte range by the first pass; its subtree is built
    /// when the entry is processed ([`parse_entry`]).
    deferred: bool,
}

impl<'a> Node<'a> {
    fn child(&self, name: &str) -> Option<&Node<'a>> {
        self.kids.iter().find(|k| k.name == name)
    }
    fn all<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'s Node<'a>> + 's {
        self.kids.iter().filter(move |k| k.name == name)
    }
    fn at(&self, path: &[&str]) -> Option<&Node<'a>> {
        let mut n = self;
        for p in path {
            n = n.child(p)?;
        }
        Some(n)
    }
    fn text_at(&self, path: &[&str]) -> Option<&str> {
        self.at(path)
            .map(|n| n.text.trim())
            .filter(|t| !t.is_empty())
    }
}

/// Line numbers by byte offset. Offsets are asked for in document order, so the count of
/// newlines carries on from the previous answer (scanning from the start for each entry would be
/// quadratic); an earlier offset starts over.
struct LineIndex<'t> {
    text: &'t [u8],
    /// Last offset answered and its line.
    at: std::cell::Cell<(usize, u32)>,
}

impl<'t> LineIndex<'t> {
    fn new(text: &'t str) -> Self {
        Self {
            text: text.as_bytes(),
            at: std::cell::Cell::new((0, 1)),
        }
    }

    /// 1-based line of byte offset `pos`.
    fn line(&self, pos: usize) -> u32 {
        let pos = pos.min(self.text.len());
        let (mut from, mut line) = self.at.get();
        if pos < from {
            (from, line) = (0, 1);
        }
        let n = self.text[from..pos].iter().filter(|&&b| b == b'\n').count();
        line = line.saturating_add(u32::try_from(n).unwrap_or(u32::MAX));
        self.at.set((pos, line));
        line
    }
}

fn line_of(text: &str, pos: usize) -> u32 {
    let pos = pos.min(text.len());
    u32::try_from(
        text.as_bytes()[..pos]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1,
    )
    .unwrap_or(u32::MAX)
}

/// Builds the element tree of `full[range]` (positions are offsets into `full`). With
/// `defer_entries`, every `Document/BkToCstmrStmt/Stmt/Ntry` element is checked for
/// well-formedness but kept only as a deferred node holding its byte range, so a large statement
/// is never held as one tree: entries are built one at a time by [`parse_entry`].
fn parse_tree<'a>(
    file: &str,
    full: &'a str,
    range: std::ops::Range<usize>,
    defer_entries: bool,
) -> Result<Node<'a>, LoadError> {
    let mut skimmed: Vec<(usize, usize)> = Vec::new();
    parse_tree_inner(file, full, range, defer_entries, &mut skimmed).map_err(|e| {
        // Entries skimmed before the error were not checked yet: the first error in document
        // order is reported, as a single pass over the whole document would.
        for &(start, end) in &skimmed {
            if let Err(first) = parse_tree_inner(file, full, start..end, false, &mut Vec::new()) {
                return first;
            }
        }
        e
    })
}

/// Offset in `s` (the input right after an element's start tag) of the `<` of the end tag that
/// closes that element, skipping nested elements, comments, CDATA sections and processing
/// instructions (quotes in start tags honoured). `None` when `s` ends first or holds markup an
/// element cannot contain; the caller then reads the element event by event instead.
fn skim_to_close(s: &str) -> Option<usize> {
    fn find(s: &str, from: usize, pat: &str) -> Option<usize> {
        s.get(from..)?.find(pat).map(|p| from + p)
    }
    // A single-byte search runs on memchr; a string pattern would set up a searcher per call.
    fn find_byte(s: &str, from: usize, c: char) -> Option<usize> {
        s.get(from..)?.find(c).map(|p| from + p)
    }
    let b = s.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    loop {
        let at = find_byte(s, i, '<')?;
        let rest = &b[at..];
        if rest.starts_with(b"</") {
            if depth == 0 {
                return Some(at);
            }
            depth -= 1;
            i = find_byte(s, at + 2, '>')? + 1;
        } else if rest.starts_with(b"<!--") {
            i = find(s, at + 4, "-->")? + 3;
        } else if rest.starts_with(b"<![CDATA[") {
            i = find(s, at + 9, "]]>")? + 3;
        } else if rest.starts_with(b"<?") {
            i = find(s, at + 2, "?>")? + 2;
        } else if rest.starts_with(b"<!") {
            return None;
        } else {
            let mut j = at + 1;
            let mut quote: Option<u8> = None;
            loop {
                let c = *b.get(j)?;
                match quote {
                    Some(q) if c == q => quote = None,
                    Some(_) => {}
                    None if c == b'"' || c == b'\'' => quote = Some(c),
                    None if c == b'>' => break,
                    None => {}
                }
                j += 1;
            }
            if b[j - 1] != b'/' {
                depth += 1;
            }
            i = j + 1;
        }
    }
}

fn parse_tree_inner<'a>(
    file: &str,
    full: &'a str,
    range: std::ops::Range<usize>,
    defer_entries: bool,
    skimmed: &mut Vec<(usize, usize)>,
) -> Result<Node<'a>, LoadError> {
    let base = range.start;
    let text = full.get(range).unwrap_or("");
    let mut reader = quick_xml::Reader::from_str(text);
    reader.config_mut().trim_text(false);
    let mut stack: Vec<Node<'a>> = vec![Node {
        name: "#document",
        ..Default::default()
    }];
    let xml_err = |pos: u64, reason: String| LoadError::Xml {
        file: file.to_string(),
        line: line_of(
            full,
            base.saturating_add(usize::try_from(pos).unwrap_or(usize::MAX)),
        ),
        reason,
    };
    // The qualified name sits right after the `<` at `start`; its local part is the name.
    let open = |e: &quick_xml::events::BytesStart<'_>, start: usize| {
        let qlen = e.name().as_ref().len();
        let qname = full.get(start + 1..start + 1 + qlen).unwrap_or("");
        let name = match qname.as_bytes().iter().rposition(|&b| b == b':') {
            Some(c) => qname.get(c + 1..).unwrap_or(qname),
            None => qname,
        };
        let mut ccy = None;
        for a in e.attributes().flatten() {
            if a.key.local_name().as_ref() == "Ccy" {
                ccy = Some(a.value.trim().to_string());
            }
        }
        Node {
            name,
            ccy,
            start,
            ..Default::default()
        }
    };
    let is_entry = |e: &quick_xml::events::BytesStart<'_>, stack: &[Node<'a>]| {
        defer_entries
            && e.local_name().into_inner() == "Ntry"
            && stack.len() == 4
            && stack[2].name == "BkToCstmrStmt"
            && stack[3].name == "Stmt"
    };
    // Inside a deferred entry: the entry node, and the byte ranges (in `text`) of the names of
    // the elements open inside it (for the "document ends inside" message).
    let mut deferred: Option<Node<'a>> = None;
    let mut inner_open: Vec<(usize, usize)> = Vec::new();
    // Bytes of entry content skipped past the reader (its positions do not count them).
    let mut shift: u64 = 0;
    loop {
        let before_rel = usize::try_from(reader.buffer_position() + shift).unwrap_or(0);
        let ev = reader
            .read_event()
            .map_err(|e| xml_err(reader.error_position() + shift, e.to_string()))?;
        let after_rel = usize::try_from(reader.buffer_position() + shift).unwrap_or(0);
        let (before, after) = (base + before_rel, base + after_rel);
        if let Some(entry) = deferred.as_mut() {
            match ev {
                Event::Start(e) => {
                    let n = e.name().as_ref().len();
                    inner_open.push((before_rel + 1, n));
                }
                Event::End(_) if inner_open.pop().is_none() => {
                    entry.end = after;
                    if let (Some(n), Some(top)) = (deferred.take(), stack.last_mut()) {
                        top.kids.push(n);
                    }
                }
                Event::GeneralRef(r)
                    if !matches!(r.resolve_char_ref(), Ok(Some(_)))
                        && quick_xml::escape::resolve_predefined_entity(&r).is_none() =>
                {
                    return Err(xml_err(
                        before_rel as u64,
                        format!("unknown entity `&{};`", &*r),
                    ));
                }
                Event::Eof => break,
                _ => {}
            }
            continue;
        }
        match ev {
            Event::Start(e) => {
                // Bounded nesting: the tree (and its drop) never recurses deeper than this.
                if stack.len() > MAX_DEPTH {
                    return Err(xml_err(
                        before_rel as u64,
                        format!(
                            "elements nested more than {MAX_DEPTH} deep (camt.053 needs about 12)"
                        ),
                    ));
                }
                let entry = is_entry(&e, &stack);
                let mut n = open(&e, before);
                if entry {
                    n.deferred = true;
                    deferred = Some(n);
                    // Skip the entry's content up to its end tag, which the reader then reads
                    // (and checks) itself; the content is checked when the entry is built.
                    let rest: &'a [u8] = reader.get_ref();
                    // `rest` is the unread tail of `text`, which starts right after a `>`.
                    let tail = text.get(text.len() - rest.len()..).unwrap_or("");
                    if let Some(k) = skim_to_close(tail) {
                        *reader.get_mut() = &rest[k..];
                        shift += k as u64;
                        let close_end = tail[k..].find('>').map_or(tail.len(), |p| k + p + 1);
                        skimmed.push((before, after + close_end));
                    }
                } else {
                    stack.push(n);
                }
            }
            Event::Empty(e) => {
                let mut n = open(&e, before);
                n.end = after;
                if let Some(top) = stack.last_mut() {
                    top.kids.push(n);
                }
            }
            Event::End(_) => {
                let Some(mut n) = stack.pop() else { break };
                n.end = after;
                match stack.last_mut() {
                    Some(parent) => parent.kids.push(n),
                    None => {
                        return Err(xml_err(before_rel as u64, "unexpected closing tag".into()));
                    }
                }
            }
            Event::Text(t) => {
                if let Some(top) = stack.last_mut() {
                    // Text events carry no entity references (those are GeneralRef events), so
                    // the source slice is the content unless line ends need normalising.
                    let src = full.get(before..after).unwrap_or("");
                    let c: Cow<'a, str> = if src.contains('\r') || src.len() != t.len() {
                        Cow::Owned(t.xml10_content().into_owned())
                    } else {
                        Cow::Borrowed(src)
                    };
                    if top.text.is_empty() {
                        if !c.trim().is_empty() {
                            top.text = c;
                        }
                    } else {
                        top.text.to_mut().push_str(&c);
                    }
                }
            }
            Event::CData(t) => {
                if let Some(top) = stack.last_mut() {
                    top.text.to_mut().push_str(&t.into_inner());
                }
            }
            Event::GeneralRef(r) => {
                let resolved: String = match r.resolve_char_ref() {
                    Ok(Some(c)) => c.to_string(),
                    _ => match quick_xml::escape::resolve_predefined_entity(&r) {
                        Some(s) => s.to_string(),
                        None => {
                            return Err(xml_err(
                                before_rel as u64,
                                format!("unknown entity `&{};`", &*r),
                            ));
                        }
                    },
                };
                if let Some(top) = stack.last_mut() {
                    top.text.to_mut().push_str(&resolved);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if stack.len() != 1 || deferred.is_some() {
        let mut open_tags: Vec<String> = stack
            .iter()
            .skip(1)
            .chain(deferred.as_ref())
            .map(|n| format!("<{}>", n.name))
            .collect();
        for &(at, len) in &inner_open {
            let q = text.get(at..at + len).unwrap_or("");
            let local = q.rsplit(':').next().unwrap_or(q);
            open_tags.push(format!("<{local}>"));
        }
        return Err(xml_err(
            text.len() as u64,
            format!("document ends inside {}", open_tags.join(" ")),
        ));
    }
    stack
        .pop()
        .ok_or_else(|| xml_err(0, "empty document".into()))
}

/// The full tree of an entry deferred by [`parse_tree`] (already checked to be well-formed).
fn parse_entry<'a>(file: &str, full: &'a str, entry: &Node<'a>) -> Result<Node<'a>, LoadError> {
    if !entry.deferred {
        return Ok(Node {
            name: entry.name,
            ccy: entry.ccy.clone(),
            text: entry.text.clone(),
            kids: Vec::new(),
            start: entry.start,
            end: entry.end,
            deferred: false,
        });
    }
    let doc = parse_tree(file, full, entry.start..entry.end, false)?;
    doc.kids.into_iter().next().ok_or_else(|| LoadError::Xml {
        file: file.to_string(),
        line: line_of(full, entry.start),
        reason: "entry element could not be read".into(),
    })
}

fn date_of(n: Option<&Node<'_>>) -> Option<NaiveDate> {
    let n = n?;
    let t = n.text_at(&["Dt"]).or_else(|| n.text_at(&["DtTm"]))?;
    NaiveDate::parse_from_str(t.get(..10)?, "%Y-%m-%d").ok()
}

/// Signed cents of an `Amt` and its `CdtDbtInd` by the one sign rule ([`super::sign`]): `DBIT`
/// is money out whether the amount is written `47.29` or `-47.29`.
fn signed(amount: &str, ind: Option<&str>) -> Result<Cents, String> {
    let a = parse_amount(amount, DecimalSeparator::Dot)?;
    match ind {
        None => Ok(a),
        Some("CRDT") => sign::apply(a, Direction::Credit, amount),
        Some("DBIT") => sign::apply(a, Direction::Debit, amount),
        Some(other) => Err(format!("CdtDbtInd `{other}` is neither CRDT nor DBIT")),
    }
}

fn party_name(tx: &Node<'_>, role: &str) -> Option<String> {
    let rp = tx.child("RltdPties")?;
    for r in [role, &format!("Ultmt{role}")] {
        if let Some(p) = rp.child(r)
            && let Some(n) = p.text_at(&["Nm"]).or_else(|| p.text_at(&["Pty", "Nm"]))
        {
            return Some(n.to_string());
        }
    }
    None
}

fn bank_tx_code(ntry: &Node<'_>) -> Option<String> {
    let b = ntry.child("BkTxCd")?;
    if let Some(d) = b.child("Domn") {
        let parts: Vec<&str> = [
            d.text_at(&["Cd"]),
            d.text_at(&["Fmly", "Cd"]),
            d.text_at(&["Fmly", "SubFmlyCd"]),
        ]
        .into_iter()
        .flatten()
        .collect();
        if !parts.is_empty() {
            return Some(parts.join("/"));
        }
    }
    b.text_at(&["Prtry", "Cd"]).map(str::to_string)
}

fn remittance(tx: &Node<'_>) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(r) = tx.child("RmtInf") {
        for u in r.all("Ustrd") {
            let t = u.text.split_whitespace().collect::<Vec<_>>().join(" ");
            if !t.is_empty() {
                out.push(t);
            }
        }
        for s in r.all("Strd") {
            if let Some(t) = s.text_at(&["CdtrRefInf", "Ref"]) {
                out.push(t.to_string());
            }
        }
    }
    if let Some(t) = tx.text_at(&["AddtlTxInf"]) {
        out.push(t.split_whitespace().collect::<Vec<_>>().join(" "));
    }
    out
}

pub(crate) fn parse_camt(file: &str, text: &str) -> Result<LoadedStatement, LoadError> {
    let lines = LineIndex::new(text);
    let doc = parse_tree(file, text, 0..text.len(), true)?;
    let camt_err = |reason: String| LoadError::Camt {
        file: file.to_string(),
        reason,
    };
    let root = doc
        .kids
        .first()
        .ok_or_else(|| camt_err("the document has no root element".into()))?;
    let ns = text
        .get(root.start..root.end.min(root.start + 400))
        .unwrap_or("");
    let stmt_root = root.child("BkToCstmrStmt").ok_or_else(|| {
        camt_err(format!(
            "root element <{}> has no <BkToCstmrStmt> (is this a camt.053 file?)",
            root.name
        ))
    })?;
    if !ns.contains("camt.053") && root.name == "Document" && ns.contains("xmlns") {
        return Err(camt_err(
            "the document namespace is not urn:iso:std:iso:20022:tech:xsd:camt.053.*".into(),
        ));
    }
    let grp_created = stmt_root
        .at(&["GrpHdr", "CreDtTm"])
        .and_then(|n| NaiveDate::parse_from_str(n.text.trim().get(..10)?, "%Y-%m-%d").ok());
    let mut out = LoadedStatement::default();
    let mut row_no: u32 = 0;
    let mut nstmt = 0;
    for stmt in stmt_root.all("Stmt") {
        nstmt += 1;
        let account = stmt
            .text_at(&["Acct", "Id", "IBAN"])
            .or_else(|| stmt.text_at(&["Acct", "Id", "Othr", "Id"]))
            .map(str::to_string);
        let first_row = row_no + 1;
        let mut opening: Option<(u8, Cents, Option<String>)> = None;
        let mut closing: Option<(u8, Cents, Option<NaiveDate>, Option<String>)> = None;
        for bal in stmt.all("Bal") {
            let code = bal
                .text_at(&["Tp", "CdOrPrtry", "Cd"])
                .or_else(|| bal.text_at(&["Tp", "CdOrPrtry", "Prtry"]))
                .unwrap_or("");
            let rank_open = match code {
                "OPBD" => 1,
                "PRCD" => 2,
                _ => 0,
            };
            let rank_close = match code {
                "CLBD" => 1,
                "CLAV" => 2,
                _ => 0,
            };
            if rank_open == 0 && rank_close == 0 {
                continue;
            }
            let amt = match bal.text_at(&["Amt"]) {
                Some(a) => signed(a, bal.text_at(&["CdtDbtInd"])),
                None => Err("balance has no amount".into()),
            };
            let amt = match amt {
                Ok(a) => a,
                Err(e) => {
                    out.rejects.push(Reject {
                        file: file.to_string(),
                        row: lines.line(bal.start),
                        column: Some(format!("Bal/{code}")),
                        reason: e,
                        raw: text
                            .get(bal.start..bal.end)
                            .unwrap_or("")
                            .trim()
                            .to_string(),
                    });
                    continue;
                }
            };
            let ccy = bal.child("Amt").and_then(|a| a.ccy.clone());
            if rank_open > 0 && opening.as_ref().is_none_or(|o| rank_open < o.0) {
                opening = Some((rank_open, amt, ccy.clone()));
            }
            if rank_close > 0 && closing.as_ref().is_none_or(|c| rank_close < c.0) {
                closing = Some((rank_close, amt, date_of(bal.child("Dt")), ccy));
            }
        }
        let stmt_date = closing
            .as_ref()
            .and_then(|c| c.2)
            .or_else(|| {
                stmt.text_at(&["CreDtTm"])
                    .and_then(|t| NaiveDate::parse_from_str(t.get(..10)?, "%Y-%m-%d").ok())
            })
            .or(grp_created);
        let stmt_ccy = stmt.text_at(&["Acct", "Ccy"]).map(str::to_string);

        // Entries are read in parallel (each builds its own subtree), then numbered in document
        // order: every entry yields its rows (lines or one reject), each taking the next row.
        let entries: Vec<&Node<'_>> = stmt.all("Ntry").collect();
        let entry_lines: Vec<u32> = entries.iter().map(|e| lines.line(e.start)).collect();
        let one_entry = |entry: &Node<'_>, line: u32| -> Result<Vec<EntryRow>, LoadError> {
            let ntry_tree = parse_entry(file, text, entry)?;
            let ntry = &ntry_tree;
            let mut rows: Vec<EntryRow> = Vec::new();
            let raw = text
                .get(ntry.start..ntry.end)
                .unwrap_or("")
                .trim()
                .to_string();
            let reject = |column: &str, reason: String| {
                EntryRow::Reject(Reject {
                    file: file.to_string(),
                    row: line,
                    column: Some(column.to_string()),
                    reason,
                    raw: raw.clone(),
                })
            };
            let status = ntry
                .text_at(&["Sts", "Cd"])
                .or_else(|| ntry.text_at(&["Sts"]))
                .unwrap_or("BOOK");
            if status != "BOOK" {
                rows.push(reject(
                    "Sts",
                    format!("entry status `{status}` is not booked (BOOK); not counted as money"),
                ));
                return Ok(rows);
            }
            let ind = ntry.text_at(&["CdtDbtInd"]);
            let entry_amt = match ntry
                .text_at(&["Amt"])
                .map(|a| signed(a, Some(ind.unwrap_or("missing"))))
            {
                Some(Ok(a)) => a,
                Some(Err(e)) => {
                    rows.push(reject("Amt", e));
                    return Ok(rows);
                }
                None => {
                    rows.push(reject("Amt", "entry has no amount".into()));
                    return Ok(rows);
                }
            };
            let reversal = ntry
                .text_at(&["RvslInd"])
                .is_some_and(|v| v.eq_ignore_ascii_case("true") || v == "1");
            let currency = ntry
                .child("Amt")
                .and_then(|a| a.ccy.clone())
                .or_else(|| stmt_ccy.clone());
            let booking = date_of(ntry.child("BookgDt"));
            let value = date_of(ntry.child("ValDt"));
            let Some(booking_date) = booking.or(value).or(stmt_date) else {
                rows.push(reject(
                    "BookgDt",
                    "entry has no booking date, value date or statement date".into(),
                ));
                return Ok(rows);
            };
            let acct_ref = ntry.text_at(&["AcctSvcrRef"]).map(str::to_string);
            let ntry_ref = ntry.text_at(&["NtryRef"]).map(str::to_string);
            let type_code = bank_tx_code(ntry);
            let addtl = ntry
                .text_at(&["AddtlNtryInf"])
                .map(|t| t.split_whitespace().collect::<Vec<_>>().join(" "));
            let txs: Vec<&Node<'_>> = ntry.all("NtryDtls").flat_map(|d| d.all("TxDtls")).collect();
            // Expand a batch when every transaction states an amount and they tie to the entry.
            let mut tx_amounts: Vec<Cents> = Vec::new();
            if txs.len() > 1 {
                for tx in &txs {
                    let a = tx
                        .text_at(&["Amt"])
                        .or_else(|| tx.text_at(&["AmtDtls", "TxAmt", "Amt"]));
                    let tx_ind = tx.text_at(&["CdtDbtInd"]).or(ind);
                    match a.map(|a| signed(a, tx_ind)) {
                        Some(Ok(v)) => tx_amounts.push(v),
                        _ => {
                            tx_amounts.clear();
                            break;
                        }
                    }
                }
            }
            let expand = txs.len() > 1
                && tx_amounts.len() == txs.len()
                && tx_amounts.iter().sum::<Cents>() == entry_amt;
            let make = |tx: Option<&Node<'_>>,
                        amount: Cents,
                        bank_ref: Option<String>,
                        entry_ref: Option<String>,
                        note: Option<String>| {
                let mut desc: Vec<String> = Vec::new();
                if reversal {
                    desc.push("REVERSAL:".into());
                }
                if let Some(tx) = tx {
                    desc.extend(remittance(tx));
                }
                if let Some(a) = &addtl {
                    desc.push(a.clone());
                }
                if let Some(n) = note {
                    desc.push(n);
                }
                let counterparty = tx.and_then(|t| {
                    if amount >= 0 {
                        party_name(t, "Dbtr")
                    } else {
                        party_name(t, "Cdtr")
                    }
                });
                StatementLine {
                    file: file.to_string(),
                    // Numbered in document order once every entry is read.
                    statement_row: 0,
                    format: SourceFormat::Camt053,
                    account: account.clone(),
                    bank_ref,
                    end_to_end_ref: tx
                        .and_then(|t| t.text_at(&["Refs", "EndToEndId"]))
                        .filter(|r| !r.eq_ignore_ascii_case("NOTPROVIDED"))
                        .map(str::to_string),
                    entry_ref,
                    booking_date,
                    value_date: value,
                    amount_cents: amount,
                    currency: currency.clone(),
                    counterparty,
                    description: desc.join(" "),
                    type_code: type_code.clone(),
                    raw: raw.clone(),
                }
            };
            if expand {
                let entry_ref = acct_ref
                    .clone()
                    .or_else(|| ntry_ref.clone())
                    .or_else(|| {
                        ntry.text_at(&["NtryDtls", "Btch", "PmtInfId"])
                            .map(str::to_string)
                    })
                    .or_else(|| {
                        ntry.text_at(&["NtryDtls", "Btch", "MsgId"])
                            .map(str::to_string)
                    })
                    .or_else(|| Some(format!("entry@line{line}")));
                for (tx, amt) in txs.iter().zip(&tx_amounts) {
                    let bref = tx
                        .text_at(&["Refs", "AcctSvcrRef"])
                        .map(str::to_string)
                        .or_else(|| acct_ref.clone())
                        .or_else(|| ntry_ref.clone());
                    rows.push(EntryRow::Line(make(
                        Some(tx),
                        *amt,
                        bref,
                        entry_ref.clone(),
                        None,
                    )));
                }
            } else {
                let tx = if txs.len() == 1 {
                    txs.first().copied()
                } else {
                    None
                };
                let note = (txs.len() > 1).then(|| format!("(batch of {} transactions whose amounts do not tie to the entry; kept as one line)", txs.len()));
                let bref = acct_ref
                    .clone()
                    .or_else(|| {
                        tx.and_then(|t| t.text_at(&["Refs", "AcctSvcrRef"]))
                            .map(str::to_string)
                    })
                    .or_else(|| ntry_ref.clone());
                rows.push(EntryRow::Line(make(tx, entry_amt, bref, None, note)));
            }
            Ok(rows)
        };
        let entry_rows: Vec<Result<Vec<EntryRow>, LoadError>> = entries
            .par_iter()
            .zip(entry_lines.par_iter())
            .map(|(entry, &line)| one_entry(entry, line))
            .collect();
        for rows in entry_rows {
            for row in rows? {
                row_no += 1;
                match row {
                    EntryRow::Reject(r) => out.rejects.push(r),
                    EntryRow::Line(mut l) => {
                        l.statement_row = row_no;
                        out.lines.push(l);
                    }
                }
            }
        }
        // Opening and closing in different currencies cannot be rolled forward: no stated
        // balance is produced for such a statement.
        if let (Some(o), Some(c)) = (opening, closing)
            && o.2 == c.3
        {
            out.balances.push(StatedBalance {
                file: file.to_string(),
                account: account.clone(),
                opening_cents: o.1,
                closing_cents: c.1,
                as_of: c.2,
            });
            out.balance_rows.push((first_row, row_no + 1));
        }
    }
    if nstmt == 0 {
        return Err(camt_err("<BkToCstmrStmt> contains no <Stmt>".into()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(ns: &str, body: &str) -> String {
        format!(
            r#"<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.{ns}"><BkToCstmrStmt><GrpHdr><MsgId>M</MsgId><CreDtTm>2026-10-31T10:00:00</CreDtTm></GrpHdr>{body}</BkToCstmrStmt></Document>"#
        )
    }

    const STMT_V08: &str = r#"<Stmt><Id>S1</Id><Acct><Id><Othr><Id>ESC-1</Id></Othr></Id><Ccy>USD</Ccy></Acct>
<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="USD">100.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-10-01</Dt></Dt></Bal>
<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="USD">1075.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-10-31</Dt></Dt></Bal>
<Ntry><NtryRef>N1</NtryRef><Amt Ccy="USD">1000.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts><BookgDt><DtTm>2026-10-03T09:00:00</DtTm></BookgDt><ValDt><Dt>2026-10-03</Dt></ValDt><AcctSvcrRef>B1</AcctSvcrRef>
<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ACDT</SubFmlyCd></Fmly></Domn></BkTxCd>
<NtryDtls><Btch><NbOfTxs>2</NbOfTxs></Btch>
<TxDtls><Refs><AcctSvcrRef>B1-1</AcctSvcrRef><EndToEndId>INV-1</EndToEndId></Refs><Amt Ccy="USD">600.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><RltdPties><Dbtr><Pty><Nm>Jane Doe</Nm></Pty></Dbtr></RltdPties><RmtInf><Ustrd>INV-1 part</Ustrd><Ustrd>one</Ustrd></RmtInf></TxDtls>
<TxDtls><Refs><AcctSvcrRef>B1-2</AcctSvcrRef></Refs><AmtDtls><TxAmt><Amt Ccy="USD">400.00</Amt></TxAmt></AmtDtls><RltdPties><Dbtr><Pty><Nm>John &amp; Co</Nm></Pty></Dbtr></RltdPties></TxDtls>
</NtryDtls></Ntry>
<Ntry><Amt Ccy="USD">25.00</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>2026-10-04</Dt></BookgDt><AcctSvcrRef>B2</AcctSvcrRef><AddtlNtryInf>WIRE FEE</AddtlNtryInf></Ntry>
<Ntry><Amt Ccy="USD">5.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>PDNG</Cd></Sts><BookgDt><Dt>2026-10-05</Dt></BookgDt></Ntry>
</Stmt>"#;

    #[test]
    fn v08_batch_expansion_party_shape_and_balances() {
        let l = parse_camt("a.xml", &doc("08", STMT_V08)).unwrap();
        assert_eq!(l.lines.len(), 3);
        let (a, b, c) = (&l.lines[0], &l.lines[1], &l.lines[2]);
        assert_eq!(
            (a.amount_cents, b.amount_cents, c.amount_cents),
            (60_000, 40_000, -2_500)
        );
        assert_eq!(a.bank_ref.as_deref(), Some("B1-1"));
        assert_eq!(a.entry_ref.as_deref(), Some("B1"));
        assert_eq!(b.entry_ref.as_deref(), Some("B1"));
        assert_eq!(a.end_to_end_ref.as_deref(), Some("INV-1"));
        assert_eq!(a.counterparty.as_deref(), Some("Jane Doe"));
        assert_eq!(b.counterparty.as_deref(), Some("John & Co"));
        assert_eq!(a.description, "INV-1 part one");
        assert_eq!(a.type_code.as_deref(), Some("PMNT/RCDT/ACDT"));
        assert_eq!(
            a.booking_date,
            NaiveDate::from_ymd_opt(2026, 10, 3).unwrap()
        );
        assert_eq!(c.description, "WIRE FEE");
        assert_eq!(c.entry_ref, None);
        assert_eq!(c.statement_row, 3);
        assert_eq!(l.rejects.len(), 1);
        assert!(l.rejects[0].reason.contains("PDNG"));
        assert_eq!(l.balances.len(), 1);
        assert_eq!(l.balances[0].opening_cents, 10_000);
        assert!(l.balance_breaks().is_empty(), "{:?}", l.balance_breaks());
    }

    #[test]
    fn v02_plain_status_party_and_reversal() {
        let body = r#"<Stmt><Acct><Id><IBAN>DE00123</IBAN></Id></Acct>
<Ntry><Amt Ccy="EUR">10.50</Amt><CdtDbtInd>DBIT</CdtDbtInd><RvslInd>true</RvslInd><Sts>BOOK</Sts><BookgDt><Dt>2026-10-02</Dt></BookgDt><AcctSvcrRef>R9</AcctSvcrRef>
<NtryDtls><TxDtls><Refs><EndToEndId>NOTPROVIDED</EndToEndId></Refs><RltdPties><Dbtr><Nm>Payer</Nm></Dbtr><Cdtr><Nm>Shop GmbH</Nm></Cdtr></RltdPties></TxDtls></NtryDtls></Ntry></Stmt>"#;
        let l = parse_camt("b.xml", &doc("02", body)).unwrap();
        let x = &l.lines[0];
        assert_eq!(x.amount_cents, -1_050);
        assert_eq!(x.counterparty.as_deref(), Some("Shop GmbH"));
        assert_eq!(x.end_to_end_ref, None);
        assert!(x.description.starts_with("REVERSAL:"));
        assert_eq!(x.account.as_deref(), Some("DE00123"));
        assert!(l.balances.is_empty());
    }

    #[test]
    fn a_negative_debit_amount_is_a_debit_once() {
        // Hand-written and some bank exports sign the amount as well as the indicator.
        let body = r#"<Stmt><Acct><Id><IBAN>AT611904300234573201</IBAN></Id><Ccy>EUR</Ccy></Acct>
<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">-10.00</Amt><CdtDbtInd>DBIT</CdtDbtInd><Dt><Dt>2026-10-01</Dt></Dt></Bal>
<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">42.71</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-10-31</Dt></Dt></Bal>
<Ntry><Amt Ccy="EUR">-47.29</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts>BOOK</Sts><BookgDt><Dt>2026-10-02</Dt></BookgDt></Ntry>
<Ntry><Amt>100.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts><BookgDt><Dt>2026-10-03</Dt></BookgDt></Ntry>
<Ntry><Amt>-5.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts><BookgDt><Dt>2026-10-04</Dt></BookgDt></Ntry>
</Stmt>"#;
        let l = parse_camt("n.xml", &doc("08", body)).unwrap();
        let got: Vec<(i64, Option<&str>)> = l
            .lines
            .iter()
            .map(|x| (x.amount_cents, x.currency.as_deref()))
            .collect();
        // The second entry has no Ccy of its own: the account's currency.
        assert_eq!(got, vec![(-4_729, Some("EUR")), (10_000, Some("EUR"))]);
        // A negative credit contradicts itself: rejected, not guessed.
        assert_eq!(l.rejects.len(), 1);
        assert!(l.rejects[0].reason.contains("`-5.00`"), "{:?}", l.rejects);
        // Opening -10.00 (a debit balance written negative), -47.29 + 100.00 = closing 42.71.
        assert_eq!(
            (l.balances[0].opening_cents, l.balances[0].closing_cents),
            (-1_000, 4_271)
        );
        assert!(l.balance_breaks().is_empty());
    }

    #[test]
    fn entries_read_one_at_a_time_keep_errors_and_prefixes() {
        // Truncated inside an entry: the open elements are named, entry ones included.
        let e = parse_camt(
            "t.xml",
            "<Document>\n<BkToCstmrStmt>\n<Stmt>\n<Ntry><Amt>1.00</Amt><NtryDtls>",
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("document ends inside <Document> <BkToCstmrStmt> <Stmt> <Ntry> <NtryDtls>"),
            "{e}"
        );
        // An unknown entity inside an entry is found at its line.
        let body =
            "<Stmt>\n<Ntry><Amt>1.00</Amt>\n<AddtlNtryInf>a &bogus; b</AddtlNtryInf></Ntry></Stmt>";
        let e = parse_camt("u.xml", &doc("08", body))
            .unwrap_err()
            .to_string();
        assert!(e.contains("u.xml: line 3") && e.contains("bogus"), "{e}");
        // Prefixed elements, an empty entry, and entities inside entries.
        let body = r#"<c:Stmt xmlns:c="x"><c:Ntry><c:Amt Ccy="USD">2.50</c:Amt><c:CdtDbtInd>DBIT</c:CdtDbtInd><c:BookgDt><c:Dt>2026-10-02</c:Dt></c:BookgDt><c:AddtlNtryInf>A &amp; B</c:AddtlNtryInf></c:Ntry><c:Ntry/></c:Stmt>"#;
        let l = parse_camt("v.xml", &doc("08", body)).unwrap();
        assert_eq!(l.lines.len(), 1);
        assert_eq!(l.lines[0].amount_cents, -250);
        assert_eq!(l.lines[0].description, "A & B");
        assert_eq!(l.lines[0].currency.as_deref(), Some("USD"));
        assert_eq!(l.rejects.len(), 1);
        assert_eq!(l.rejects[0].raw, "<c:Ntry/>");
    }

    #[test]
    fn skimmed_entries_keep_markup_and_first_error_order() {
        // Markup that looks like an end tag inside comments, CDATA and quoted attributes.
        let body = "<Stmt><Ntry><!-- </Ntry> --><Amt Ccy=\"US>D\">3.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><?pi </Ntry> ?><BookgDt><Dt>2026-10-02</Dt></BookgDt><AddtlNtryInf><![CDATA[x </Ntry> y]]></AddtlNtryInf></Ntry></Stmt>";
        let l = parse_camt("w.xml", &doc("08", body)).unwrap();
        assert_eq!(l.lines.len(), 1, "{:?}", l.rejects);
        assert_eq!(l.lines[0].amount_cents, 300);
        assert_eq!(l.lines[0].currency.as_deref(), Some("US>D"));
        assert_eq!(l.lines[0].description, "x </Ntry> y");
        assert_eq!(skim_to_close("<a/><b x='>'>t</b></N>"), Some(18));
        assert_eq!(skim_to_close("<a>"), None);
        // An error inside an early entry is reported before a later structural one.
        let body = "<Stmt>\n<Ntry><Amt>&nope;</Amt></Ntry>\n<Ntry></Ntry>\n</Stmt></Oops>";
        let e = parse_camt("x.xml", &doc("08", body))
            .unwrap_err()
            .to_string();
        assert!(e.contains("x.xml: line 2") && e.contains("nope"), "{e}");
        // A mismatched end tag inside an entry is reported at its line.
        let body = "<Stmt>\n<Ntry><Amt>1.00</Amt>\n<Sts></Cd></Ntry></Stmt>";
        let e = parse_camt("y.xml", &doc("08", body))
            .unwrap_err()
            .to_string();
        assert!(e.contains("y.xml: line 3: XML is not well-formed"), "{e}");
    }

    #[test]
    fn line_index_agrees_with_a_scan() {
        let text = "a\nbb\n\nccc\nd";
        let idx = LineIndex::new(text);
        for pos in 0..=text.len() {
            assert_eq!(idx.line(pos), line_of(text, pos), "offset {pos}");
        }
        for pos in (0..=text.len() + 2).rev() {
            assert_eq!(idx.line(pos), line_of(text, pos), "offset {pos} backwards");
        }
    }

    #[test]
    fn structural_failures_name_file_and_line() {
        let e = parse_camt("c.xml", "<Document>\n<BkToCstmrStmt>\n<Stmt></Ntry>")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("c.xml: line 3: XML is not well-formed"),
            "{e}"
        );
        let e = parse_camt("d.xml", "<Foo/>").unwrap_err().to_string();
        assert!(e.contains("d.xml") && e.contains("not a camt.053"), "{e}");
        let e = parse_camt("e.xml", &doc("08", "<Stmt><Ntry><Amt>1.00</Amt><CdtDbtInd>XX</CdtDbtInd><BookgDt><Dt>2026-10-01</Dt></BookgDt></Ntry></Stmt>")).unwrap();
        assert!(e.rejects[0].reason.contains("XX"));
    }
}
