//! Fee models: a percentage plus a fixed amount, possibly capped, recovered from deductions
//! (what a reading leaves unexplained on keyed lines, or a payout report's fee column).

use std::collections::BTreeMap;

use tieout_domain::Cents;

use super::{Formula, GrossReading, MAX_FEE_BPS, MIN_EVIDENCE, Observation};

/// A fee model: a percentage plus a fixed amount, possibly capped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub(super) struct Fee {
    pub(super) bps: u32,
    pub(super) fixed: Cents,
    pub(super) cap: Cents,
}

impl Fee {
    pub(super) fn of(&self, v: Cents) -> Cents {
        Formula {
            gross: GrossReading::Price,
            less_processing_fees: false,
            fee_bps: self.bps,
            fee_fixed_cents: self.fixed,
            fee_cap_cents: self.cap,
        }
        .fee_of(v)
    }

    pub(super) fn explains(&self, v: Cents, d: Cents) -> bool {
        (self.of(v) - d).abs() <= 1
    }
}

/// The most common value of `xs` seen at least twice (smallest on a tie).
pub(super) fn mode<T: Ord + Copy>(xs: impl Iterator<Item = T>) -> Option<T> {
    let mut counts: BTreeMap<T, usize> = BTreeMap::new();
    for x in xs {
        *counts.entry(x).or_default() += 1;
    }
    counts
        .into_iter()
        .filter(|&(_, n)| n >= 2)
        .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))
        .map(|(x, _)| x)
}

/// Fee models worth scoring for `(value, deduction)` pairs (deductions positive): a plain
/// percentage, a fixed amount, a percentage plus a fixed amount (slope between pairs of
/// different size), each possibly capped by the most common deduction it leaves unexplained.
/// Deterministic and independent of the pairs' order.
pub(super) fn fee_candidates(pairs: &[(Cents, Cents)]) -> Vec<Fee> {
    let mut pairs: Vec<(Cents, Cents)> = pairs.to_vec();
    pairs.sort_unstable();
    let bps_of = |v: Cents, d: Cents| -> Option<u32> {
        let b = ((i128::from(d) * 10_000 + i128::from(v) / 2) / i128::from(v)) as i64;
        (1..=MAX_FEE_BPS).contains(&b).then_some(b as u32)
    };
    let mut out: Vec<Fee> = Vec::new();
    // A plain percentage.
    let pct = mode(pairs.iter().filter_map(|&(v, d)| {
        let b = bps_of(v, d)?;
        Fee {
            bps: b,
            ..Fee::default()
        }
        .explains(v, d)
        .then_some(b)
    }));
    // A percentage plus a fixed amount: the slope between pairs of clearly different size.
    let slope = mode(pairs.windows(2).filter_map(|w| {
        let ((v1, d1), (v2, d2)) = (w[0], w[1]);
        if v2 - v1 < 10_000 || d2 < d1 {
            return None;
        }
        bps_of(v2 - v1, d2 - d1)
    }));
    let fixed_after = |bps: u32| {
        mode(pairs.iter().filter_map(|&(v, d)| {
            let f = d - percent_of(v, i64::from(bps));
            (1..=10_000).contains(&f).then_some(f)
        }))
    };
    let mut bases: Vec<Fee> = Vec::new();
    if let Some(b) = pct {
        bases.push(Fee {
            bps: b,
            ..Fee::default()
        });
    }
    if let Some(b) = slope {
        if let Some(f) = fixed_after(b) {
            bases.push(Fee {
                bps: b,
                fixed: f,
                cap: 0,
            });
        }
        bases.push(Fee {
            bps: b,
            ..Fee::default()
        });
    }
    if let Some(d) = mode(pairs.iter().map(|&(_, d)| d)) {
        bases.push(Fee {
            fixed: d,
            ..Fee::default()
        });
    }
    for base in bases {
        out.push(base);
        // Capped: the most common deduction the base leaves unexplained, below what it asks.
        if base.bps > 0
            && let Some(cap) = mode(
                pairs
                    .iter()
                    .filter(|&&(v, d)| !base.explains(v, d) && d < base.of(v))
                    .map(|&(_, d)| d),
            )
        {
            out.push(Fee { cap, ..base });
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// `bps` basis points of `v`, rounded half away from zero.
pub(super) fn percent_of(v: Cents, bps: i64) -> Cents {
    let n = i128::from(v) * i128::from(bps);
    let q = (n.abs() + 5_000) / 10_000;
    (if n < 0 { -q } else { q }) as Cents
}

/// The processor's deduction, fitted on the payout report's charges (a gross and a fee each):
/// `price_payment_processing_fees` when it is the fee, else the fee model that explains most
/// fees; with the number of charges explained and the number with a fee.
pub(super) fn processor_fee(charges: &[&Observation]) -> Option<(bool, Fee, usize, usize)> {
    let pairs: Vec<(Cents, Cents, Option<Cents>)> = charges
        .iter()
        .filter_map(|o| {
            o.fee
                .filter(|&f| f > 0)
                .map(|f| (o.cents, f, o.figures.ppf))
        })
        .collect();
    let n = pairs.len();
    if n < MIN_EVIDENCE {
        return None;
    }
    let by_ppf = pairs.iter().filter(|p| p.2 == Some(p.1)).count();
    let vd: Vec<(Cents, Cents)> = pairs.iter().map(|p| (p.0, p.1)).collect();
    let best = fee_candidates(&vd)
        .into_iter()
        .map(|fee| (vd.iter().filter(|&&(v, d)| fee.explains(v, d)).count(), fee))
        .max_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
    match best {
        Some((k, fee)) if k > by_ppf && k * 2 >= n => Some((false, fee, k, n)),
        _ if by_ppf * 2 >= n => Some((true, Fee::default(), by_ppf, n)),
        _ => None,
    }
}
