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
