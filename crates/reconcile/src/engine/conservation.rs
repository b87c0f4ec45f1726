//! Conservation: every statement line's cents are split exactly across matches, exceptions and
//! ignored parts, and every expected movement is in exactly one of matched / exception /
//! ignored. A violation is a bug: [`ReconError::Conservation`].

use tieout_domain::Cents;

use crate::engine::ReconError;
use crate::engine::state::*;

pub(crate) fn conservation(state: &State<'_>) -> Result<(), ReconError> {
    let n = state.lines.len();
    let mut sum = vec![0 as Cents; n];
    let mut parts = vec![0usize; n];
    for (r, l) in state
        .matches
        .iter()
        .map(|(r, l, _)| (r, l))
        .chain(state.releases.iter().map(|(r, l)| (r, l)))
    {
        sum[*l] += r.bank_cents;
        parts[*l] += 1;
    }
    for e in &state.exceptions {
        if let Some(l) = e.line {
            sum[l] += e.line_cents;
            parts[l] += 1;
        }
    }
    for (l, i) in &state.ignored_lines {
        sum[*l] += i.amount_cents;
        parts[*l] += 1;
    }
    for l in 0..n {
        if parts[l] == 0 || sum[l] != state.lines[l].amount {
            return Err(ReconError::Conservation(format!(
                "{}: {} cents accounted for in {} parts, line is {} cents",
                state.lines[l].label(),
                sum[l],
                parts[l],
                state.lines[l].amount
            )));
        }
    }
    // A movement may be spread over several rows of one kind (a split payment, a shadow paid
    // by two lines), but it must be in exactly one kind of bucket.
    let mut matched = vec![false; state.moves.len()];
    let mut excepted = vec![false; state.moves.len()];
    let mut ignored = vec![0usize; state.moves.len()];
    for (_, _, m) in &state.matches {
        matched[*m] = true;
    }
    for e in &state.exceptions {
        if let Some(m) = e.movement {
            excepted[m] = true;
        }
    }
    for (m, _) in &state.ignored_movements {
        if let Some(m) = m {
            ignored[*m] += 1;
        }
    }
    for m in 0..state.moves.len() {
        let total = ignored[m] + usize::from(matched[m]) + usize::from(excepted[m]);
        if total != 1 {
            return Err(ReconError::Conservation(format!(
                "investment {} {} is in {total} buckets",
                state.moves[m].investment_id,
                state.moves[m].kind.label()
            )));
        }
    }
    Ok(())
}
