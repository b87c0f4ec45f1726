//! The world's settlement shapes and description styles: per-closing escrow releases and the
//! wire descriptions of each [`DescStyle`].

use chrono::NaiveDate;

use super::super::knobs::{DescStyle, ReleaseBasis, ReleaseCover, ReleaseShape};
use super::super::world::{Acct, Inv, OffKind, World, at};
use super::{Ctx, Kind};

/// The plan of the per-closing escrow releases (`ReleaseShape::PerClosing`): each release's
/// booking day with the closed Reg CF investments it pays (indices into `w.invs`), and the
/// closed investments held back (closed, not paid this month).
pub(crate) fn release_plan(w: &World) -> (Vec<(NaiveDate, Vec<usize>)>, Vec<usize>) {
    let k = &w.knobs;
    let biz = &w.biz;
    let closed: Vec<usize> = (0..w.invs.len())
        .filter(|&j| {
            let i = &w.invs[j];
            i.history && i.status.funds_taken() && w.offerings[i.off].kind == OffKind::RegCf
        })
        .collect();
    let n = closed.len();
    if biz.is_empty() {
        return (Vec::new(), Vec::new());
    }
    let mid = biz[biz.len() / 2];
    match k.release_cover {
        ReleaseCover::SecondRelease if n >= 2 => {
            let cut = (n * 2 / 3).max(1);
            let later = biz[(biz.len() * 4 / 5).min(biz.len() - 1)];
            (
                vec![
                    (mid, closed[..cut].to_vec()),
                    (later, closed[cut..].to_vec()),
                ],
                Vec::new(),
            )
        }
        ReleaseCover::HoldBack if n >= 2 => {
            // One in eight is held back (at least one): it stays in escrow past the month.
            let held = |j: usize| j % 8 == 7 || (n < 8 && j == n - 1);
            let (mut kept, mut paid) = (Vec::new(), Vec::new());
            for (j, &inv) in closed.iter().enumerate() {
                if held(j) {
                    kept.push(inv);
                } else {
                    paid.push(inv);
                }
            }
            (vec![(mid, paid)], kept)
        }
        _ => (vec![(mid, closed)], Vec::new()),
    }
}

/// Dates the closings of a per-closing world: every closed investment a release pays (or holds
/// back) was closed — last updated on the platform — one to three business days before its
/// release's booking day, as an escrow agent pays shortly after a closing. (The classic
/// world's history investments keep their old dates: its transfer pays no closing.)
pub(crate) fn date_closings(w: &mut World) {
    if w.knobs.release != ReleaseShape::PerClosing {
        return;
    }
    let (groups, held) = release_plan(w);
    let first_release = groups.first().map(|g| g.0);
    let plan: Vec<(NaiveDate, usize)> = groups
        .into_iter()
        .flat_map(|(day, js)| js.into_iter().map(move |j| (day, j)))
        .chain(
            first_release
                .into_iter()
                .flat_map(|day| held.iter().map(move |&j| (day, j))),
        )
        .collect();
    for (day, j) in plan {
        let back = 1 + (w.invs[j].id % 3) as usize;
        let pos = w.biz.iter().position(|d| *d >= day).unwrap_or(0);
        let closed_on = w.biz[pos.saturating_sub(back)];
        let inv = &mut w.invs[j];
        inv.updated = inv.updated.max(at(closed_on, 15, 0, (inv.id % 60) as u32));
    }
}

/// Per-closing escrow releases (`ReleaseShape::PerClosing`): one debit on the escrow account
/// per closing listing the closed Reg CF investments it pays, and its credit on the operating
/// account. What a release pays and which investments it covers are the world's knobs.
pub(super) fn releases(c: &mut Ctx<'_>) {
    let w = c.w;
    let k = &w.knobs;
    let (plan, _) = release_plan(w);
    let groups: Vec<(NaiveDate, Vec<&Inv>)> = plan
        .into_iter()
        .map(|(day, js)| (day, js.into_iter().map(|j| &w.invs[j]).collect()))
        .collect();
    let fee_bp = i64::from(k.release_fee_bp);
    for (no, (day, invs)) in groups.into_iter().enumerate() {
        let basis: i64 = invs
            .iter()
            .map(|i| match k.release_basis {
                ReleaseBasis::Paid => i.price_c(),
                ReleaseBasis::Securities => i.amount_c,
            })
            .sum();
        let amount = basis - (basis * fee_bp + 5_000) / 10_000;
        if amount <= 0 {
            continue;
        }
        let ids: Vec<i64> = invs.iter().map(|i| i.id).collect();
        let closing = no + 1;
        let note = format!(
            "release {closing}: {} closed investments{}",
            ids.len(),
            if fee_bp > 0 {
                format!(" less a {} bp platform fee", fee_bp)
            } else {
                String::new()
            }
        );
        let out_ref = c.push(
            Acct::Escrow,
            day,
            -amount,
            Kind::EscrowRelease,
            ids.clone(),
            495,
            format!(
                "BOOK TRANSFER DEBIT ESCROW RELEASE CLOSING {closing} {} INVESTMENTS TO ISSUER OPERATING ACCT XXXXXX4417",
                ids.len()
            ),
            "SOLENNE MODULAR HOMES INC".into(),
            format!("ESCROW CLOSING {closing}"),
            note,
        );
        c.push(
            Acct::Operating,
            day,
            amount,
            Kind::EscrowReleaseIn,
            vec![],
            195,
            format!(
                "BOOK TRANSFER CREDIT ESCROW RELEASE CLOSING {closing} NORTH CAPITAL ESCROW FBO BRIGHTWATER REG CF"
            ),
            "NORTH CAPITAL PRIVATE SECURITIES".into(),
            format!("ESCROW CLOSING {closing}"),
            format!("credit of release {out_ref}"),
        );
    }
}

/// An incoming domestic wire's description in the world's style.
pub(super) fn domestic_text(
    style: DescStyle,
    bank: &str,
    aba: &str,
    orig: &str,
    remit: &str,
    imad: &str,
) -> String {
    match style {
        DescStyle::Classic => {
            format!("FEDWIRE CREDIT VIA: {bank} /{aba} B/O: {orig} OBI: {remit} IMAD: {imad}")
        }
        DescStyle::Tagged => {
            format!("WIRE TRANSFER IN ORG={orig} OGB={bank} ABA={aba} RFB={remit} IMAD={imad}")
        }
        DescStyle::ReferenceFirst => {
            let lead = if remit.is_empty() {
                String::new()
            } else {
                format!("{remit} / ")
            };
            format!("{lead}WIRE FROM {orig} / {bank} {aba} / IMAD {imad}")
        }
    }
}

/// An incoming SWIFT wire's description in the world's style.
pub(super) fn intl_text(
    style: DescStyle,
    orig: &str,
    bic: &str,
    remit: &str,
    uetr: &str,
) -> String {
    match style {
        DescStyle::Classic => {
            format!("SWIFT INCOMING CREDIT B/O: {orig} ORD INST: {bic} UETR: {uetr} /RFB/ {remit}")
        }
        DescStyle::Tagged => {
            format!("SWIFT MT103 IN ORG={orig} OGB={bic} RFB={remit} UETR={uetr}")
        }
        DescStyle::ReferenceFirst => {
            let lead = if remit.is_empty() {
                String::new()
            } else {
                format!("{remit} / ")
            };
            format!("{lead}SWIFT FROM {orig} / {bic} / UETR {uetr}")
        }
    }
}
