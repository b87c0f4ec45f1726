//! Work budgets of the search passes, counted in steps (candidates visited, subset-search nodes),
//! never in time, so a run is as deterministic as its inputs.
//!
//! A pass that searches (the batch settlements, the escrow releases, the amount + date + name
//! candidates, the split payments) gets [`STEPS_PER_INPUT`] steps per line and movement of the
//! run, plus [`BASE_STEPS`]: its whole work is bounded by its input, whatever the data. The
//! budget is shared out evenly before the pass starts: each item it searches for (a settlement
//! line, a release debit, a movement) gets the same share ([`Budget::share`]), whatever the
//! order of the items and whatever the others spend. An item whose search would need more than its share is not
//! searched: a line becomes an exception that says so ("search budget exhausted …"), never a
//! guess. A month where nothing fits therefore costs no more than one where everything does.

use serde::{Deserialize, Serialize};

/// Steps a search pass may take per statement line and expected movement of the run.
pub(crate) const STEPS_PER_INPUT: u64 = 64;

/// Steps every search pass may take whatever its input (a small run is not starved by the
/// proportional rule: forty subset searches of the default 200,000 nodes).
pub(crate) const BASE_STEPS: u64 = 8_000_000;

/// Steps every item may take however many items there are (a movement's name candidates in a
/// large month); the pass's whole work stays proportional to its input, since there are no more
/// items than lines and movements.
pub(crate) const MIN_ITEM_SHARE: u64 = 4_096;

/// The work one search pass did, against its budget (part of [`crate::engine::ReconOutcome`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PassWork {
    /// The pass (`refund_pair`, `batches`, `amount_date_name`, `split_payment`, and the escrow
    /// releases' `escrow_release` (debits without release words: whole closings from sums),
    /// `escrow_release_worded` (debits that say they are releases: every first part) and
    /// `escrow_release_subset` (their subset search)).
    pub pass: String,
    /// Items searched for (lines or movements).
    pub items: usize,
    /// Steps allowed for the whole pass: [`STEPS_PER_INPUT`] × (lines + movements) +
    /// [`BASE_STEPS`], or [`MIN_ITEM_SHARE`] per item searched when that is more (the shares of
    /// its items add up to at most this).
    pub budget: u64,
    /// Steps allowed for one item.
    pub share: u64,
    /// Steps taken.
    pub steps: u64,
    /// Items refused because their search needed more than their share.
    pub exhausted: usize,
}

/// What the search passes did: their work against their budgets and the escrow release model
/// they fitted (part of [`crate::engine::ReconOutcome`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchReport {
    /// Per search pass, in run order.
    pub work: Vec<PassWork>,
    /// The reading of what an escrow release pays, when a release was matched.
    pub release_model: Option<crate::engine::ReleaseModel>,
}

/// The budget of one search pass over `items` items (see the module documentation).
#[derive(Debug, Clone)]
pub(crate) struct Budget {
    work: PassWork,
}

impl Budget {
    /// The budget of `pass` over `items` items in a run of `input` lines + movements, each item
    /// searched at most `rounds` times.
    pub(crate) fn new(pass: &str, input: usize, items: usize, rounds: u64) -> Self {
        let total = STEPS_PER_INPUT
            .saturating_mul(input as u64)
            .saturating_add(BASE_STEPS);
        let searches = (items.max(1) as u64).saturating_mul(rounds.max(1));
        let share = (total / searches).max(MIN_ITEM_SHARE);
        let total = total.max(share.saturating_mul(searches));
        Self {
            work: PassWork {
                pass: pass.to_string(),
                items,
                budget: total,
                share,
                steps: 0,
                exhausted: 0,
            },
        }
    }

    /// The steps one item may take.
    pub(crate) fn share(&self) -> u64 {
        self.work.share
    }

    /// Records `steps` taken by one item (at most its share: the caller checks first).
    pub(crate) fn spend(&mut self, steps: u64) {
        self.work.steps = self.work.steps.saturating_add(steps.min(self.work.share));
    }

    /// Records an item refused for want of budget, after `steps` spent finding that out.
    pub(crate) fn refuse(&mut self, steps: u64) {
        self.spend(steps);
        self.work.exhausted += 1;
    }

    /// The record of the pass.
    pub(crate) fn report(self) -> PassWork {
        self.work
    }
}

/// The words of an exception whose search ran out of budget.
pub(crate) fn exhausted_detail(what: &str, needed: u64, share: u64) -> String {
    format!(
        "{what}: search budget exhausted ({needed} candidate steps needed, {share} allowed per line); not matched — supply the processor payout report or match it by hand."
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_are_proportional_to_the_input() {
        // 10,000 inputs, 10 items over 2 rounds: (640,000 + BASE) / 20.
        let b = Budget::new("batches", 10_000, 10, 2);
        assert_eq!(b.share(), (640_000 + BASE_STEPS) / 20);
        // 2,000,000 inputs, 100 items, 2 rounds.
        let b = Budget::new("batches", 2_000_000, 100, 2);
        assert_eq!(b.share(), (128_000_000 + BASE_STEPS) / 200);
        assert_eq!(b.report().budget, 128_000_000 + BASE_STEPS);
        // A million movements searched once each: the floor.
        let b = Budget::new("amount_date_name", 2_000_000, 1_000_000, 1);
        assert_eq!(b.share(), MIN_ITEM_SHARE);
        assert_eq!(b.report().budget, MIN_ITEM_SHARE * 1_000_000);
    }

    #[test]
    fn spending_is_capped_at_the_share() {
        let mut b = Budget::new("x", 0, 1, 1);
        b.spend(BASE_STEPS * 3);
        b.refuse(5);
        let w = b.report();
        assert_eq!(w.steps, BASE_STEPS + 5);
        assert_eq!(w.exhausted, 1);
    }
}
