//! Bounded, deterministic subset-sum for batched settlements.

use tieout_domain::Cents;

/// Outcome of a subset search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subset {
    /// Exactly one combination (of at least `min_size` items) exists; indices into the input.
    Unique(Vec<usize>),
    /// At least two combinations exist: choosing one would be a guess.
    Multiple,
    /// The whole space was searched: no combination.
    NotFound,
    /// The work budget ran out before the answer was proven.
    GaveUp,
}

/// Searches for the unique subset of positive `amounts` whose sum is within `tol` of `target`,
/// visiting at most `budget` search nodes. Deterministic: amounts are explored largest first,
/// ties by input index.
pub fn find_unique(
    amounts: &[Cents],
    target: Cents,
    tol: Cents,
    min_size: usize,
    budget: u64,
) -> Subset {
    find_unique_counted(amounts, target, tol, min_size, budget).0
}

/// [`find_unique`], with the number of search nodes it visited (at most `budget` + 1).
pub fn find_unique_counted(
    amounts: &[Cents],
    target: Cents,
    tol: Cents,
    min_size: usize,
    budget: u64,
) -> (Subset, u64) {
    if amounts.iter().any(|a| *a <= 0) {
        return (Subset::GaveUp, 0);
    }
    // With only positive amounts the signed search explores the same order (largest first,
    // ties by index) and its pruning reduces to the positive one.
    find_unique_signed_counted(amounts, target, tol, min_size, budget)
}

/// Like [`find_unique`] but `amounts` may be of either sign (a processor payout that nets
/// charges against refunds). Explores the largest magnitudes first; prunes with the sums of the
/// remaining positive and negative items. Zero amounts are refused (`GaveUp`): they would make
/// every answer ambiguous.
pub fn find_unique_signed(
    amounts: &[Cents],
    target: Cents,
    tol: Cents,
    min_size: usize,
    budget: u64,
) -> Subset {
    find_unique_signed_counted(amounts, target, tol, min_size, budget).0
}

/// [`find_unique_signed`], with the number of search nodes it visited (at most `budget` + 1).
pub fn find_unique_signed_counted(
    amounts: &[Cents],
    target: Cents,
    tol: Cents,
    min_size: usize,
    budget: u64,
) -> (Subset, u64) {
    if amounts.contains(&0) {
        return (Subset::GaveUp, 0);
    }
    let mut order: Vec<usize> = (0..amounts.len()).collect();
    order.sort_by(|a, b| {
        amounts[*b]
            .abs()
            .cmp(&amounts[*a].abs())
            .then(amounts[*b].cmp(&amounts[*a]))
            .then(a.cmp(b))
    });
    let n = order.len();
    let mut pos = vec![0; n + 1];
    let mut neg = vec![0; n + 1];
    for i in (0..n).rev() {
        let a = amounts[order[i]];
        pos[i] = pos[i + 1] + a.max(0);
        neg[i] = neg[i + 1] + a.min(0);
    }
    struct S<'a> {
        amounts: &'a [Cents],
        order: Vec<usize>,
        pos: Vec<Cents>,
        neg: Vec<Cents>,
        lo: Cents,
        hi: Cents,
        min_size: usize,
        budget: u64,
        nodes: u64,
        chosen: Vec<usize>,
        found: Vec<Vec<usize>>,
    }
    impl S<'_> {
        fn go(&mut self, i: usize, sum: Cents, added: bool) -> bool {
            self.nodes += 1;
            if self.nodes > self.budget {
                return false;
            }
            if added && sum >= self.lo && sum <= self.hi && self.chosen.len() >= self.min_size {
                self.found.push(self.chosen.clone());
                if self.found.len() > 1 {
                    return false;
                }
            }
            if i == self.order.len() || sum + self.pos[i] < self.lo || sum + self.neg[i] > self.hi {
                return true;
            }
            let idx = self.order[i];
            self.chosen.push(idx);
            let go_on = self.go(i + 1, sum + self.amounts[idx], true);
            self.chosen.pop();
            if !go_on {
                return false;
            }
            self.go(i + 1, sum, false)
        }
    }
    let mut s = S {
        amounts,
        order,
        pos,
        neg,
        lo: target - tol,
        hi: target + tol,
        min_size,
        budget,
        nodes: 0,
        chosen: Vec::new(),
        found: Vec::new(),
    };
    let completed = s.go(0, 0, false);
    let nodes = s.nodes;
    let outcome = match (s.found.len(), completed) {
        (n, _) if n > 1 => Subset::Multiple,
        (1, true) => {
            let mut v = s.found.remove(0);
            v.sort_unstable();
            Subset::Unique(v)
        }
        (0, true) => Subset::NotFound,
        _ => Subset::GaveUp,
    };
    (outcome, nodes)
}

/// `dst |= src << shift` over little-endian bit words (bit `s` of the set is bit `s % 64` of word
/// `s / 64`); bits shifted past the end are dropped.
fn shl_or(dst: &mut [u64], src: &[u64], shift: usize) {
    let (q, r) = (shift / 64, shift % 64);
    for j in (q..dst.len()).rev() {
        let lo = src[j - q] << r;
        let carry = if r > 0 && j > q {
            src[j - q - 1] >> (64 - r)
        } else {
            0
        };
        dst[j] |= lo | carry;
    }
}

/// Like [`find_unique_counted`] for positive `amounts` and an exact `target` (any number of
/// items), by dynamic programming over the cents up to `target`, 64 cents a step: exact
/// whatever the shape of the data, at `amounts.len() × ⌈(target + 1) / 64⌉` steps, so it runs
/// only when that is within `budget` (`GaveUp` with no step taken otherwise). Per item it keeps
/// the sums one subset makes and the sums two or more make; the first sets, one per item, read
/// the unique combination back.
pub fn find_unique_exact(amounts: &[Cents], target: Cents, budget: u64) -> (Subset, u64) {
    if target <= 0 || amounts.iter().any(|a| *a <= 0) {
        return (Subset::GaveUp, 0);
    }
    let width = target as usize + 1;
    let words = width.div_ceil(64);
    let steps = (amounts.len() as u64).saturating_mul(words as u64);
    if steps > budget {
        return (Subset::GaveUp, 0);
    }
    let mask_last = |v: &mut [u64]| {
        if !width.is_multiple_of(64)
            && let Some(w) = v.last_mut()
        {
            *w &= (1u64 << (width % 64)) - 1;
        }
    };
    // one[i]: sums at least one subset of the first i items makes; two: at least two.
    let mut one: Vec<Vec<u64>> = Vec::with_capacity(amounts.len() + 1);
    let mut first = vec![0u64; words];
    first[0] = 1;
    one.push(first);
    let mut two = vec![0u64; words];
    let mut shifted = vec![0u64; words];
    let mut shifted_two = vec![0u64; words];
    for &a in amounts {
        let prev = one.last().cloned().unwrap_or_default();
        shifted.iter_mut().for_each(|w| *w = 0);
        shifted_two.iter_mut().for_each(|w| *w = 0);
        shl_or(&mut shifted, &prev, a as usize);
        shl_or(&mut shifted_two, &two, a as usize);
        let mut next = prev.clone();
        for j in 0..words {
            two[j] |= shifted_two[j] | (prev[j] & shifted[j]);
            next[j] |= shifted[j];
        }
        mask_last(&mut next);
        mask_last(&mut two);
        one.push(next);
    }
    let t = target as usize;
    let has = |v: &[u64], s: usize| v[s / 64] >> (s % 64) & 1 == 1;
    let outcome = if has(&two, t) {
        Subset::Multiple
    } else if !has(&one[amounts.len()], t) {
        Subset::NotFound
    } else {
        // Unique: going back from the last item, exactly one of "without it" and "with it"
        // makes what is left (both would be two combinations).
        let mut left = t;
        let mut picked = Vec::new();
        for i in (0..amounts.len()).rev() {
            if has(&one[i], left) {
                continue;
            }
            picked.push(i);
            left -= amounts[i] as usize;
        }
        picked.sort_unstable();
        Subset::Unique(picked)
    };
    (outcome, steps)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unique_multiple_notfound_gaveup() {
        assert_eq!(
            find_unique(&[500, 1200, 700, 3000], 1700, 0, 2, 10_000),
            Subset::Unique(vec![1, 0]).sorted()
        );
        assert_eq!(
            find_unique(&[500, 500, 700], 1200, 0, 2, 10_000),
            Subset::Multiple
        );
        assert_eq!(
            find_unique(&[500, 600], 2000, 0, 2, 10_000),
            Subset::NotFound
        );
        let many: Vec<Cents> = (1..=30).map(|i| 1000 + i).collect();
        assert_eq!(find_unique(&many, 15_500, 0, 2, 50), Subset::GaveUp);
        // The nodes visited are counted, and never more than the budget and the one refused.
        let (outcome, nodes) = find_unique_counted(&many, 15_500, 0, 2, 50);
        assert_eq!((outcome, nodes), (Subset::GaveUp, 51));
        let (outcome, nodes) = find_unique_counted(&[500, 600], 2000, 0, 2, 10_000);
        assert_eq!(outcome, Subset::NotFound);
        assert!((1..=3).contains(&nodes));
        // A single-item "combination" is not a batch.
        assert_eq!(find_unique(&[500, 900], 900, 0, 2, 100), Subset::NotFound);
    }

    #[test]
    fn signed_subsets() {
        // Two charges and a larger refund net to a negative payout.
        assert_eq!(
            find_unique_signed(
                &[280_006, 79_980, -510_000, 74_500, 12_345],
                -75_514,
                0,
                2,
                10_000
            ),
            Subset::Unique(vec![0, 1, 2, 3])
        );
        // Two refunds of the same size: two answers.
        assert_eq!(
            find_unique_signed(&[1_000, -3_000, -3_000], -2_000, 0, 2, 10_000),
            Subset::Multiple
        );
        assert_eq!(
            find_unique_signed(&[1_000, -3_000], -2_500, 0, 2, 10_000),
            Subset::NotFound
        );
        assert_eq!(find_unique_signed(&[0, -5], -5, 0, 1, 10), Subset::GaveUp);
        let many: Vec<Cents> = (1..=30)
            .map(|i| if i % 2 == 0 { 1000 + i } else { -1000 - i })
            .collect();
        assert_eq!(find_unique_signed(&many, -1, 0, 2, 50), Subset::GaveUp);
    }

    #[test]
    fn exact_subsets_by_dynamic_programming() {
        assert_eq!(
            find_unique_exact(&[500, 1200, 700, 3000], 1700, 1_000).0,
            Subset::Unique(vec![0, 1])
        );
        assert_eq!(
            find_unique_exact(&[500, 500, 700], 1200, 1_000).0,
            Subset::Multiple
        );
        assert_eq!(
            find_unique_exact(&[500, 600], 2000, 1_000).0,
            Subset::NotFound
        );
        // Too wide for the budget: no step taken.
        assert_eq!(
            find_unique_exact(&[500, 600], 1_100, 10),
            (Subset::GaveUp, 0)
        );
        // Twenty items whose subset sums are all different (2^20 + 2^k): seven of them are
        // found however the search would order them.
        let many: Vec<Cents> = (0..20).map(|k| (1 << 20) + (1 << k)).collect();
        let held = [3, 5, 8, 11, 13, 17, 19];
        let target: Cents = held.iter().map(|&i| many[i]).sum();
        let (found, steps) = find_unique_exact(&many, target, 10_000_000);
        assert_eq!(found, Subset::Unique(held.to_vec()));
        assert_eq!(steps, 20 * (target as u64 + 1).div_ceil(64));
        // Agrees with the depth-first search wherever that one finishes.
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..300 {
            let mut next = || {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x
            };
            let n = (next() % 9 + 1) as usize;
            let items: Vec<Cents> = (0..n).map(|_| (next() % 40 + 1) as Cents * 25).collect();
            let target = (next() % 600 + 1) as Cents;
            let dfs = find_unique_counted(&items, target, 0, 1, 1_000_000).0;
            assert_eq!(
                find_unique_exact(&items, target, 1_000_000).0,
                dfs,
                "{items:?} → {target}"
            );
        }
        // Sums across word boundaries (shifts by 64 and more).
        assert_eq!(
            find_unique_exact(&[64, 129, 7, 200], 264, 1_000).0,
            Subset::Unique(vec![0, 3])
        );
    }

    impl Subset {
        fn sorted(self) -> Self {
            match self {
                Subset::Unique(mut v) => {
                    v.sort_unstable();
                    Subset::Unique(v)
                }
                o => o,
            }
        }
    }
}
