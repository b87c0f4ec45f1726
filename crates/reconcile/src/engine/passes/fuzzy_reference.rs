//! Pass 1b, `fuzzy_reference`: a reference with exactly one character mangled (`INV-4NG2XX` for
//! `INV-4NG2XN`), when the amount fits and only one open investment carries it (masked-key hash
//! lookups, no pairwise scan).

use rayon::prelude::*;
use tieout_domain::Cents;

use crate::engine::state::*;
use crate::engine::text::norm_key;

/// Minimum length of a reference for single-character tolerance.
pub(crate) const FUZZY_KEY_MIN: usize = 6;

/// A deterministic 64-bit hash (FNV-1a) of `k` with byte `i` masked: the key of the masked-key
/// index (no string per masked form). Hits are verified against the real keys.
pub(crate) fn masked_hash(k: &[u8], i: usize) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for (j, &b) in k.iter().enumerate() {
        let b = if j == i { b'?' } else { b };
        h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
    }
    // The length, then a bijective finaliser (splitmix64's): the top bits, which the index's
    // directory buckets by, depend on every byte.
    let mut h = h ^ (k.len() as u64);
    h = (h ^ (h >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h = (h ^ (h >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}

/// Where each bucket of the top bits of the hash starts in the sorted masked-key index: a line's
/// lookup reads one short bucket instead of binary-searching millions of entries (a month whose
/// lines carry another platform's references looks every one of them up).
struct Directory {
    shift: u32,
    start: Vec<u32>,
}

impl Directory {
    fn new(index: &[(u64, u32)]) -> Self {
        // About four entries per bucket.
        let bits = (usize::BITS - index.len().max(1).leading_zeros()).clamp(3, 30) - 2;
        let shift = 64 - bits;
        let buckets = 1usize << bits;
        let mut start = Vec::with_capacity(buckets + 1);
        let mut p = 0usize;
        for b in 0..buckets {
            while p < index.len() && ((index[p].0 >> shift) as usize) < b {
                p += 1;
            }
            start.push(p as u32);
        }
        start.push(index.len() as u32);
        Self { shift, start }
    }

    /// The entries of `index` (the one this was built from) whose hash is `h`.
    fn get<'i>(&self, index: &'i [(u64, u32)], h: u64) -> &'i [(u64, u32)] {
        let b = (h >> self.shift) as usize;
        let (a, z) = (self.start[b] as usize, self.start[b + 1] as usize);
        let bucket = &index[a..z];
        let lo = bucket.partition_point(|x| x.0 < h);
        let hi = lo + bucket[lo..].partition_point(|x| x.0 == h);
        &bucket[lo..hi]
    }
}

/// Whether two keys of equal length differ in at most one byte (what equal masked forms mean).
pub(crate) fn one_apart(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).filter(|(x, y)| x != y).count() <= 1
}

/// Pass 1b: a line token one character away from an open movement's reference (a typo, an O for
/// a 0), when exactly one such movement also fits the amount. A line still open that carries an
/// investment's own key exactly (`book_hit`: its money arrived against its status, or twice) is
/// that investment's, never a typo of its neighbour's.
pub(crate) fn pass_fuzzy_reference(state: &mut State<'_>) {
    // (masked-key hash, movement) for every position of every open movement's reference,
    // sorted: one binary search per masked form of a line token.
    let refs: Vec<Option<String>> = state
        .moves
        .par_iter()
        .enumerate()
        .map(|(m, movement)| {
            if state.done[m] {
                return None;
            }
            let r = norm_key(movement.reference_id.as_deref()?);
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
    let dir = Directory::new(&index);
    let mut lens: Vec<usize> = refs.iter().flatten().map(String::len).collect();
    lens.sort_unstable();
    lens.dedup();
    let (used, book_hit) = (&state.used, &state.book_hit);
    let cands: Vec<(usize, Vec<usize>)> = state
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
                    for &(_, m) in dir.get(&index, h) {
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
        let amount = state.lines[l].amount;
        let c: Vec<(usize, Cents)> = c
            .into_iter()
            .filter(|&m| !state.done[m] && state.sign_ok(m, l))
            .filter_map(|m| {
                state.moves[m]
                    .amount_diff(amount, state.tol)
                    .map(|d| (m, d))
            })
            .collect();
        if c.len() == 1 && !state.used[l] {
            let (m, diff) = c[0];
            let e = state.moves[m].expected;
            let t = state.moves[m]
                .tolerance(state.tol)
                .tolerance_cents(e)
                .max(1);
            state.accept(
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_directory_finds_what_a_binary_search_finds() {
        for n in [0usize, 1, 7, 1_000, 50_000] {
            let mut index: Vec<(u64, u32)> = (0..n)
                .map(|i| {
                    (
                        masked_hash(format!("INV{:06}", i / 3).as_bytes(), i % 7),
                        i as u32,
                    )
                })
                .collect();
            index.sort_unstable();
            let dir = Directory::new(&index);
            let probes = (0..2_000).map(|i| masked_hash(format!("INV{:06}", i).as_bytes(), i % 7));
            for h in probes.chain(index.iter().map(|x| x.0)).chain([0, u64::MAX]) {
                let a = index.partition_point(|x| x.0 < h);
                let z = index.partition_point(|x| x.0 <= h);
                assert_eq!(dir.get(&index, h), &index[a..z], "n = {n}, h = {h}");
            }
        }
    }
}
