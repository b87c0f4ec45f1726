//! The candidate index of the amount + date + name passes: lines keyed by pairs of name
//! prefixes, family-name tokens and one-prefix/initial lines (every line that can pass the name
//! test), ordered by amount, so one binary search per key finds a movement's candidates.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use chrono::{Duration, NaiveDate};
use tieout_domain::Cents;

use crate::engine::expected::{MoveKind, Movement};
use crate::engine::line::*;
use crate::engine::passes::names::*;
use crate::engine::state::*;
use crate::engine::text::{NameShape, family_tokens};

/// Index keys of the amount + date + name pass (tag in bits 40+, value below).
pub(crate) mod name_key {
    /// Lines without any name token.
    pub(crate) const NAMELESS: u64 = 0;
    /// Lines with one name prefix (or one initial), under it.
    pub(crate) const LOOSE: u64 = 1 << 40;
    /// Lines with two or more prefixes (initials included), under each pair of prefixes.
    pub(crate) const PAIR: u64 = 2 << 40;
    /// Every named line under a hash of each name token (family-name evidence).
    pub(crate) const TOKEN: u64 = 3 << 40;
    /// Every named line under each prefix (for investors with one prefix or an initial).
    pub(crate) const ALL: u64 = 4 << 40;
    /// Lines with two or more prefixes under each of their initials (for investors with two
    /// prefixes of that letter: one initial on the line counts for both in `share_prefix`).
    pub(crate) const INITIAL: u64 = 5 << 40;
    /// Value bits.
    pub(crate) const VALUE: u64 = (1 << 40) - 1;
}

/// 40-bit FNV-1a hash of a name token for [`name_key::TOKEN`] (hits are re-scored exactly).
pub(crate) fn token_key(t: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in t.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
    }
    name_key::TOKEN | (h & name_key::VALUE)
}

/// The [`name_key::PAIR`] key of two prefixes, in either order.
pub(crate) fn pair_key(a: u16, b: u16) -> u64 {
    let (a, b) = if a <= b { (a, b) } else { (b, a) };
    name_key::PAIR | (u64::from(a) << 16) | u64::from(b)
}

/// Whether a prefix is an initial (a one-letter token).
pub(crate) fn is_initial(p: u16) -> bool {
    p & 0xff == 0
}

/// The index keys of one line. A movement reaches every line that can pass [`share_prefix`] with
/// it: through two distinct line prefixes (a shared pair, either side possibly an initial on
/// the line), through one line initial standing for two of its prefixes of that letter (the
/// initial keys), a one-prefix line or a movement with an initial or one prefix (the loose or
/// all-lines keys); every line holding one of its family-name tokens ([`surname_hit`],
/// [`family_hit`]), and the nameless lines.
pub(crate) fn line_name_keys(line: &Line<'_>) -> Vec<u64> {
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
pub(crate) fn movement_key_ranges(movement: &Movement, pfx: &[u16]) -> Vec<(u64, u64)> {
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
        for n in movement.names.iter() {
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
        for n in movement.names.iter() {
            for t in family_tokens(n) {
                keys.push(one(token_key(t)));
            }
        }
    }
    keys.sort_unstable();
    keys.dedup();
    keys
}

/// The lines of one pass under their name keys (see [`line_name_keys`]), ordered by key, amount,
/// date and line, one column per field: the amount column a movement binary-searches in each of
/// its blocks is dense (a month of unmatched lines searches hundreds of thousands of blocks),
/// and the directory finds a key's block without a search.
pub(crate) struct NameIndex {
    key: Vec<u64>,
    amount: Vec<Cents>,
    date: Vec<NaiveDate>,
    line: Vec<usize>,
    /// Where each key's block starts and ends.
    dir: HashMap<u64, (usize, usize)>,
}

impl NameIndex {
    /// The index of `entries` (key, amount, date, line), sorted.
    pub(crate) fn new(entries: Vec<(u64, Cents, NaiveDate, usize)>) -> Self {
        let n = entries.len();
        let mut ix = Self {
            key: Vec::with_capacity(n),
            amount: Vec::with_capacity(n),
            date: Vec::with_capacity(n),
            line: Vec::with_capacity(n),
            dir: HashMap::default(),
        };
        for (k, a, d, l) in entries {
            ix.key.push(k);
            ix.amount.push(a);
            ix.date.push(d);
            ix.line.push(l);
        }
        let mut p = 0;
        while p < n {
            let k = ix.key[p];
            let end = p + ix.key[p..].partition_point(|&x| x == k);
            ix.dir.insert(k, (p, end));
            p = end;
        }
        ix
    }
}

/// One movement's candidate lines with their scores and identity scores (name + amount, no
/// date), and the index entries visited to find them.
pub(crate) struct Candidates {
    /// (score, identity, tie-breaker, line, weak), best first.
    pub(crate) lines: Vec<(f64, f64, f64, usize, bool)>,
    /// Index entries visited (or, when refused, the entries the search would have visited).
    pub(crate) steps: u64,
    /// The search needed more than `share` steps and was not run.
    pub(crate) refused: bool,
    /// Candidate pairs scored (inside the date window; reported at debug level).
    pub(crate) scored: u64,
}

/// Candidate lines of one movement, read-only; runs in parallel. A movement whose blocks hold
/// more lines in its amount ranges than `share` is not searched (see
/// [`crate::engine::passes::budget`]).
pub(crate) fn candidates(state: &State<'_>, index: &NameIndex, m: usize, share: u64) -> Candidates {
    let movement = &state.moves[m];
    let t = movement.tolerance(state.tol);
    // n business days span at most n + 2·⌈n/5⌉ + 2 calendar days; `window_ok` filters exactly.
    let cal = |n: i64| n + 2 * ((n + 4) / 5) + 2;
    let lo_date = movement.date - Duration::days(cal((-t.window_min_days).max(0)));
    let hi_date = if movement.carried.is_some() {
        NaiveDate::MAX
    } else {
        movement.date + Duration::days(cal(t.window_max_days.max(0)))
    };
    let mut out: Vec<(f64, f64, f64, usize, bool)> = Vec::new();
    let pfx = prefixes(movement.names.iter().flatten());
    // Blocks as ranges of the index.
    let mut blocks: Vec<(usize, usize)> = Vec::new();
    for (lo_k, hi_k) in movement_key_ranges(movement, &pfx) {
        if lo_k == hi_k {
            // One key: its block from the directory (no search over the whole index).
            if let Some(&r) = index.dir.get(&lo_k) {
                blocks.push(r);
            }
            continue;
        }
        let keys = &index.key;
        let a = keys.partition_point(|&x| x < lo_k);
        let b = keys.partition_point(|&x| x <= hi_k);
        let mut p = a;
        while p < b {
            let k = keys[p];
            let end = p + keys[p..b].partition_point(|&x| x == k);
            blocks.push((p, end));
            p = end;
        }
    }
    // What the search will visit: the lines of each block in each amount range, found once.
    let amounts: Vec<Cents> = std::iter::once(movement.expected)
        .chain(movement.alt)
        .collect();
    let mut spans: Vec<Vec<(usize, usize)>> = Vec::with_capacity(amounts.len());
    let mut needed = 0u64;
    for &e in &amounts {
        let tolerance_cents = t.tolerance_cents(e);
        let (lo_a, hi_a) = (e - tolerance_cents, e + tolerance_cents);
        let mut v = Vec::with_capacity(blocks.len());
        for &(a, b) in &blocks {
            let col = &index.amount[a..b];
            let s = col.partition_point(|&x| x < lo_a);
            let z = s + col[s..].partition_point(|&x| x <= hi_a);
            if z > s {
                needed += (z - s) as u64;
                v.push((a + s, a + z));
            }
        }
        spans.push(v);
    }
    if needed > share {
        return Candidates {
            lines: Vec::new(),
            steps: needed,
            refused: true,
            scored: 0,
        };
    }
    let shapes: Vec<NameShape<'_>> = movement.names.iter().map(|n| NameShape::of(n)).collect();
    let fams = families(&movement.names);
    let mut visit: Vec<(usize, Cents, NaiveDate)> = Vec::new();
    let mut scored = 0u64;
    for (&e, spans) in amounts.iter().zip(&spans) {
        let tolerance_cents = t.tolerance_cents(e);
        // Ordered by amount within a key: one binary search per block (above), then the dates
        // are filtered; a line reached under several keys is scored once.
        visit.clear();
        for &(a, z) in spans {
            visit.extend(
                (a..z)
                    .filter(|&i| index.date[i] >= lo_date && index.date[i] <= hi_date)
                    .map(|i| (index.line[i], index.amount[i], index.date[i])),
            );
        }
        visit.sort_unstable();
        visit.dedup();
        {
            {
                for &(l, a, d) in &visit {
                    let Some((_, date_s)) = state.window_ok(m, d) else {
                        continue;
                    };
                    scored += 1;
                    let line = &state.lines[l];
                    let diff = (a - e).abs();
                    let amount_s = if diff == 0 {
                        1.0
                    } else {
                        1.0 - 0.5 * diff as f64 / tolerance_cents.max(1) as f64
                    };
                    let mut weak = false;
                    let name_s = if line.names.is_empty() {
                        if diff != 0 {
                            continue;
                        }
                        0.0
                    } else {
                        let name_s = if share_prefix(&pfx, &line.pfx) {
                            shapes
                                .iter()
                                .map(|n| n.similarity_from(&line.names, state.tol.name_threshold))
                                .fold(0.0, f64::max)
                        } else {
                            0.0
                        };
                        if name_s >= state.tol.name_threshold {
                            name_s
                        } else if diff == 0 && surname_hit(&fams, &line.names) {
                            // Spouse, family company or trust: same surname, exact amount.
                            SURNAME_ONLY
                        } else if let Some(short) = family_hit(&fams, &line.names) {
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
                    if movement.kind == MoveKind::Credit && a > e && name_s < OVERPAID_NAME_MIN {
                        continue;
                    }
                    let tie = tie_evidence(movement, &fams, line);
                    let ident = 0.45 * name_s + 0.35 * amount_s;
                    let score = ident + 0.2 * date_s;
                    let score = if movement.is_shadow() {
                        score * 0.97
                    } else {
                        score
                    };
                    out.push((score, ident, tie, l, weak));
                }
            }
        }
    }
    out.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.3.cmp(&b.3)));
    let mut seen = HashSet::default();
    out.retain(|x| seen.insert(x.3));
    Candidates {
        lines: out,
        steps: needed,
        refused: false,
        scored,
    }
}
