//! The passes, the exclusive-assignment state and the end-of-run classification.

use std::collections::BTreeMap;

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use chrono::{Duration, NaiveDate};
use rayon::prelude::*;
use tieout_domain::{Cents, Severity, format_cents};

use super::expected::{self, Method, MoveKind, Movement, Req};
use super::frames::{self, DayCharge, MoveState};
use super::subset::{self, Subset};
use super::text::{
    COVERAGE_TOKEN_MIN, Rail, business_days, family_tokens, key_shaped, key_tokens, line_rail,
    name_similarity, name_tokens, norm_key, norm_key_into, raw_key_shaped, token_best,
};
use super::tolerances::Tolerances;
use super::{
    IgnoredInvestment, IgnoredLine, OpenItem, OpenItems, ReconError, ReconInput, ReconOutcome,
    ReconSummary,
};
use crate::model::{ExceptionCode, ExceptionRow, MatchRow, PayoutItem, StatementLine};

/// A statement line, tokenised once.
struct Line<'a> {
    src: &'a StatementLine,
    amount: Cents,
    date: NaiveDate,
    keys: Vec<String>,
    names: Vec<String>,
    /// Two-letter prefixes of the name tokens (sorted): a cheap filter before Jaro-Winkler.
    pfx: Vec<u16>,
    upper: String,
    /// The text names a processor settlement (see `Tolerances::batch_words`).
    is_batch: bool,
    /// The text has the words of a custodian's wire (`FBO`, `IRA`): money from an IRA.
    custodial: bool,
    /// The rail the line came by (see [`line_rail`]).
    rail: Rail,
}

/// The two-letter prefix of a token (an initial: the letter and 0); none for an empty token.
fn prefix_of(t: &str) -> Option<u16> {
    let b = t.as_bytes();
    (!b.is_empty()).then(|| (u16::from(b[0]) << 8) | u16::from(*b.get(1).unwrap_or(&0)))
}

fn prefixes<'s>(tokens: impl Iterator<Item = &'s String>) -> Vec<u16> {
    let mut v: Vec<u16> = tokens.filter_map(|t| prefix_of(t)).collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// Whether the investor's name prefixes plausibly appear in the line: at least two shared, counted
/// from either side (one when either side has a single token); a one-letter token (an initial)
/// shares with any token starting with that letter.
fn share_prefix(a: &[u16], b: &[u16]) -> bool {
    let fits =
        |x: u16, y: u16| x == y || ((x & 0xff == 0 || y & 0xff == 0) && (x >> 8) == (y >> 8));
    let count = |p: &[u16], q: &[u16]| p.iter().filter(|&&x| q.iter().any(|&y| fits(x, y))).count();
    // Counted from either side: `HU` stands for both Hữu and Huỳnh once de-duplicated, and the
    // line `H HUYNH` has two prefixes it fits.
    count(a, b).max(count(b, a)) >= a.len().min(b.len()).min(2)
}

impl Line<'_> {
    fn label(&self) -> String {
        format!("{} row {}", self.src.file, self.src.statement_row)
    }
    fn has_word(&self, words: &[&str]) -> bool {
        words.iter().any(|w| self.upper.contains(w))
    }
}

struct Exc {
    row: ExceptionRow,
    line: Option<usize>,
    line_cents: Cents,
    mov: Option<usize>,
}

struct State<'a> {
    tol: &'a Tolerances,
    lines: Vec<Line<'a>>,
    moves: Vec<Movement>,
    /// `moves` as a frame (see [`frames::movements_frame`]).
    move_frame: polars::prelude::DataFrame,
    used: Vec<bool>,
    done: Vec<bool>,
    matches: Vec<(MatchRow, usize, usize)>,
    excs: Vec<Exc>,
    ign_lines: Vec<(usize, IgnoredLine)>,
    ign_moves: Vec<(Option<usize>, IgnoredInvestment)>,
    ambiguous_mov: Vec<Option<String>>,
    dup_hint: Vec<Option<usize>>,
    batch_hint: Vec<Option<(ExceptionCode, String)>>,
    /// Per line: the book investment (index into `book.investments`) whose reference id or
    /// payment intent id the line carries, among lines the exact passes left open (see
    /// [`book_key_hits`]). Such a line belongs to that investment even when it has no movement
    /// this period, so the amount + date + name passes never offer it to another one.
    book_hit: Vec<Option<usize>>,
}

const TRANSFER_WORDS: &[&str] = &[
    "DISBURS",
    "TRANSFER",
    "ESCROW RELEASE",
    "CLOSING",
    "BOOK TRANSFER",
    "INTERNAL",
];
const FEE_WORDS: &[&str] = &["FEE", "SERVICE CHARGE", "SVC CHG", "CHARGE"];

fn severity(code: ExceptionCode) -> Severity {
    match code {
        ExceptionCode::RefundDue
        | ExceptionCode::BalanceBreak
        | ExceptionCode::DuplicatePayment => Severity::Violation,
        _ => Severity::Warning,
    }
}

/// `$1,234.56`, or `-$1,234.56` for a negative amount.
fn money(c: Cents) -> String {
    if c < 0 {
        format!("-${}", format_cents(c.saturating_abs()))
    } else {
        format!("${}", format_cents(c))
    }
}

impl<'a> State<'a> {
    fn inv_exc(&mut self, code: ExceptionCode, sev: Severity, m: usize, detail: String) {
        let mv = &self.moves[m];
        self.excs.push(Exc {
            row: ExceptionRow {
                code,
                severity: sev,
                investment_id: Some(mv.investment_id),
                statement_file: None,
                statement_row: None,
                amount_cents: mv.expected,
                detail,
            },
            line: None,
            line_cents: 0,
            mov: Some(m),
        });
        self.done[m] = true;
    }

    fn line_exc(
        &mut self,
        code: ExceptionCode,
        l: usize,
        cents: Cents,
        inv: Option<i64>,
        mov: Option<usize>,
        detail: String,
    ) {
        let src = self.lines[l].src;
        self.excs.push(Exc {
            row: ExceptionRow {
                code,
                severity: severity(code),
                investment_id: inv,
                statement_file: Some(src.file.clone()),
                statement_row: Some(src.statement_row),
                amount_cents: cents,
                detail,
            },
            line: Some(l),
            line_cents: cents,
            mov,
        });
        self.used[l] = true;
        if let Some(m) = mov {
            self.done[m] = true;
        }
    }

    fn ignore_line(&mut self, l: usize, cents: Cents, reason: String) {
        let src = self.lines[l].src;
        self.ign_lines.push((
            l,
            IgnoredLine {
                statement_file: src.file.clone(),
                statement_row: src.statement_row,
                amount_cents: cents,
                reason,
            },
        ));
        self.used[l] = true;
    }

    /// Pairs movement `m` with `bank_cents` of line `l`. A shadow movement (the platform says no
    /// money) turns into a line exception instead of a match.
    fn accept(
        &mut self,
        m: usize,
        l: usize,
        rule: &str,
        score: f64,
        expected: Cents,
        bank_cents: Cents,
    ) {
        let mv = &self.moves[m];
        if let Req::Shadow { refund_due, .. } = &mv.req {
            let (code, detail) = if *refund_due {
                (
                    ExceptionCode::RefundDue,
                    format!(
                        "Investment {} is {} but {} of its money arrived on {} ({rule}); return it to the investor or reinstate the investment.",
                        mv.investment_id,
                        mv.status,
                        money(bank_cents),
                        self.lines[l].date
                    ),
                )
            } else {
                (
                    ExceptionCode::StatusMismatch,
                    format!(
                        "Money for investment {} ({} on {}, {rule}) arrived but the platform status is {}; update the status or return the funds.",
                        mv.investment_id,
                        money(bank_cents),
                        self.lines[l].date,
                        mv.status
                    ),
                )
            };
            let inv = mv.investment_id;
            self.line_exc(code, l, bank_cents, Some(inv), Some(m), detail);
            return;
        }
        let rule = if mv.carried.is_some() {
            "carry_forward"
        } else {
            rule
        };
        let src = self.lines[l].src;
        let row = MatchRow {
            investment_id: mv.investment_id,
            statement_file: src.file.clone(),
            statement_row: src.statement_row,
            statement_ref: src.bank_ref.clone(),
            rule: rule.to_string(),
            score: score.clamp(0.0, 1.0) as f32,
            expected_cents: expected,
            bank_cents,
            difference_cents: bank_cents - expected,
        };
        self.matches.push((row, l, m));
        self.done[m] = true;
        self.used[l] = true;
    }

    /// Accepts a batch: `parts` are (movement, bank cents); the last part absorbs any remainder
    /// so the line's cents are fully attributed.
    fn accept_batch(&mut self, l: usize, ms: &[usize], rule: &str, score: f64) {
        let line_amount = self.lines[l].amount;
        let mut attributed = 0;
        for (i, &m) in ms.iter().enumerate() {
            let e = self.moves[m].expected;
            let bank = if i + 1 == ms.len() {
                line_amount - attributed
            } else {
                e
            };
            attributed += bank;
            self.accept(m, l, rule, score, e, bank);
        }
    }

    fn window_ok(&self, m: usize, line_date: NaiveDate) -> Option<(i64, f64)> {
        let mv = &self.moves[m];
        let t = mv.tolerance(self.tol);
        let lag = business_days(mv.date, line_date);
        if lag < t.window_min_days {
            return None;
        }
        if mv.carried.is_some() {
            return Some((lag, 0.5));
        }
        if lag > t.window_max_days {
            return None;
        }
        let span = (t.window_max_days - t.window_min_days).max(1) as f64;
        Some((lag, 1.0 - 0.5 * (lag - t.window_min_days) as f64 / span))
    }

    fn sign_ok(&self, m: usize, l: usize) -> bool {
        let a = self.lines[l].amount;
        match self.moves[m].kind {
            MoveKind::Credit => a > 0,
            MoveKind::Refund | MoveKind::AchReturn => a < 0,
        }
    }
}

/// Runs every pass and the final checks, with `beside` on another core once the lines are
/// tokenised (see [`super::reconcile_beside`]).
pub(crate) fn run<R: Send>(
    input: &ReconInput<'_>,
    tol: &Tolerances,
    moves: Vec<Movement>,
    out_of_scope: Vec<expected::OutOfScope>,
    beside: impl FnOnce() -> R + Send,
) -> (Result<(ReconOutcome, Scratch), ReconError>, R) {
    tracing::debug!("engine: tokenise lines");
    let batch_words: Vec<String> = tol.batch_words.iter().map(|w| w.to_uppercase()).collect();
    // A line token is kept only if it can be some key: key-shaped, or spelt like one of the
    // keys that look like words. Every consumer of `Line::keys` (the exact join, the one-typo
    // reference search, payout ids, the book's keys) only ever uses such tokens.
    let word_keys = word_like_keys(input.book, &moves);
    let keep = |k: &str| key_shaped(k) || word_keys.contains(k);
    let lines: Vec<Line<'_>> = input
        .lines
        .par_iter()
        .map(|s| {
            let texts: Vec<&str> = [
                Some(s.description.as_str()),
                s.bank_ref.as_deref(),
                s.end_to_end_ref.as_deref(),
                s.entry_ref.as_deref(),
                s.counterparty.as_deref(),
            ]
            .into_iter()
            .flatten()
            .collect();
            let mut names = s
                .counterparty
                .as_deref()
                .map(name_tokens)
                .unwrap_or_default();
            if names.is_empty() {
                names = name_tokens(&s.description);
            }
            // `format!("{} {}", description, counterparty).to_uppercase()` in one allocation.
            let cp = s.counterparty.as_deref().unwrap_or("");
            let mut upper = String::with_capacity(s.description.len() + cp.len() + 1);
            for part in [s.description.as_str(), " ", cp] {
                for c in part.chars() {
                    if c.is_ascii() {
                        upper.push(c.to_ascii_uppercase());
                    } else {
                        upper.extend(c.to_uppercase());
                    }
                }
            }
            Line {
                src: s,
                amount: s.amount_cents,
                date: s.booking_date,
                keys: key_tokens(&texts, keep),
                pfx: prefixes(names.iter()),
                names,
                is_batch: batch_words.iter().any(|w| upper.contains(w.as_str())),
                custodial: upper
                    .split(|c: char| !c.is_ascii_alphanumeric())
                    .any(|w| w == "FBO" || w == "IRA"),
                rail: line_rail(s.type_code.as_deref(), &upper),
                upper,
            }
        })
        .collect();
    tracing::debug!("engine: frames");
    let move_frame = match frames::movements_frame(&moves) {
        Ok(f) => f,
        Err(e) => return (Err(frame_err(e)), beside()),
    };
    // The passes are ordered and mostly sequential: `beside` fills the other core meanwhile.
    rayon::join(
        || passes(input, tol, lines, moves, move_frame, out_of_scope),
        beside,
    )
}

/// The ordered passes, classification, conservation and the summary.
fn passes<'a>(
    input: &ReconInput<'a>,
    tol: &'a Tolerances,
    lines: Vec<Line<'a>>,
    moves: Vec<Movement>,
    move_frame: polars::prelude::DataFrame,
    out_of_scope: Vec<expected::OutOfScope>,
) -> Result<(ReconOutcome, Scratch), ReconError> {
    let n_lines = lines.len();
    let n_moves = moves.len();
    let mut st = State {
        tol,
        lines,
        moves,
        move_frame,
        used: vec![false; n_lines],
        done: vec![false; n_moves],
        matches: Vec::new(),
        excs: Vec::new(),
        ign_lines: Vec::new(),
        ign_moves: Vec::new(),
        ambiguous_mov: vec![None; n_moves],
        dup_hint: vec![None; n_lines],
        batch_hint: vec![None; n_lines],
        book_hit: Vec::new(),
    };
    tracing::debug!(
        lines = n_lines,
        movements = n_moves,
        "engine: pass exact_reference"
    );
    pass_exact(&mut st)?;
    // Lines still open that carry an investment's own key (whatever its status): never given
    // to another investment whose reference is one typo away.
    st.book_hit = book_key_hits(&st, input);
    tracing::debug!("engine: pass fuzzy_reference");
    pass_fuzzy_reference(&mut st);
    tracing::debug!("engine: pass payout_report");
    pass_payouts(&mut st, input.payouts);
    // Refund and return debits first: a refund with its own debit line is not one a processor
    // netted inside a payout (pass 3 nets the refunds still open on a payout's day).
    // The name passes (and the open items) read names: those of the movements still open.
    tracing::debug!("engine: names of the open movements");
    let done = std::mem::take(&mut st.done);
    expected::fill_names(input.book, &mut st.moves, |m| !done[m]);
    st.done = done;
    tracing::debug!("engine: pass refund_pair / ach_return_pair");
    pass_fuzzy(&mut st, false);
    tracing::debug!("engine: pass batches");
    pass_batches(&mut st)?;
    tracing::debug!("engine: pass amount_date_name");
    pass_fuzzy(&mut st, true);
    tracing::debug!("engine: pass split_payment");
    pass_split(&mut st);
    tracing::debug!("engine: classify lines");
    classify_lines(&mut st, input);
    tracing::debug!("engine: classify movements");
    let open_items = classify_moves(&mut st, input);
    for o in out_of_scope {
        st.ign_moves.push((
            None,
            IgnoredInvestment {
                investment_id: o.investment_id,
                movement: "none".into(),
                expected_cents: o.expected,
                reason: o.reason,
            },
        ));
    }
    tracing::debug!("engine: balances and conservation");
    balance_breaks(&mut st, input);
    conservation(&st)?;
    tracing::debug!("engine: summary");
    let out = finish(st, input, open_items);
    tracing::debug!("engine: done");
    out
}

fn frame_err(e: polars::prelude::PolarsError) -> ReconError {
    ReconError::Frame(e.to_string())
}

// ---------------------------------------------------------------------------------------------
// Pass 1: exact keys.

fn pass_exact(st: &mut State<'_>) -> Result<(), ReconError> {
    // Candidate pairs: (line_idx, token) ⋈ (movement_idx, key), distinct, sorted per line.
    let line_keys: Vec<&[String]> = st.lines.iter().map(|l| l.keys.as_slice()).collect();
    let move_keys: Vec<&[String]> = st.moves.iter().map(|m| m.keys.as_slice()).collect();
    tracing::debug!("engine: exact join");
    let cands = frames::exact_candidates(&line_keys, &move_keys).map_err(frame_err)?;
    tracing::debug!("engine: exact claims");
    // (movement, line): each line claims at most one movement.
    let mut claims: Vec<(usize, usize)> = Vec::new();
    for (l, c) in cands.iter().enumerate() {
        let open = |m: &usize| st.sign_ok(*m, l) && !st.done[*m];
        // Most lines carry one investment's key: no allocation for them.
        let mut it = c.iter().copied().filter(open);
        match (it.next(), it.next()) {
            (None, _) => {}
            (Some(m), None) => claims.push((m, l)),
            _ => {
                let c: Vec<usize> = c.iter().copied().filter(open).collect();
                let amount = st.lines[l].amount;
                let sum: Cents = c.iter().map(|&m| st.moves[m].expected).sum();
                if (amount - sum).abs() <= st.tol.batch_abs_cents {
                    st.accept_batch(l, &c, "exact_reference", 1.0);
                    continue;
                }
                let within: Vec<usize> = c
                    .iter()
                    .copied()
                    .filter(|&m| st.moves[m].amount_diff(amount, st.tol).is_some())
                    .collect();
                if within.len() == 1 {
                    claims.push((within[0], l));
                } else {
                    let ids: Vec<String> = c
                        .iter()
                        .map(|&m| st.moves[m].investment_id.to_string())
                        .collect();
                    let lbl = st.lines[l].label();
                    for &m in &c {
                        st.ambiguous_mov[m] = Some(lbl.clone());
                    }
                    st.line_exc(
                        ExceptionCode::AmbiguousMatch,
                        l,
                        amount,
                        None,
                        None,
                        format!("Line carries the references of investments {} and its amount fits none or several of them; assign it by hand.", ids.join(", ")),
                    );
                }
            }
        }
    }
    // By movement, then each movement's lines by date and row order.
    claims.par_sort_unstable_by_key(|&(m, l)| (m, st.lines[l].date, l));
    let mut ls: Vec<usize> = Vec::new();
    let mut within: Vec<Option<Cents>> = Vec::new();
    for group in claims.chunk_by(|a, b| a.0 == b.0) {
        let m = group[0].0;
        ls.clear();
        ls.extend(group.iter().map(|&(_, l)| l));
        let expected = st.moves[m].expected;
        within.clear();
        within.extend(
            ls.iter()
                .map(|&l| st.moves[m].amount_diff(st.lines[l].amount, st.tol)),
        );
        let total: Cents = ls.iter().map(|&l| st.lines[l].amount).sum();
        if ls.len() >= 2
            && within.iter().all(Option::is_none)
            && st.moves[m].amount_diff(total, st.tol).is_some()
        {
            let mut rest = expected;
            for (i, &l) in ls.iter().enumerate() {
                let a = st.lines[l].amount;
                let e = if i + 1 == ls.len() { rest } else { a };
                rest -= e;
                st.accept(m, l, "split_payment", 1.0, e, a);
            }
            continue;
        }
        let first = within.iter().position(Option::is_some);
        match first {
            Some(i) => {
                let l = ls[i];
                let diff = within[i].unwrap_or(0);
                let t = st.moves[m]
                    .tolerance(st.tol)
                    .tolerance_cents(expected)
                    .max(1);
                let score = 1.0 - 0.05 * (diff.abs() as f64 / t as f64);
                st.accept(m, l, "exact_reference", score, expected, st.lines[l].amount);
                for (j, &l2) in ls.iter().enumerate() {
                    if j != i && within[j].is_some() && !st.used[l2] {
                        let inv = st.moves[m].investment_id;
                        let a = st.lines[l2].amount;
                        let first_lbl = st.lines[l].label();
                        st.line_exc(
                            ExceptionCode::DuplicatePayment,
                            l2,
                            a,
                            Some(inv),
                            None,
                            format!("Second payment of {} for investment {inv} (first: {first_lbl}); confirm with the investor and return the duplicate.", money(a)),
                        );
                    }
                }
            }
            None => {
                let l = ls[0];
                let a = st.lines[l].amount;
                let inv = st.moves[m].investment_id;
                st.line_exc(
                    ExceptionCode::AmountMismatch,
                    l,
                    a,
                    Some(inv),
                    Some(m),
                    format!(
                        "Line carries the reference of investment {inv} but pays {} against {} expected (difference {}), beyond tolerance; ask the payer or correct the investment.",
                        money(a),
                        money(expected),
                        money(a - expected)
                    ),
                );
            }
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Pass 1b: a reference with one character mangled (`INV-4NG2XX` for `INV-4NG2XN`).

/// Minimum length of a reference for single-character tolerance.
const FUZZY_KEY_MIN: usize = 6;

/// A deterministic 64-bit hash (FNV-1a) of `k` with byte `i` masked: the key of the masked-key
/// index (no string per masked form). Hits are verified against the real keys.
fn masked_hash(k: &[u8], i: usize) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for (j, &b) in k.iter().enumerate() {
        let b = if j == i { b'?' } else { b };
        h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
    }
    h ^ (k.len() as u64)
}

/// Whether two keys of equal length differ in at most one byte (what equal masked forms mean).
fn one_apart(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).filter(|(x, y)| x != y).count() <= 1
}

/// Pass 1b: a line token one character away from an open movement's reference (a typo, an O for
/// a 0), when exactly one such movement also fits the amount. A line still open that carries an
/// investment's own key exactly (`book_hit`: its money arrived against its status, or twice) is
/// that investment's, never a typo of its neighbour's.
fn pass_fuzzy_reference(st: &mut State<'_>) {
    // (masked-key hash, movement) for every position of every open movement's reference,
    // sorted: one binary search per masked form of a line token.
    let refs: Vec<Option<String>> = st
        .moves
        .par_iter()
        .enumerate()
        .map(|(m, mv)| {
            if st.done[m] {
                return None;
            }
            let r = norm_key(mv.reference_id.as_deref()?);
            (r.len() >= FUZZY_KEY_MIN && r.is_ascii()).then_some(r)
        })
        .collect();
    let mut index: Vec<(u64, u32)> = refs
        .par_iter()
        .enumerate()
        .flat_map_iter(|(m, r)| {
            let r = r.as_deref().unwrap_or("").as_bytes();
            (0..r.len()).map(move |i| (masked_hash(r, i), m as u32))
        })
        .collect();
    if index.is_empty() {
        return;
    }
    index.par_sort_unstable();
    let mut lens: Vec<usize> = refs.iter().flatten().map(String::len).collect();
    lens.sort_unstable();
    lens.dedup();
    let (used, book_hit) = (&st.used, &st.book_hit);
    let cands: Vec<(usize, Vec<usize>)> = st
        .lines
        .par_iter()
        .enumerate()
        .filter(|(l, _)| !used[*l] && book_hit[*l].is_none())
        .map(|(l, line)| {
            let mut v: Vec<usize> = Vec::new();
            for k in &line.keys {
                // A reference-length token with a digit, or a long one (`INVNDUFHX`: references
                // may be all letters); short plain words are never references.
                if !k.is_ascii()
                    || lens.binary_search(&k.len()).is_err()
                    || !(k.len() >= 8 || k.bytes().any(|b| b.is_ascii_digit()))
                {
                    continue;
                }
                let kb = k.as_bytes();
                for i in 0..kb.len() {
                    let h = masked_hash(kb, i);
                    let a = index.partition_point(|x| x.0 < h);
                    for &(_, m) in index[a..].iter().take_while(|x| x.0 == h) {
                        let m = m as usize;
                        // Verify the hash hit: the reference, or one byte apart from it.
                        if refs[m]
                            .as_deref()
                            .is_some_and(|r| one_apart(r.as_bytes(), kb))
                        {
                            v.push(m);
                        }
                    }
                }
            }
            v.sort_unstable();
            v.dedup();
            (l, v)
        })
        .filter(|(_, v)| !v.is_empty())
        .collect();
    for (l, c) in cands {
        let amount = st.lines[l].amount;
        let c: Vec<(usize, Cents)> = c
            .into_iter()
            .filter(|&m| !st.done[m] && st.sign_ok(m, l))
            .filter_map(|m| st.moves[m].amount_diff(amount, st.tol).map(|d| (m, d)))
            .collect();
        if c.len() == 1 && !st.used[l] {
            let (m, diff) = c[0];
            let e = st.moves[m].expected;
            let t = st.moves[m].tolerance(st.tol).tolerance_cents(e).max(1);
            st.accept(
                m,
                l,
                "fuzzy_reference",
                0.9 - 0.05 * (diff.abs() as f64 / t as f64),
                e,
                amount,
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Pass 2: payout reports.

struct Payout<'p> {
    id: String,
    items: Vec<&'p PayoutItem>,
    net: Cents,
    date: Option<NaiveDate>,
}

fn is_fee_like(item: &PayoutItem) -> bool {
    let c = item.reporting_category.to_ascii_lowercase();
    item.payment_intent_id.is_none()
        && (c.contains("fee")
            || c.contains("adjustment")
            || c.contains("tax")
            || c.contains("contribution"))
}

fn pass_payouts(st: &mut State<'_>, items: &[PayoutItem]) {
    let mut payouts: BTreeMap<String, Payout<'_>> = BTreeMap::new();
    let mut buf = String::new();
    for it in items {
        let Some(pid) = it.payout_id.as_deref() else {
            continue;
        };
        let c = it.reporting_category.as_str();
        if c.eq_ignore_ascii_case("payout") || c.eq_ignore_ascii_case("payout_reversal") {
            continue;
        }
        norm_key_into(pid, &mut buf);
        if !payouts.contains_key(buf.as_str()) {
            payouts.insert(
                buf.clone(),
                Payout {
                    id: pid.to_string(),
                    items: Vec::new(),
                    net: 0,
                    date: None,
                },
            );
        }
        let Some(p) = payouts.get_mut(buf.as_str()) else {
            continue;
        };
        p.items.push(it);
        p.net += it.net_cents;
        p.date = p.date.max(it.payout_date);
    }
    if payouts.is_empty() {
        return;
    }
    let mut claimed: BTreeMap<String, usize> = BTreeMap::new();
    for l in 0..st.lines.len() {
        if st.used[l] {
            continue;
        }
        if let Some(k) = st.lines[l]
            .keys
            .iter()
            .find(|k| k.starts_with("PO_") && payouts.contains_key(k.as_str()))
            && !claimed.contains_key(k)
        {
            claimed.insert(k.clone(), l);
        }
    }
    let claimed_lines: HashSet<usize> = claimed.values().copied().collect();
    let mut by_amount: HashMap<Cents, Vec<usize>> = HashMap::default();
    for (l, line) in st.lines.iter().enumerate() {
        if !st.used[l] && !claimed_lines.contains(&l) {
            by_amount.entry(line.amount).or_default().push(l);
        }
    }
    let mut taken: HashSet<usize> = claimed_lines.clone();
    for (k, p) in &payouts {
        if claimed.contains_key(k) || p.net == 0 {
            continue;
        }
        let Some(pd) = p.date else { continue };
        let lo = pd - Duration::days(st.tol.payout_days_before);
        let hi = pd + Duration::days(st.tol.payout_days_after);
        let mut c: Vec<(i64, usize)> = by_amount
            .get(&p.net)
            .into_iter()
            .flatten()
            .filter(|&&l| !taken.contains(&l) && st.lines[l].date >= lo && st.lines[l].date <= hi)
            .map(|&l| ((st.lines[l].date - pd).num_days().abs(), l))
            .collect();
        c.sort_unstable();
        if c.len() == 1 || (c.len() > 1 && c[0].0 < c[1].0) {
            claimed.insert(k.clone(), c[0].1);
            taken.insert(c[0].1);
        }
    }
    // The movements of the payment intents the claimed payouts carry (each normalised into
    // one buffer: no string per movement).
    let wanted: HashSet<String> = claimed
        .keys()
        .filter_map(|k| payouts.get(k))
        .flat_map(|p| p.items.iter())
        .filter_map(|it| it.payment_intent_id.as_deref())
        .map(norm_key)
        .collect();
    let mut pi_index: HashMap<&str, Vec<usize>> = HashMap::default();
    for (m, mv) in st.moves.iter().enumerate() {
        if let Some(pi) = mv.payment_intent_id.as_deref() {
            norm_key_into(pi, &mut buf);
            if let Some(k) = wanted.get(buf.as_str()) {
                pi_index.entry(k.as_str()).or_default().push(m);
            }
        }
    }
    for (k, l) in claimed {
        let Some(p) = payouts.get(&k) else { continue };
        let line_amount = st.lines[l].amount;
        let mut attributed: Cents = 0;
        let mut unattributed: Vec<String> = Vec::new();
        let mut items = p.items.clone();
        items.sort_by(|a, b| (a.file.as_str(), a.row).cmp(&(b.file.as_str(), b.row)));
        for it in items {
            let cat = it.reporting_category.to_ascii_lowercase();
            let target = it
                .payment_intent_id
                .as_deref()
                .and_then(|pi| {
                    norm_key_into(pi, &mut buf);
                    pi_index.get(buf.as_str())
                })
                .and_then(|ms| {
                    let want: &[MoveKind] = if it.net_cents >= 0 {
                        &[MoveKind::Credit]
                    } else if cat.contains("refund") {
                        &[MoveKind::Refund, MoveKind::AchReturn]
                    } else {
                        &[MoveKind::AchReturn, MoveKind::Refund]
                    };
                    want.iter()
                        .find_map(|kind| ms.iter().copied().find(|&m| st.moves[m].kind == *kind))
                });
            match target {
                Some(m) if !st.done[m] => {
                    let e = st.moves[m].expected;
                    let score = if it.net_cents == e || Some(it.net_cents) == st.moves[m].alt {
                        1.0
                    } else {
                        0.95
                    };
                    st.accept(m, l, "payout_report", score, e, it.net_cents);
                    attributed += it.net_cents;
                }
                Some(m) => {
                    let inv = st.moves[m].investment_id;
                    st.line_exc(
                        ExceptionCode::DuplicatePayment,
                        l,
                        it.net_cents,
                        Some(inv),
                        None,
                        format!("Payout {} carries another {} for investment {inv}, which is already matched; check the processor for a double charge and refund it.", p.id, money(it.net_cents)),
                    );
                    attributed += it.net_cents;
                }
                None if is_fee_like(it) => {
                    let reason = format!(
                        "processor {} in payout {} ({})",
                        it.reporting_category,
                        p.id,
                        it.balance_transaction_id.clone().unwrap_or_default()
                    );
                    st.ignore_line(l, it.net_cents, reason);
                    attributed += it.net_cents;
                }
                None => unattributed.push(
                    it.payment_intent_id
                        .clone()
                        .or(it.source_id.clone())
                        .or(it.balance_transaction_id.clone())
                        .unwrap_or_else(|| format!("row {}", it.row)),
                ),
            }
        }
        let rest = line_amount - attributed;
        if rest != 0 {
            let (code, detail) = if p.net != line_amount {
                (
                    ExceptionCode::AmountMismatch,
                    format!(
                        "Bank line {} differs from payout {} net total {}; {} of it is not explained by the payout's items — check the processor report.",
                        money(line_amount),
                        p.id,
                        money(p.net),
                        money(rest)
                    ),
                )
            } else {
                (
                    if rest > 0 {
                        ExceptionCode::UnmatchedCredit
                    } else {
                        ExceptionCode::UnmatchedDebit
                    },
                    format!(
                        "{} of payout {} belongs to items not in the snapshot ({}); pull a fresh snapshot or find the investments.",
                        money(rest),
                        p.id,
                        unattributed.join(", ")
                    ),
                )
            };
            st.line_exc(code, l, rest, None, None, detail);
        }
        st.used[l] = true;
    }
}

// ---------------------------------------------------------------------------------------------
// Pass 3: batches without a report.

fn pass_batches(st: &mut State<'_>) -> Result<(), ReconError> {
    let mut by_date: BTreeMap<NaiveDate, Vec<usize>> = BTreeMap::new();
    for (m, mv) in st.moves.iter().enumerate() {
        if mv.kind == MoveKind::Credit
            && mv.method.batched()
            && !mv.is_shadow()
            && !st.done[m]
            && mv.expected > 0
        {
            by_date.entry(mv.date).or_default().push(m);
        }
    }
    // Card/ACH refunds a processor nets inside the payout of the refund's day.
    let mut refunds: BTreeMap<NaiveDate, Vec<usize>> = BTreeMap::new();
    for (m, mv) in st.moves.iter().enumerate() {
        if mv.kind == MoveKind::Refund
            && matches!(mv.method, Method::Card | Method::Ach)
            && !mv.is_shadow()
            && !st.done[m]
            && mv.alt.unwrap_or(mv.expected) < 0
        {
            refunds.entry(mv.date).or_default().push(m);
        }
    }
    // Negative net payouts (refunds that day exceeded charges) net charges against refunds.
    for l in 0..st.lines.len() {
        if !st.used[l] && st.lines[l].amount < 0 && st.lines[l].is_batch {
            batch_negative(st, l);
        }
    }
    if by_date.is_empty() {
        return Ok(());
    }
    // Two rounds: a settlement explained in the first round takes its charges out of the
    // candidate days of another (a processor payout and a direct ACH batch share ACH days).
    // Settlement lags (business days from receipt to the line) each file's settlements have
    // shown so far, per method: a batch whose core could be one of several days takes the
    // day its file's other settlements agree on.
    let mut lags: Lags = BTreeMap::new();
    for _round in 0..2 {
        let mut progress = false;
        // Which statement files each offering's money has been matched in so far (exact
        // references, payout reports, refunds), counting a file only when it holds at least 2 %
        // of the offering's matches (one stray match does not make a file the offering's): a
        // settlement line only draws on offerings seen in its own file (or not seen yet).
        let mut counts: HashMap<i64, BTreeMap<&str, usize>> = HashMap::default();
        for (_, l, m) in &st.matches {
            if let Some(o) = st.moves[*m].offering_id {
                *counts
                    .entry(o)
                    .or_default()
                    .entry(st.lines[*l].src.file.as_str())
                    .or_default() += 1;
            }
        }
        let offering_files: HashMap<i64, std::collections::BTreeSet<&str>> = counts
            .into_iter()
            .map(|(o, files)| {
                let total: usize = files.values().sum();
                let set = files
                    .into_iter()
                    .filter(|(_, n)| n * 50 >= total)
                    .map(|(f, _)| f)
                    .collect();
                (o, set)
            })
            .collect();
        for l in 0..st.lines.len() {
            // Only lines that say they are settlements (`batch_words`): keeps this pass off the
            // investor wires and bounds its work.
            if st.used[l] || st.lines[l].amount <= 0 || !st.lines[l].is_batch {
                continue;
            }
            progress |= batch_line(st, l, &by_date, &refunds, &offering_files, &mut lags)?;
        }
        if !progress {
            break;
        }
    }
    Ok(())
}

/// Settlement lags seen per (statement file, method).
type Lags = BTreeMap<(String, Method), std::collections::BTreeSet<i64>>;

/// Records the lag of each method whose receipt-dated charges in `parts` share one day.
fn learn_lags(st: &State<'_>, l: usize, parts: &[(usize, Cents)], lags: &mut Lags) {
    let ld = st.lines[l].date;
    let mut seen: BTreeMap<Method, std::collections::BTreeSet<i64>> = BTreeMap::new();
    for &(m, _) in parts {
        let mv = &st.moves[m];
        if mv.kind == MoveKind::Credit && mv.receipt_dated {
            seen.entry(mv.method)
                .or_default()
                .insert(business_days(ld, mv.date));
        }
    }
    for (method, days) in seen {
        if days.len() == 1 {
            lags.entry((st.lines[l].src.file.clone(), method))
                .or_default()
                .extend(days);
        }
    }
}

/// The item count a settlement line states (`ACH SETTLEMENT BATCH 186 ITEMS`), if any.
fn stated_items(upper: &str) -> Option<usize> {
    let words: Vec<&str> = upper.split_whitespace().collect();
    words.windows(2).find_map(|w| {
        (w[1] == "ITEMS" || w[1] == "ITEM")
            .then(|| w[0].parse::<usize>().ok())
            .flatten()
            .filter(|n| *n > 0)
    })
}

/// Accepts `parts` (movement, cents) of batch line `l`. With `absorb`, the last part takes
/// whatever remains of the line so its cents are fully attributed.
fn accept_parts(
    st: &mut State<'_>,
    l: usize,
    parts: &[(usize, Cents)],
    rule: &str,
    score: f64,
    absorb: bool,
) {
    let line_amount = st.lines[l].amount;
    let mut attributed = 0;
    for (i, &(m, e)) in parts.iter().enumerate() {
        let bank = if absorb && i + 1 == parts.len() {
            line_amount - attributed
        } else {
            e
        };
        attributed += bank;
        st.accept(m, l, rule, score, e, bank);
    }
}

/// One positive settlement line of pass 3; returns whether it was explained (wholly or, for a
/// stated item count, in part).
fn batch_line(
    st: &mut State<'_>,
    l: usize,
    by_date: &BTreeMap<NaiveDate, Vec<usize>>,
    refunds: &BTreeMap<NaiveDate, Vec<usize>>,
    offering_files: &HashMap<i64, std::collections::BTreeSet<&str>>,
    lags: &mut Lags,
) -> Result<bool, ReconError> {
    let max_lag = [&st.tol.card, &st.tol.ach, &st.tol.crypto]
        .iter()
        .map(|t| t.window_max_days)
        .max()
        .unwrap_or(5);
    let ld = st.lines[l].date;
    let lo = ld - Duration::days(max_lag * 2 + 4);
    let file = st.lines[l].src.file.as_str();
    // An offering whose money has so far been seen only in other statement files does not
    // settle into this one (`offering_files`).
    let here = |m: usize| {
        st.moves[m]
            .offering_id
            .and_then(|o| offering_files.get(&o))
            .is_none_or(|fs| fs.contains(file))
    };
    let cands: Vec<usize> = by_date
        .range(lo..=ld)
        .flat_map(|(_, ms)| ms.iter().copied())
        .filter(|&m| !st.done[m] && here(m) && st.window_ok(m, ld).is_some())
        .collect();
    if cands.is_empty() {
        return Ok(false);
    }
    let amount = st.lines[l].amount;
    // A: one business day's total, per group.
    let groups: [fn(Method) -> bool; 4] = [
        |m| matches!(m, Method::Card | Method::Ach),
        |m| m == Method::Card,
        |m| m == Method::Ach,
        |m| m == Method::Crypto,
    ];
    let mut hits: Vec<Vec<(usize, Cents)>> = Vec::new();
    let push_hit = |mut set: Vec<(usize, Cents)>, hits: &mut Vec<Vec<(usize, Cents)>>| {
        set.sort_unstable();
        if !set.is_empty() && !hits.contains(&set) {
            hits.push(set);
        }
    };
    // Day totals use receipt-dated charges only: another date says nothing about the day a
    // processor settles the charge (those are left to the subset search).
    let mut days: BTreeMap<i64, Vec<usize>> = BTreeMap::new();
    let mut charges: Vec<DayCharge> = Vec::with_capacity(cands.len());
    for &m in cands.iter().filter(|&&m| st.moves[m].receipt_dated) {
        let day = business_days(ld, st.moves[m].date);
        days.entry(day).or_default().push(m);
        charges.push(DayCharge {
            day,
            method: st.moves[m].method,
            expected: st.moves[m].expected,
        });
    }
    let members = |day: i64, g: fn(Method) -> bool, st: &State<'_>| -> Vec<(usize, Cents)> {
        days.get(&day)
            .into_iter()
            .flatten()
            .copied()
            .filter(|&m| g(st.moves[m].method))
            .map(|m| (m, st.moves[m].expected))
            .collect()
    };
    // Day totals per method from the frame; a group's members are listed only when its total
    // fits.
    let totals = frames::day_totals(&charges).map_err(frame_err)?;
    for (&day, t) in &totals {
        let per_group = [
            (t.card.0 + t.ach.0, t.card.1 + t.ach.1),
            t.card,
            t.ach,
            t.crypto,
        ];
        for (g, (sum, n)) in groups.iter().zip(per_group) {
            // A one-item day total is fine here: the line says it is a settlement.
            if n == 0 || (sum - amount).abs() > st.tol.batch_abs_cents {
                continue;
            }
            push_hit(members(day, *g, st), &mut hits);
        }
    }
    // A2: a processor payout settles card and ACH charges with different lags (card T+2, ACH
    // T+4) and nets the refunds made on its own day: one card day + one ACH day (either may be
    // absent) − that day's card/ACH refunds (the gross goes back to the payer).
    let refund_parts: Vec<(usize, Cents)> = refunds
        .range(ld - Duration::days(3)..=ld)
        .flat_map(|(_, ms)| ms.iter().copied())
        .filter(|&m| !st.done[m] && here(m) && business_days(st.moves[m].date, ld) == 0)
        .map(|m| (m, st.moves[m].alt.unwrap_or(st.moves[m].expected)))
        .collect();
    let refund_total: Cents = refund_parts.iter().map(|p| p.1).sum();
    let card_days: Vec<Option<(i64, Cents)>> = std::iter::once(None)
        .chain(
            totals
                .iter()
                .filter(|(_, t)| t.card.1 > 0)
                .map(|(d, t)| Some((*d, t.card.0))),
        )
        .collect();
    let ach_days: Vec<Option<(i64, Cents)>> = std::iter::once(None)
        .chain(
            totals
                .iter()
                .filter(|(_, t)| t.ach.1 > 0)
                .map(|(d, t)| Some((*d, t.ach.0))),
        )
        .collect();
    let refund_options: &[bool] = if refund_parts.is_empty() {
        &[false]
    } else {
        &[false, true]
    };
    for cd in &card_days {
        for ad in &ach_days {
            if cd.is_none() && ad.is_none() {
                continue;
            }
            for &with_refunds in refund_options {
                let sum = cd.map_or(0, |x| x.1)
                    + ad.map_or(0, |x| x.1)
                    + if with_refunds { refund_total } else { 0 };
                // With the day's refunds, one item may belong elsewhere (a refund with its own
                // debit line not found yet, a charge settled in another payout): the difference
                // must then be exactly one item's cents, and only one item's.
                let mut left_out: Option<usize> = None;
                if (sum - amount).abs() > st.tol.batch_abs_cents {
                    if !with_refunds || st.tol.batch_abs_cents != 0 {
                        continue;
                    }
                    let d = sum - amount;
                    let mut hit = refund_parts
                        .iter()
                        .map(|p| p.0)
                        .chain(
                            cd.iter()
                                .flat_map(|(d, _)| members(*d, groups[1], st))
                                .map(|p| p.0),
                        )
                        .chain(
                            ad.iter()
                                .flat_map(|(d, _)| members(*d, groups[2], st))
                                .map(|p| p.0),
                        )
                        .filter(|&m| {
                            let mv = &st.moves[m];
                            let c = if mv.kind == MoveKind::Refund {
                                mv.alt.unwrap_or(mv.expected)
                            } else {
                                mv.expected
                            };
                            c == d
                        });
                    match (hit.next(), hit.next()) {
                        (Some(m), None) => left_out = Some(m),
                        _ => continue,
                    }
                }
                let mut set: Vec<(usize, Cents)> = Vec::new();
                if let Some((d, _)) = cd {
                    set.extend(members(*d, groups[1], st));
                }
                if let Some((d, _)) = ad {
                    set.extend(members(*d, groups[2], st));
                }
                if with_refunds {
                    set.extend(refund_parts.iter().copied());
                }
                set.retain(|p| Some(p.0) != left_out);
                push_hit(set, &mut hits);
            }
        }
    }
    tracing::debug!(
        line = %st.lines[l].label(),
        amount,
        candidates = cands.len(),
        refunds = refund_parts.len(),
        refund_total,
        hits = hits.len(),
        days = ?totals.iter().map(|(d, t)| (*d, t.card, t.ach)).collect::<Vec<_>>(),
        "engine: batch line"
    );
    if hits.len() == 1 {
        let set = hits.remove(0);
        learn_lags(st, l, &set, lags);
        accept_parts(st, l, &set, "batch_day_total", 0.95, true);
        return Ok(true);
    }
    // B: bounded subset-sum per group (Stripe methods together; crypto alone).
    let mut outcome: Option<(ExceptionCode, String)> = None;
    for g in [groups[0], groups[3]] {
        let set: Vec<usize> = cands
            .iter()
            .copied()
            .filter(|&m| g(st.moves[m].method))
            .collect();
        if set.len() < 2 {
            continue;
        }
        if set.len() > st.tol.subset_sum_max_candidates {
            outcome = Some((
                ExceptionCode::UnmatchedCredit,
                format!(
                    "Looks like a batch settlement but {} candidate investments are in its window (limit {}); supply the processor payout report.",
                    set.len(),
                    st.tol.subset_sum_max_candidates
                ),
            ));
            continue;
        }
        let amounts: Vec<Cents> = set.iter().map(|&m| st.moves[m].expected).collect();
        match subset::find_unique(
            &amounts,
            amount,
            st.tol.batch_abs_cents,
            2,
            st.tol.subset_sum_budget,
        ) {
            Subset::Unique(ix) => {
                let parts: Vec<(usize, Cents)> = ix
                    .iter()
                    .map(|&i| (set[i], st.moves[set[i]].expected))
                    .collect();
                learn_lags(st, l, &parts, lags);
                accept_parts(st, l, &parts, "batch_subset_sum", 0.8, true);
                return Ok(true);
            }
            Subset::Multiple => {
                outcome = Some((ExceptionCode::AmbiguousMatch, "Batch settlement: several combinations of investments add up to this amount; supply the processor payout report or assign by hand.".into()));
            }
            Subset::GaveUp => {
                outcome = Some((ExceptionCode::UnmatchedCredit, "Batch settlement: the subset search ran out of its work budget without a proven answer; supply the processor payout report.".into()));
            }
            Subset::NotFound => {}
        }
    }
    // C: a batch that states its item count (`ACH SETTLEMENT BATCH 186 ITEMS`) and whose
    // receipt-dated charges of one method and one day are most of it (fewer items, less money):
    // those charges are its core. The rest are credits whose settlement day their date cannot
    // give (a failed ACH dated by `processed_at` is still swept before it is returned): a
    // bounded subset-sum over them with exactly the missing count, else the rest of the line is
    // an exception. Accepted only when exactly one (method, day) core fits.
    if let Some(n_items) = stated_items(&st.lines[l].upper) {
        let mut cores: Vec<(Method, i64, Vec<usize>, Cents)> = Vec::new();
        for (&day, ms) in &days {
            for method in [Method::Ach, Method::Card, Method::Crypto] {
                let f: Vec<usize> = ms
                    .iter()
                    .copied()
                    .filter(|&m| st.moves[m].method == method && st.moves[m].receipt_dated)
                    .collect();
                let sum: Cents = f.iter().map(|&m| st.moves[m].expected).sum();
                if !f.is_empty() && f.len() < n_items && 2 * f.len() >= n_items && sum < amount {
                    cores.push((method, day, f, sum));
                }
            }
        }
        // Where this file's settlements have shown their lag, the core must agree with it.
        let file = &st.lines[l].src.file;
        cores.retain(|(method, day, _, _)| {
            lags.get(&(file.clone(), *method))
                .is_none_or(|d| d.contains(day))
        });
        if cores.len() == 1 {
            let (method, _, core, sum) = cores.remove(0);
            let k = n_items - core.len();
            let rest = amount - sum;
            let pool: Vec<usize> = by_date
                .range(lo..=ld)
                .flat_map(|(_, ms)| ms.iter().copied())
                .filter(|&m| {
                    let mv = &st.moves[m];
                    !st.done[m] && !mv.receipt_dated && mv.method == method && here(m)
                })
                .collect();
            let mut extra: Vec<usize> = Vec::new();
            if pool.len() >= k && pool.len() <= st.tol.subset_sum_max_candidates {
                let amounts: Vec<Cents> = pool.iter().map(|&m| st.moves[m].expected).collect();
                if let Subset::Unique(ix) = subset::find_unique(
                    &amounts,
                    rest,
                    st.tol.batch_abs_cents,
                    1,
                    st.tol.subset_sum_budget,
                ) && ix.len() == k
                {
                    extra = ix.iter().map(|&i| pool[i]).collect();
                }
            }
            let mut parts: Vec<(usize, Cents)> = core
                .iter()
                .chain(&extra)
                .map(|&m| (m, st.moves[m].expected))
                .collect();
            parts.sort_unstable();
            learn_lags(st, l, &parts, lags);
            if extra.is_empty() {
                accept_parts(st, l, &parts, "batch_partial", 0.8, false);
                let lbl_date = st.moves[core[0]].date;
                st.line_exc(
                    ExceptionCode::UnmatchedCredit,
                    l,
                    rest,
                    None,
                    None,
                    format!(
                        "Settlement of {n_items} items: the {} {} charges dated {lbl_date} explain {}; the other {k} items ({}) are not identified (charges without a receipt date, e.g. failed ACH debits later returned) — get the batch detail from the bank or processor.",
                        core.len(),
                        method.label(),
                        money(sum),
                        money(rest)
                    ),
                );
            } else {
                accept_parts(st, l, &parts, "batch_subset_sum", 0.8, true);
            }
            return Ok(true);
        }
    }
    if !st.used[l] {
        st.batch_hint[l] = outcome;
    }
    Ok(false)
}

/// A processor settlement line with a negative amount: the day's charges (net of processing
/// fees, positive) and refunds (the gross returned to the card or bank account, negative) whose
/// sum is the line. Accepted only when a bounded signed subset-sum proves exactly one
/// combination; several combinations leave an AMBIGUOUS hint, an exhausted budget an
/// unmatched-debit hint.
fn batch_negative(st: &mut State<'_>, l: usize) {
    let ld = st.lines[l].date;
    let amount = st.lines[l].amount;
    let mut set: Vec<(usize, Cents)> = Vec::new();
    for (m, mv) in st.moves.iter().enumerate() {
        if st.done[m] || mv.is_shadow() || !matches!(mv.method, Method::Card | Method::Ach) {
            continue;
        }
        match mv.kind {
            MoveKind::Credit if mv.expected > 0 && st.window_ok(m, ld).is_some() => {
                set.push((m, mv.expected));
            }
            MoveKind::Refund => {
                // Stripe returns the gross and keeps its fee: `alt` is the gross for card/ACH.
                let gross = mv.alt.unwrap_or(mv.expected);
                let max = if mv.method == Method::Card {
                    st.tol.card.window_max_days
                } else {
                    st.tol.ach.window_max_days
                };
                if gross < 0 && st.window_ok(m, ld).is_some() && business_days(mv.date, ld) <= max {
                    set.push((m, gross));
                }
            }
            _ => {}
        }
    }
    if set.len() < 2 || !set.iter().any(|(_, a)| *a < 0) {
        return;
    }
    if set.len() > st.tol.subset_sum_max_candidates {
        st.batch_hint[l] = Some((
            ExceptionCode::UnmatchedDebit,
            format!(
                "Looks like a negative batch settlement but {} candidate charges and refunds are in its window (limit {}); supply the processor payout report.",
                set.len(),
                st.tol.subset_sum_max_candidates
            ),
        ));
        return;
    }
    let amounts: Vec<Cents> = set.iter().map(|(_, a)| *a).collect();
    match subset::find_unique_signed(
        &amounts,
        amount,
        st.tol.batch_abs_cents,
        2,
        st.tol.subset_sum_budget,
    ) {
        Subset::Unique(ix) => {
            let mut attributed = 0;
            for (k, &i) in ix.iter().enumerate() {
                let (m, e) = set[i];
                let bank = if k + 1 == ix.len() {
                    amount - attributed
                } else {
                    e
                };
                attributed += bank;
                st.accept(m, l, "batch_subset_sum", 0.8, e, bank);
            }
        }
        Subset::Multiple => {
            st.batch_hint[l] = Some((ExceptionCode::AmbiguousMatch, "Negative batch settlement: several combinations of charges and refunds add up to this amount; supply the processor payout report or assign by hand.".into()));
        }
        Subset::GaveUp => {
            st.batch_hint[l] = Some((ExceptionCode::UnmatchedDebit, "Negative batch settlement: the subset search ran out of its work budget without a proven answer; supply the processor payout report.".into()));
        }
        Subset::NotFound => {}
    }
}

// ---------------------------------------------------------------------------------------------
// Passes 4 and 6: amount + directional date window + fuzzy name.

fn pass_fuzzy(st: &mut State<'_>, credits: bool) {
    // Blocked by name keys (see `name_key`), then ordered by amount: a movement visits
    // only lines that can pass the name test with it (or carry no name at all) inside both its
    // date window and its amount tolerance.
    let used = &st.used;
    let mut idx: Vec<(u64, Cents, NaiveDate, usize)> = st
        .lines
        .par_iter()
        .enumerate()
        .filter(|(l, line)| {
            !used[*l]
                && st.book_hit[*l].is_none()
                && if credits {
                    line.amount > 0
                } else {
                    line.amount < 0
                }
        })
        .flat_map_iter(|(l, line)| {
            line_name_keys(line)
                .into_iter()
                .map(move |k| (k, line.amount, line.date, l))
        })
        .collect();
    idx.par_sort_unstable();
    // Where each key's block starts and ends.
    let mut dir: HashMap<u64, (usize, usize)> = HashMap::default();
    let mut p = 0;
    while p < idx.len() {
        let k = idx[p].0;
        let end = p + idx[p..].partition_point(|x| x.0 == k);
        dir.insert(k, (p, end));
        p = end;
    }
    let movs: Vec<usize> = (0..st.moves.len())
        .filter(|&m| {
            let mv = &st.moves[m];
            !st.done[m]
                && if credits {
                    mv.kind == MoveKind::Credit
                        && !matches!(mv.method, Method::Card | Method::Crypto)
                } else {
                    mv.kind != MoveKind::Credit
                }
        })
        .collect();
    let stref: &State<'_> = st;
    let mut cands: Vec<Cand> = movs
        .par_iter()
        .flat_map_iter(|&m| {
            candidates(stref, &idx, &dir, m)
                .into_iter()
                .map(move |(score, ident, tie, l, weak)| Cand {
                    score,
                    ident,
                    tie,
                    m,
                    l,
                    weak,
                })
        })
        .collect();
    cands.par_sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(b.tie.total_cmp(&a.tie))
            .then(a.l.cmp(&b.l))
            .then(a.m.cmp(&b.m))
    });
    let mut by_line: Vec<Vec<(usize, f64, f64)>> = vec![Vec::new(); st.lines.len()];
    let mut by_move: Vec<Vec<(usize, f64)>> = vec![Vec::new(); st.moves.len()];
    for c in &cands {
        by_line[c.l].push((c.m, c.ident, c.tie));
        by_move[c.m].push((c.l, c.score));
    }
    // A candidate that another investor's better tie-breaker evidence beats on its line is
    // deferred: the better candidate decides the line first; what is left gets a second look at
    // the end.
    let mut deferred: Vec<Cand> = Vec::new();
    fuzzy_assign(st, &cands, &by_line, &by_move, Some(&mut deferred));
    fuzzy_assign(st, &deferred, &by_line, &by_move, None);
}

/// One candidate pair of the amount + date + name passes.
#[derive(Debug, Clone, Copy)]
struct Cand {
    /// Score (identity + date).
    score: f64,
    /// Identity evidence: name (two best tokens) + amount.
    ident: f64,
    /// Tie-breaker evidence (see [`tie_evidence`]).
    tie: f64,
    m: usize,
    l: usize,
    weak: bool,
}

/// Greedy assignment over `cands` (best first). With `defer`, candidates beaten on their line
/// by another investor's better tie-breaker evidence are set aside there instead of being
/// decided.
fn fuzzy_assign(
    st: &mut State<'_>,
    cands: &[Cand],
    by_line: &[Vec<(usize, f64, f64)>],
    by_move: &[Vec<(usize, f64)>],
    mut defer: Option<&mut Vec<Cand>>,
) {
    let eps = st.tol.ambiguity_epsilon;
    for c in cands {
        let Cand {
            score: s,
            ident,
            tie,
            m,
            l,
            weak,
        } = *c;
        if st.done[m] || st.used[l] {
            continue;
        }
        let inv = st.moves[m].investment_id;
        let who = st.moves[m].investor_id;
        let other = |m2: usize| {
            let o = &st.moves[m2];
            m2 != m
                && !st.done[m2]
                && o.investment_id != inv
                && (who.is_none() || o.investor_id != who)
        };
        // Another investor with identity evidence as good and better tie-breaker evidence
        // (`HUU PHUOC BUI` for Hữu Phước Bùi rather than Hữu Phước Đặng; a custodian's FBO wire
        // for the IRA investment rather than the same person's own): not this one's line.
        let beaten = by_line[l]
            .iter()
            .any(|&(m2, id2, t2)| other(m2) && id2 >= ident - eps && t2 > tie + eps);
        if beaten {
            if let Some(d) = defer.as_deref_mut() {
                d.push(*c);
            }
            continue;
        }
        // Rivals: other investors whose identity evidence (name + amount, with the whole name
        // not clearly worse) is as good; a different date inside the window does not tell two
        // payers apart.
        let rivals: Vec<usize> = by_line[l]
            .iter()
            .filter(|&&(m2, id2, t2)| other(m2) && id2 >= ident - eps && t2 >= tie - eps)
            .map(|&(m2, _, _)| m2)
            .collect();
        if !rivals.is_empty() {
            let lbl = st.lines[l].label();
            let mut ids: Vec<i64> = rivals
                .iter()
                .map(|&m2| st.moves[m2].investment_id)
                .chain([inv])
                .collect();
            ids.sort_unstable();
            ids.dedup();
            for &m2 in rivals.iter().chain([&m]) {
                st.ambiguous_mov[m2] = Some(lbl.clone());
            }
            let a = st.lines[l].amount;
            let list: Vec<String> = ids.iter().map(|i| i.to_string()).collect();
            st.line_exc(
                ExceptionCode::AmbiguousMatch,
                l,
                a,
                None,
                None,
                format!("Investments {} fit this line equally well (name and amount within {:.3}); assign it by hand.", list.join(", "), eps),
            );
            continue;
        }
        // A weak family-name match stands only when nothing else competes: no other open
        // investment for this line and no other open line for this investment.
        if weak {
            let other_move = by_line[l]
                .iter()
                .any(|(m2, _, _)| *m2 != m && !st.done[*m2] && st.moves[*m2].investment_id != inv);
            let other_line = by_move[m].iter().any(|(l2, _)| *l2 != l && !st.used[*l2]);
            if other_move || other_line {
                continue;
            }
        }
        // Other lines of the same payer and the same amount: a second payment, unless another
        // investment claims them later.
        for &(l2, _) in &by_move[m] {
            if l2 != l && !st.used[l2] && st.lines[l2].amount == st.lines[l].amount {
                st.dup_hint[l2] = Some(m);
            }
        }
        let mv = &st.moves[m];
        let a = st.lines[l].amount;
        let e = match mv.alt {
            Some(alt) if (a - alt).abs() < (a - mv.expected).abs() => alt,
            _ => mv.expected,
        };
        let rule = match mv.kind {
            MoveKind::Credit => "amount_date_name",
            MoveKind::Refund => "refund_pair",
            MoveKind::AchReturn => "ach_return_pair",
        };
        st.accept(m, l, rule, s, e, a);
    }
}

/// Index keys of the amount + date + name pass (tag in bits 40+, value below).
mod name_key {
    /// Lines without any name token.
    pub(super) const NAMELESS: u64 = 0;
    /// Lines with one name prefix (or one initial), under it.
    pub(super) const LOOSE: u64 = 1 << 40;
    /// Lines with two or more prefixes (initials included), under each pair of prefixes.
    pub(super) const PAIR: u64 = 2 << 40;
    /// Every named line under a hash of each name token (family-name evidence).
    pub(super) const TOKEN: u64 = 3 << 40;
    /// Every named line under each prefix (for investors with one prefix or an initial).
    pub(super) const ALL: u64 = 4 << 40;
    /// Lines with two or more prefixes under each of their initials (for investors with two
    /// prefixes of that letter: one initial on the line counts for both in `share_prefix`).
    pub(super) const INITIAL: u64 = 5 << 40;
    /// Value bits.
    pub(super) const VALUE: u64 = (1 << 40) - 1;
}

/// 40-bit FNV-1a hash of a name token for [`name_key::TOKEN`] (hits are re-scored exactly).
fn token_key(t: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in t.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
    }
    name_key::TOKEN | (h & name_key::VALUE)
}

/// The [`name_key::PAIR`] key of two prefixes, in either order.
fn pair_key(a: u16, b: u16) -> u64 {
    let (a, b) = if a <= b { (a, b) } else { (b, a) };
    name_key::PAIR | (u64::from(a) << 16) | u64::from(b)
}

/// Whether a prefix is an initial (a one-letter token).
fn is_initial(p: u16) -> bool {
    p & 0xff == 0
}

/// The index keys of one line. A movement reaches every line that can pass [`share_prefix`] with
/// it: through two distinct line prefixes (a shared pair, either side possibly an initial on
/// the line), through one line initial standing for two of its prefixes of that letter (the
/// initial keys), a one-prefix line or a movement with an initial or one prefix (the loose or
/// all-lines keys); every line holding one of its family-name tokens ([`surname_hit`],
/// [`family_hit`]), and the nameless lines.
fn line_name_keys(line: &Line<'_>) -> Vec<u64> {
    use name_key::*;
    let p = &line.pfx;
    if p.is_empty() {
        return vec![NAMELESS];
    }
    let mut out: Vec<u64> = Vec::with_capacity(p.len() * p.len() + line.names.len() + 3);
    if p.len() == 1 {
        out.push(LOOSE | u64::from(p[0]));
    } else {
        // Every pair of prefixes, initials as they are (`R LOPEZ`: R· + LO): a movement looks
        // each of its pairs up in full and with either side reduced to its initial.
        for (i, &a) in p.iter().enumerate() {
            for &b in &p[i + 1..] {
                out.push(pair_key(a, b));
            }
        }
        out.extend(
            p.iter()
                .filter(|&&x| is_initial(x))
                .map(|&x| INITIAL | u64::from(x)),
        );
    }
    out.extend(line.names.iter().map(|t| token_key(t)));
    out.extend(p.iter().map(|&x| ALL | u64::from(x)));
    out.sort_unstable();
    out.dedup();
    out
}

/// The key ranges (inclusive) a movement visits: see [`line_name_keys`].
fn movement_key_ranges(mv: &Movement, pfx: &[u16]) -> Vec<(u64, u64)> {
    use name_key::*;
    let mut keys: Vec<(u64, u64)> = vec![(NAMELESS, NAMELESS)];
    let one = |k: u64| (k, k);
    if pfx.len() <= 1 || pfx.iter().any(|&x| is_initial(x)) {
        // Every line sharing a prefix: each prefix, its initial form, every prefix under an
        // initial.
        for &x in pfx {
            let x = u64::from(x);
            if x & 0xff == 0 {
                keys.push((ALL | x, ALL | x | 0xff));
            } else {
                keys.push(one(ALL | x));
                keys.push(one(ALL | (x & 0xff00)));
            }
        }
    } else {
        // Lines of one token: that prefix or its initial.
        for &x in pfx {
            let x = u64::from(x);
            keys.push(one(LOOSE | x));
            keys.push(one(LOOSE | (x & 0xff00)));
        }
        // Lines of two or more: a pair of this movement's prefixes, either side possibly
        // reduced to its initial on the line.
        for (i, &a) in pfx.iter().enumerate() {
            for &b in &pfx[i + 1..] {
                for x in [a, a & 0xff00] {
                    for y in [b, b & 0xff00] {
                        keys.push(one(pair_key(x, y)));
                    }
                }
            }
        }
        // Two tokens of one name with the same prefix (Hữu … Huỳnh: HU twice, once after
        // de-duplication): the line may carry one as an initial and the other in full.
        for n in mv.names.iter() {
            let mut p: Vec<u16> = n
                .iter()
                .filter_map(|t| prefix_of(t))
                .filter(|&x| !is_initial(x))
                .collect();
            p.sort_unstable();
            for w in p.windows(2) {
                if w[0] == w[1] {
                    keys.push(one(pair_key(w[0] & 0xff00, w[0])));
                    keys.push(one(INITIAL | u64::from(w[0] & 0xff00)));
                }
            }
        }
        // Two prefixes of one letter: a line's single initial of that letter counts for both.
        for (i, &a) in pfx.iter().enumerate() {
            if pfx[i + 1..].iter().any(|&b| b >> 8 == a >> 8) {
                keys.push(one(INITIAL | u64::from(a & 0xff00)));
            }
        }
        for n in mv.names.iter() {
            for t in family_tokens(n) {
                keys.push(one(token_key(t)));
            }
        }
    }
    keys.sort_unstable();
    keys.dedup();
    keys
}

/// Candidate lines of one movement with their scores and identity scores (name + amount, no
/// date), read-only; runs in parallel.
fn candidates(
    st: &State<'_>,
    idx: &[(u64, Cents, NaiveDate, usize)],
    dir: &HashMap<u64, (usize, usize)>,
    m: usize,
) -> Vec<(f64, f64, f64, usize, bool)> {
    let mv = &st.moves[m];
    let t = mv.tolerance(st.tol);
    // n business days span at most n + 2·⌈n/5⌉ + 2 calendar days; `window_ok` filters exactly.
    let cal = |n: i64| n + 2 * ((n + 4) / 5) + 2;
    let lo_date = mv.date - Duration::days(cal((-t.window_min_days).max(0)));
    let hi_date = if mv.carried.is_some() {
        NaiveDate::MAX
    } else {
        mv.date + Duration::days(cal(t.window_max_days.max(0)))
    };
    let mut out: Vec<(f64, f64, f64, usize, bool)> = Vec::new();
    let pfx = prefixes(mv.names.iter().flatten());
    let mut blocks: Vec<&[(u64, Cents, NaiveDate, usize)]> = Vec::new();
    for (lo_k, hi_k) in movement_key_ranges(mv, &pfx) {
        if lo_k == hi_k {
            // One key: its block from the directory (no search over the whole index).
            if let Some(&(a, b)) = dir.get(&lo_k) {
                blocks.push(&idx[a..b]);
            }
            continue;
        }
        let a = idx.partition_point(|x| x.0 < lo_k);
        let b = idx.partition_point(|x| x.0 <= hi_k);
        let mut p = a;
        while p < b {
            let k = idx[p].0;
            let end = p + idx[p..b].partition_point(|x| x.0 == k);
            blocks.push(&idx[p..end]);
            p = end;
        }
    }
    let mut visit: Vec<(usize, Cents, NaiveDate)> = Vec::new();
    for e in std::iter::once(mv.expected).chain(mv.alt) {
        let tc = t.tolerance_cents(e);
        let (lo_a, hi_a) = (e - tc, e + tc);
        // Ordered by amount within a key: one binary search per block, then the dates are
        // filtered; a line reached under several keys is scored once.
        visit.clear();
        for block in &blocks {
            let start = block.partition_point(|x| x.1 < lo_a);
            visit.extend(
                block[start..]
                    .iter()
                    .take_while(|x| x.1 <= hi_a)
                    .filter(|x| x.2 >= lo_date && x.2 <= hi_date)
                    .map(|x| (x.3, x.1, x.2)),
            );
        }
        visit.sort_unstable();
        visit.dedup();
        {
            {
                for &(l, a, d) in &visit {
                    let Some((_, date_s)) = st.window_ok(m, d) else {
                        continue;
                    };
                    let line = &st.lines[l];
                    let diff = (a - e).abs();
                    let amount_s = if diff == 0 {
                        1.0
                    } else {
                        1.0 - 0.5 * diff as f64 / tc.max(1) as f64
                    };
                    let mut weak = false;
                    let name_s = if line.names.is_empty() {
                        if diff != 0 {
                            continue;
                        }
                        0.0
                    } else {
                        let name_s = if share_prefix(&pfx, &line.pfx) {
                            mv.names
                                .iter()
                                .map(|n| name_similarity(n, &line.names))
                                .fold(0.0, f64::max)
                        } else {
                            0.0
                        };
                        if name_s >= st.tol.name_threshold {
                            name_s
                        } else if diff == 0 && surname_hit(&mv.names, &line.names) {
                            // Spouse, family company or trust: same surname, exact amount.
                            SURNAME_ONLY
                        } else if let Some(short) = family_hit(&mv.names, &line.names) {
                            // Weaker: a short surname (DO, LE) needs the exact amount; a
                            // longer one may be short by an intermediary fee. Accepted only
                            // when nothing else competes (see `pass_fuzzy`).
                            if short && diff != 0 {
                                continue;
                            }
                            weak = true;
                            SURNAME_WEAK
                        } else {
                            continue;
                        }
                    };
                    // More money than expected is not an intermediary fee: a credit over its
                    // investment's amount needs a near-certain name (not `R LOPEZ` for any
                    // R. López) to be called a match with a difference.
                    if mv.kind == MoveKind::Credit && a > e && name_s < OVERPAID_NAME_MIN {
                        continue;
                    }
                    let tie = tie_evidence(mv, line);
                    let ident = 0.45 * name_s + 0.35 * amount_s;
                    let score = ident + 0.2 * date_s;
                    let score = if mv.is_shadow() { score * 0.97 } else { score };
                    out.push((score, ident, tie, l, weak));
                }
            }
        }
    }
    out.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.3.cmp(&b.3)));
    let mut seen = HashSet::default();
    out.retain(|x| seen.insert(x.3));
    out
}

/// Evidence that tells apart candidates whose identity evidence (name + amount) ties, as one
/// number whose parts never add up to the one above them:
/// * 1 — the line carries the investor's family name ([`surname_present`]);
/// * 0.5 — the line's channel fits the payment method: a custodian's wire (`FBO … IRA`) for an
///   IRA investment and only for it (IRA money comes only from the custodian); not an ACH line
///   for a wire investment, nor a wire for an ACH one ([`line_rail`]);
/// * 0.25 — the platform records the money as taken (not a shadow movement: a failed or
///   cancelled investment is the less likely owner of a payment another one expects).
///
/// A candidate with less is neither the line's owner nor a rival of one with more (see
/// [`fuzzy_assign`]).
fn tie_evidence(mv: &Movement, line: &Line<'_>) -> f64 {
    let channel = match mv.method {
        Method::Ira => line.custodial,
        _ if line.custodial => false,
        Method::Wire => line.rail != Rail::Ach,
        Method::Ach => line.rail != Rail::Wire,
        _ => true,
    };
    surname_present(&mv.names, &line.names)
        + if channel { 0.5 } else { 0.0 }
        + if mv.is_shadow() { 0.0 } else { 0.25 }
}

/// Least name score for a credit that brought more than its investment's amount.
const OVERPAID_NAME_MIN: f64 = 0.95;

/// Name score given to a surname-only match (exact amount required).
const SURNAME_ONLY: f64 = 0.6;

/// Name score of a weak family-name match (see [`family_hit`]).
const SURNAME_WEAK: f64 = 0.5;

/// A weaker family-name match than [`surname_hit`]: one of the investor's [`family_tokens`], of
/// any length, equals a line token.
/// Returns whether the matching family name is short (under three letters); `None` when none
/// matches.
fn family_hit(names: &[Vec<String>], line: &[String]) -> Option<bool> {
    let mut best: Option<bool> = None;
    for n in names {
        for s in family_tokens(n) {
            if line.iter().any(|t| t == s) {
                let short = s.len() < 3;
                best = Some(best.map_or(short, |b| b && short));
            }
        }
    }
    best
}

/// 1.0 when the line carries the investor's family name (one of its [`family_tokens`]) as a token
/// scoring at least [`COVERAGE_TOKEN_MIN`], else 0.0. A
/// tie-breaker only: `HUU PHUOC BUI` names Hữu Phước Bùi, not Hữu Phước Đặng, although their two
/// best tokens tie; `J NOWAK` fits Jan and Jakub Nowak alike.
fn surname_present(names: &[Vec<String>], line: &[String]) -> f64 {
    let present = names.iter().any(|n| {
        family_tokens(n)
            .filter(|s| s.len() >= 2)
            .any(|s| token_best(s, line) >= COVERAGE_TOKEN_MIN)
    });
    if present { 1.0 } else { 0.0 }
}

/// Whether the investor's surname (the first of its [`family_tokens`]: the last token that is
/// not a company word; three letters or more) is a token of the line.
fn surname_hit(names: &[Vec<String>], line: &[String]) -> bool {
    names
        .iter()
        .flat_map(|n| family_tokens(n).take(1))
        .any(|s| s.len() >= 3 && line.iter().any(|t| t == s))
}

// ---------------------------------------------------------------------------------------------
// Pass 5: one investment paid by two or three lines.

fn pass_split(st: &mut State<'_>) {
    let mut name_index: HashMap<&str, Vec<usize>> = HashMap::default();
    for (l, line) in st.lines.iter().enumerate() {
        if !st.used[l] && st.book_hit[l].is_none() && line.amount > 0 {
            for t in &line.names {
                if t.len() >= 3 {
                    name_index.entry(t.as_str()).or_default().push(l);
                }
            }
        }
    }
    // Plans in parallel (read-only), accepted in movement order.
    let stref: &State<'_> = st;
    let plans: Vec<(usize, Vec<usize>)> = (0..st.moves.len())
        .into_par_iter()
        .filter_map(|m| split_plan(stref, &name_index, m))
        .collect();
    for (m, ls) in plans {
        if st.done[m] || ls.iter().any(|&l| st.used[l]) {
            continue;
        }
        let mut rest = st.moves[m].expected;
        for (i, &l) in ls.iter().enumerate() {
            let a = st.lines[l].amount;
            let e = if i + 1 == ls.len() { rest } else { a };
            rest -= e;
            st.accept(m, l, "split_payment", 0.85, e, a);
        }
    }
}

/// The lines (two or three, by a unique subset-sum) that together pay movement `m`, if any.
fn split_plan(
    st: &State<'_>,
    name_index: &HashMap<&str, Vec<usize>>,
    m: usize,
) -> Option<(usize, Vec<usize>)> {
    let mv = &st.moves[m];
    if st.done[m]
        || mv.kind != MoveKind::Credit
        || mv.is_shadow()
        || !matches!(mv.method, Method::Wire | Method::Ira | Method::Unknown)
    {
        return None;
    }
    let mut ls: Vec<usize> = mv
        .names
        .iter()
        .flatten()
        .filter_map(|t| name_index.get(t.as_str()))
        .filter(|v| v.len() <= 200)
        .flatten()
        .copied()
        .collect();
    ls.sort_unstable();
    ls.dedup();
    let mut ls: Vec<usize> = ls
        .into_iter()
        .filter(|&l| {
            let line = &st.lines[l];
            line.amount < mv.expected
                && st.window_ok(m, line.date).is_some()
                && mv
                    .names
                    .iter()
                    .map(|n| name_similarity(n, &line.names))
                    .fold(0.0, f64::max)
                    >= st.tol.name_threshold
        })
        .collect();
    ls.sort_by_key(|&l| (st.lines[l].date, l));
    ls.truncate(20);
    if ls.len() < 2 {
        return None;
    }
    let amounts: Vec<Cents> = ls.iter().map(|&l| st.lines[l].amount).collect();
    let tolc = mv.tolerance(st.tol).tolerance_cents(mv.expected);
    match subset::find_unique(&amounts, mv.expected, tolc, 2, 10_000) {
        Subset::Unique(ix) if ix.len() <= 3 => Some((m, ix.iter().map(|&i| ls[i]).collect())),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// End of run: what is left.

/// The keys (normalised reference ids and payment intent ids, of the book's investments and of
/// the movements, which include carried items) that are not [`key_shaped`]: spelt like words.
fn word_like_keys(book: &tieout_domain::Book, moves: &[Movement]) -> HashSet<String> {
    let word_like = |k: &String| k.len() >= super::text::MIN_KEY_LEN && !key_shaped(k);
    let from_book = book.investments.par_iter().flat_map_iter(|inv| {
        [
            inv.reference_id.as_deref(),
            inv.payment_intent_id.as_deref(),
        ]
        .into_iter()
        .flatten()
        .filter(|raw| !raw_key_shaped(raw))
        .map(norm_key)
        .filter(word_like)
    });
    let from_moves = moves
        .par_iter()
        .flat_map_iter(|m| m.keys.iter().filter(|k| word_like(k)).cloned());
    from_book.chain(from_moves).collect()
}

/// For every line still open after the exact passes, the book investment whose reference id or
/// payment intent id it carries (the lowest index when several): one parallel scan of the book
/// against the open lines' keys.
fn book_key_hits(st: &State<'_>, input: &ReconInput<'_>) -> Vec<Option<usize>> {
    let open_keys: HashSet<&str> = st
        .lines
        .iter()
        .enumerate()
        .filter(|(l, _)| !st.used[*l])
        .flat_map(|(_, line)| line.keys.iter().map(String::as_str))
        .collect();
    // Each key is normalised into one buffer per task: no allocation per investment.
    let hits: Vec<(&str, usize)> = input
        .book
        .investments
        .par_iter()
        .enumerate()
        .fold(
            || (Vec::new(), String::new()),
            |(mut hits, mut buf), (i, inv)| {
                for raw in [
                    inv.reference_id.as_deref(),
                    inv.payment_intent_id.as_deref(),
                ]
                .into_iter()
                .flatten()
                {
                    norm_key_into(raw, &mut buf);
                    if buf.len() >= super::text::MIN_KEY_LEN
                        && let Some(&k) = open_keys.get(buf.as_str())
                    {
                        hits.push((k, i));
                    }
                }
                (hits, buf)
            },
        )
        .map(|(hits, _)| hits)
        .reduce(Vec::new, |mut a, b| {
            a.extend(b);
            a
        });
    let mut book_keys: HashMap<&str, usize> = HashMap::default();
    for (k, i) in hits {
        let e = book_keys.entry(k).or_insert(i);
        *e = (*e).min(i);
    }
    st.lines
        .iter()
        .enumerate()
        .map(|(l, line)| {
            if st.used[l] {
                return None;
            }
            line.keys
                .iter()
                .filter_map(|k| book_keys.get(k.as_str()))
                .copied()
                .min()
        })
        .collect()
}

fn classify_lines(st: &mut State<'_>, input: &ReconInput<'_>) {
    // Bank fees.
    for l in 0..st.lines.len() {
        let line = &st.lines[l];
        if st.used[l] {
            continue;
        }
        if line.amount == 0 {
            st.ignore_line(l, 0, "zero-amount line".into());
        } else if line.amount < 0
            && -line.amount <= st.tol.bank_fee_max_cents
            && line.has_word(FEE_WORDS)
            && st.book_hit[l].is_none()
        {
            st.ignore_line(l, line.amount, "bank fee".into());
        }
    }
    // Inter-account transfers (escrow disbursement out of one account, into another).
    let mut credits: HashMap<Cents, Vec<usize>> = HashMap::default();
    for (l, line) in st.lines.iter().enumerate() {
        if !st.used[l] && line.amount > 0 {
            credits.entry(line.amount).or_default().push(l);
        }
    }
    for l in 0..st.lines.len() {
        let line = &st.lines[l];
        if st.used[l] || line.amount >= 0 {
            continue;
        }
        let acct = (line.src.account.clone(), line.src.file.clone());
        let mut c: Vec<(i64, usize)> = credits
            .get(&-line.amount)
            .into_iter()
            .flatten()
            .filter(|&&c| {
                let other = &st.lines[c];
                !st.used[c]
                    && (other.src.account.clone(), other.src.file.clone()) != acct
                    && other
                        .src
                        .account
                        .as_ref()
                        .is_none_or(|a| Some(a) != line.src.account.as_ref())
                    && (other.date - line.date).num_days().abs() <= st.tol.transfer_days
                    && (line.has_word(TRANSFER_WORDS) || other.has_word(TRANSFER_WORDS))
            })
            .map(|&c| ((st.lines[c].date - line.date).num_days().abs(), c))
            .collect();
        c.sort_unstable();
        if let Some(&(_, c)) = c.first() {
            let (a, b) = (st.lines[l].label(), st.lines[c].label());
            let (la, ca) = (st.lines[l].amount, st.lines[c].amount);
            st.ignore_line(l, la, format!("inter-account transfer, paired with {b}"));
            st.ignore_line(c, ca, format!("inter-account transfer, paired with {a}"));
        }
    }
    for l in 0..st.lines.len() {
        if st.used[l] {
            continue;
        }
        let line = &st.lines[l];
        let a = line.amount;
        if let Some(i) = st.book_hit[l] {
            let inv = &input.book.investments[i];
            let (code, detail) = if a < 0 {
                (
                    ExceptionCode::StatusMismatch,
                    format!(
                        "Debit of {} references investment {} whose status is {}; no refund or return is recorded on the platform — update the status or recall the payment.",
                        money(a.saturating_abs()),
                        inv.id,
                        inv.status
                    ),
                )
            } else if inv.status.funds_taken()
                || inv.status == tieout_domain::InvestmentStatus::Refunded
            {
                (
                    ExceptionCode::DuplicatePayment,
                    format!(
                        "Credit of {} references investment {} ({}) whose payment is already accounted for; confirm with the investor and return the duplicate.",
                        money(a),
                        inv.id,
                        inv.status
                    ),
                )
            } else {
                (
                    ExceptionCode::StatusMismatch,
                    format!(
                        "Credit of {} references investment {} whose status is {} and is not expected this period; update the status or return the funds.",
                        money(a),
                        inv.id,
                        inv.status
                    ),
                )
            };
            st.line_exc(code, l, a, Some(inv.id), None, detail);
            continue;
        }
        if let Some(m) = st.dup_hint[l] {
            let inv = st.moves[m].investment_id;
            st.line_exc(
                ExceptionCode::DuplicatePayment,
                l,
                a,
                Some(inv),
                None,
                format!("Same payer and amount ({}) as the line matched to investment {inv}; likely paid twice — confirm and return the duplicate.", money(a)),
            );
            continue;
        }
        if let Some((code, detail)) = st.batch_hint[l].clone() {
            st.line_exc(code, l, a, None, None, detail);
            continue;
        }
        let (code, detail) = if a > 0 {
            (
                ExceptionCode::UnmatchedCredit,
                format!(
                    "Credit of {} on {} matches no investment; identify the payer and record the investment or return the funds.",
                    money(a),
                    line.date
                ),
            )
        } else {
            (
                ExceptionCode::UnmatchedDebit,
                format!(
                    "Debit of {} on {} matches no refund, return or disbursement; find its authorisation.",
                    money(a.saturating_abs()),
                    line.date
                ),
            )
        };
        st.line_exc(code, l, a, None, None, detail);
    }
}

fn classify_moves(st: &mut State<'_>, input: &ReconInput<'_>) -> Vec<OpenItem> {
    let mut open = Vec::new();
    let period = input.period;
    for m in 0..st.moves.len() {
        if st.done[m] {
            continue;
        }
        let mv = &st.moves[m];
        match &mv.req {
            Req::Optional(reason) | Req::Shadow { reason, .. } => {
                let ign = IgnoredInvestment {
                    investment_id: mv.investment_id,
                    movement: mv.kind.label().into(),
                    expected_cents: mv.expected,
                    reason: reason.to_string(),
                };
                st.ign_moves.push((Some(m), ign));
                st.done[m] = true;
            }
            Req::Required => {
                let mv = st.moves[m].clone();
                let t = mv.tolerance(st.tol);
                let in_transit = mv.kind == MoveKind::Credit
                    && business_days(mv.date, period.last) < t.window_max_days;
                let since = mv
                    .carried
                    .map(|d| format!(" (open since the period ending {d})"))
                    .unwrap_or_default();
                let (code, sev, detail) = if let Some(lbl) = st.ambiguous_mov[m].clone() {
                    (
                        ExceptionCode::AmbiguousMatch,
                        Severity::Warning,
                        format!(
                            "Investment {} ({}) has candidate money on {lbl} that fits another investment equally well; assign it by hand.",
                            mv.investment_id,
                            money(mv.expected)
                        ),
                    )
                } else if mv.kind == MoveKind::Refund {
                    (
                        ExceptionCode::StatusMismatch,
                        Severity::Warning,
                        format!(
                            "Platform says investment {} was refunded on {} but no refund debit of {} was found{since}; confirm the refund was sent.",
                            mv.investment_id,
                            mv.date,
                            money(mv.expected.saturating_abs())
                        ),
                    )
                } else if in_transit {
                    (
                        ExceptionCode::UnmatchedInvestment,
                        Severity::Info,
                        format!(
                            "Investment {} ({}, {}) dated {} may still be in transit after the period end; carried forward{since}.",
                            mv.investment_id,
                            money(mv.expected),
                            mv.method.label(),
                            mv.date
                        ),
                    )
                } else {
                    (
                        ExceptionCode::UnmatchedInvestment,
                        Severity::Warning,
                        format!(
                            "No statement line for investment {} ({}, {}) dated {}{since}; confirm the money arrived or correct the status.",
                            mv.investment_id,
                            money(mv.expected),
                            mv.method.label(),
                            mv.date
                        ),
                    )
                };
                st.inv_exc(code, sev, m, detail);
                open.push(OpenItem {
                    investment_id: mv.investment_id,
                    kind: mv.kind.label().into(),
                    method: mv.method.label().into(),
                    status: mv.status.as_wire().to_string(),
                    expected_cents: mv.expected,
                    alt_cents: mv.alt,
                    date: mv.date,
                    reference_id: mv.reference_id.clone(),
                    payment_intent_id: mv.payment_intent_id.clone(),
                    names: mv.display_names.to_vec(),
                    code: code.as_str().into(),
                    first_open_period_end: mv.carried.unwrap_or(period.last),
                });
            }
        }
    }
    open
}

fn balance_breaks(st: &mut State<'_>, input: &ReconInput<'_>) {
    // Balances per (file, account), in date order: a file may state one balance per day or per
    // statement. The chain must tie: each opening equals the previous closing, and the first
    // opening plus every line equals the last closing.
    type Group<'b> = Vec<(usize, &'b crate::model::StatedBalance)>;
    let mut groups: BTreeMap<(String, Option<String>), Group<'_>> = BTreeMap::new();
    for (i, b) in input.balances.iter().enumerate() {
        groups
            .entry((b.file.clone(), b.account.clone()))
            .or_default()
            .push((i, b));
    }
    for ((file, account), mut bs) in groups {
        bs.sort_by_key(|(i, b)| (b.as_of, *i));
        let sum: Cents = st
            .lines
            .iter()
            .filter(|l| l.src.file == file && (account.is_none() || l.src.account == account))
            .map(|l| l.amount)
            .sum();
        let rejected = input.rejects.iter().filter(|r| r.file == file).count();
        let note = if rejected > 0 {
            format!(" ({rejected} rejected rows in this file may explain it)")
        } else {
            String::new()
        };
        let mut breaks: Vec<(Cents, String)> = Vec::new();
        for w in bs.windows(2) {
            let (a, b) = (w[0].1, w[1].1);
            if a.closing_cents != b.opening_cents {
                breaks.push((
                    b.opening_cents - a.closing_cents,
                    format!("Opening {} does not continue the previous closing {}; a statement is missing or was restated.", money(b.opening_cents), money(a.closing_cents)),
                ));
            }
        }
        let (first, last) = (bs[0].1, bs[bs.len() - 1].1);
        let diff = last.closing_cents - first.opening_cents - sum;
        if diff != 0 && breaks.is_empty() {
            breaks.push((
                diff,
                format!(
                    "Opening {} plus lines {} does not equal closing {} (break {}){note}; check for missing or duplicated statement pages.",
                    money(first.opening_cents),
                    money(sum),
                    money(last.closing_cents),
                    money(diff)
                ),
            ));
        }
        for (amount, detail) in breaks {
            st.excs.push(Exc {
                row: ExceptionRow {
                    code: ExceptionCode::BalanceBreak,
                    severity: Severity::Violation,
                    investment_id: None,
                    statement_file: Some(file.clone()),
                    statement_row: None,
                    amount_cents: amount,
                    detail,
                },
                line: None,
                line_cents: 0,
                mov: None,
            });
        }
    }
}

fn conservation(st: &State<'_>) -> Result<(), ReconError> {
    let n = st.lines.len();
    let mut sum = vec![0 as Cents; n];
    let mut parts = vec![0usize; n];
    for (r, l, _) in &st.matches {
        sum[*l] += r.bank_cents;
        parts[*l] += 1;
    }
    for e in &st.excs {
        if let Some(l) = e.line {
            sum[l] += e.line_cents;
            parts[l] += 1;
        }
    }
    for (l, i) in &st.ign_lines {
        sum[*l] += i.amount_cents;
        parts[*l] += 1;
    }
    for l in 0..n {
        if parts[l] == 0 || sum[l] != st.lines[l].amount {
            return Err(ReconError::Conservation(format!(
                "{}: {} cents accounted for in {} parts, line is {} cents",
                st.lines[l].label(),
                sum[l],
                parts[l],
                st.lines[l].amount
            )));
        }
    }
    // A movement may be spread over several rows of one kind (a split payment, a shadow paid
    // by two lines), but it must be in exactly one kind of bucket.
    let mut matched = vec![false; st.moves.len()];
    let mut excepted = vec![false; st.moves.len()];
    let mut ignored = vec![0usize; st.moves.len()];
    for (_, _, m) in &st.matches {
        matched[*m] = true;
    }
    for e in &st.excs {
        if let Some(m) = e.mov {
            excepted[m] = true;
        }
    }
    for (m, _) in &st.ign_moves {
        if let Some(m) = m {
            ignored[*m] += 1;
        }
    }
    for m in 0..st.moves.len() {
        let total = ignored[m] + usize::from(matched[m]) + usize::from(excepted[m]);
        if total != 1 {
            return Err(ReconError::Conservation(format!(
                "investment {} {} is in {total} buckets",
                st.moves[m].investment_id,
                st.moves[m].kind.label()
            )));
        }
    }
    Ok(())
}

/// Hands the run's working data (the tokenised lines, the movements and their frames: millions
/// of small allocations) to a thread that frees it while the caller writes its outputs. Freeing
/// it here took a second and a half of one core at a million investments; the result does not
/// depend on it. When no thread can be started it is freed here.
/// What a tokenised line owns: its keys, name tokens, name prefixes and upper-cased text.
type LineOwned = (Vec<String>, Vec<String>, Vec<u16>, String);

/// What a run owns once it is over (see [`super::Scratch`]). The lines borrow the statement;
/// what they own is moved out (no copy of the strings) so that it can cross to another thread.
pub(crate) struct Scratch {
    lines: Vec<LineOwned>,
    moves: Vec<Movement>,
    frame: polars::prelude::DataFrame,
}

impl Scratch {
    fn new(lines: Vec<Line<'_>>, moves: Vec<Movement>, frame: polars::prelude::DataFrame) -> Self {
        let lines = lines
            .into_iter()
            .map(|l| (l.keys, l.names, l.pfx, l.upper))
            .collect();
        Self {
            lines,
            moves,
            frame,
        }
    }

    /// Frees it all on a thread of its own (right here for a small run, where a thread costs
    /// more than the frees).
    pub(crate) fn free_in_background(self) {
        if self.lines.len() + self.moves.len() < 10_000 {
            return;
        }
        let work = (self.lines, self.moves, self.frame);
        // On a spawn error the closure, and with it the data, is dropped right here.
        let _ = std::thread::Builder::new()
            .name("tieout-free".into())
            .spawn(move || drop(work));
    }
}

fn finish(
    st: State<'_>,
    input: &ReconInput<'_>,
    mut open: Vec<OpenItem>,
) -> Result<(ReconOutcome, Scratch), ReconError> {
    let mut s = ReconSummary {
        lines: st.lines.len(),
        rows_rejected: input.rejects.len(),
        movements: st.moves.len(),
        ..Default::default()
    };
    let mut line_exc = vec![false; st.lines.len()];
    let mut line_match = vec![false; st.lines.len()];
    for (r, l, _) in &st.matches {
        s.matched_line_cents += r.bank_cents;
        line_match[*l] = true;
    }
    for e in &st.excs {
        if let Some(l) = e.line {
            s.exception_line_cents += e.line_cents;
            line_exc[l] = true;
        }
    }
    let codes: Vec<&str> = st.excs.iter().map(|e| e.row.code.as_str()).collect();
    s.exceptions_by_code = frames::exception_counts(&codes).map_err(frame_err)?;
    for (_, i) in &st.ign_lines {
        s.ignored_line_cents += i.amount_cents;
    }
    for (l, line) in st.lines.iter().enumerate() {
        s.lines_cents += line.amount;
        if line_exc[l] {
            s.lines_exception += 1;
        } else if line_match[l] {
            s.lines_matched += 1;
        } else {
            s.lines_ignored += 1;
        }
    }
    let mut mov_state = vec![0u8; st.moves.len()]; // 1 matched, 2 exception, 3 ignored
    for (_, _, m) in &st.matches {
        mov_state[*m] = 1;
    }
    for e in &st.excs {
        if let Some(m) = e.mov {
            mov_state[m] = 2;
        }
    }
    for (m, _) in &st.ign_moves {
        if let Some(m) = m {
            mov_state[*m] = 3;
        }
    }
    let states: Vec<MoveState> = mov_state
        .iter()
        .map(|&x| match x {
            1 => MoveState::Matched,
            2 => MoveState::Exception,
            _ => MoveState::Ignored,
        })
        .collect();
    for x in &states {
        match x {
            MoveState::Matched => s.movements_matched += 1,
            MoveState::Exception => s.movements_exception += 1,
            MoveState::Ignored => s.movements_ignored += 1,
        }
    }
    s.per_method = frames::method_summary(&st.move_frame, &states).map_err(frame_err)?;
    let (denom_n, denom_c, num_c) = s.per_method.values().fold((0usize, 0, 0), |a, e| {
        (
            a.0 + e.movements,
            a.1 + e.expected_cents,
            a.2 + e.matched_expected_cents,
        )
    });
    s.movements_ignored += st.ign_moves.iter().filter(|(m, _)| m.is_none()).count();
    s.matched_ratio_count = if denom_n == 0 {
        1.0
    } else {
        s.movements_matched as f64 / denom_n as f64
    };
    s.matched_ratio_amount = if denom_c == 0 {
        1.0
    } else {
        num_c as f64 / denom_c as f64
    };
    // Matches in (file, row, investment, rule) order. The file is compared by its rank among the
    // sorted file names (the same order as comparing the names, without a string comparison
    // per pair); stable parallel sorts give the same order as a sequential stable sort.
    let mut files: Vec<&str> = st.lines.iter().map(|l| l.src.file.as_str()).collect();
    files.sort_unstable();
    files.dedup();
    let rank = |f: &str| files.binary_search(&f).unwrap_or(usize::MAX);
    // Sorted where they are (a match's file is its line's file).
    let line_rank: Vec<usize> = st.lines.par_iter().map(|l| rank(&l.src.file)).collect();
    let mut matches = st.matches;
    matches.par_sort_by(|a, b| {
        (line_rank[a.1], a.0.statement_row, a.0.investment_id)
            .cmp(&(line_rank[b.1], b.0.statement_row, b.0.investment_id))
            .then_with(|| a.0.rule.cmp(&b.0.rule))
    });
    let matches: Vec<MatchRow> = matches.into_iter().map(|(r, _, _)| r).collect();
    let mut exceptions: Vec<ExceptionRow> = st.excs.into_iter().map(|e| e.row).collect();
    exceptions.par_sort_by(ExceptionRow::output_order);
    let mut ignored_lines: Vec<IgnoredLine> = st.ign_lines.into_iter().map(|(_, i)| i).collect();
    ignored_lines.sort_by(|a, b| {
        (&a.statement_file, a.statement_row, &a.reason).cmp(&(
            &b.statement_file,
            b.statement_row,
            &b.reason,
        ))
    });
    let mut ignored_investments: Vec<IgnoredInvestment> =
        st.ign_moves.into_iter().map(|(_, i)| i).collect();
    ignored_investments
        .par_sort_by(|a, b| (a.investment_id, &a.movement).cmp(&(b.investment_id, &b.movement)));
    open.sort_by(|a, b| (a.investment_id, &a.kind).cmp(&(b.investment_id, &b.kind)));
    let scratch = Scratch::new(st.lines, st.moves, st.move_frame);
    let outcome = ReconOutcome {
        matches,
        exceptions,
        ignored_lines,
        ignored_investments,
        open_items: OpenItems {
            format: 1,
            period_end: Some(input.period.last),
            items: open,
        },
        summary: s,
    };
    Ok((outcome, scratch))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(ns: &[&str]) -> Vec<Vec<String>> {
        ns.iter().map(|n| name_tokens(n)).collect()
    }

    #[test]
    fn surname_present_tells_apart_a_shared_given_name_only() {
        let line = name_tokens("HUU PHUOC BUI");
        assert_eq!(surname_present(&names(&["Hữu Phước Bùi"]), &line), 1.0);
        assert_eq!(surname_present(&names(&["Hữu Phước Đặng"]), &line), 0.0);
        // An initial and a shared family name: no tie-break.
        let line = name_tokens("J NOWAK");
        assert_eq!(
            surname_present(&names(&["Jan Maria Nowak"]), &line),
            surname_present(&names(&["Jakub Nowak"]), &line)
        );
        // A Vietnamese family name written first.
        let line = name_tokens("DO VAN MINH");
        assert_eq!(surname_present(&names(&["Đỗ Văn Minh"]), &line), 1.0);
    }

    #[test]
    fn stated_item_counts() {
        assert_eq!(
            stated_items("ACH SETTLEMENT BATCH 186 ITEMS CO ID:9110394857"),
            Some(186)
        );
        assert_eq!(stated_items("USDC SETTLEMENT X 1 ITEM"), Some(1));
        assert_eq!(stated_items("STRIPE TRANSFER"), None);
        assert_eq!(stated_items("0 ITEMS"), None);
    }
}
