//! SANCTIONS_NAME_MATCH: our own OFAC SDN screening of every investor with in-scope investments.

use rayon::prelude::*;
use rustc_hash::FxHashMap as HashMap;

use super::{CheckConfig, Row, fig};
use crate::finding::{Finding, RuleCode};
use crate::model::{Investor, Severity};
use crate::sanctions::{MatchLevel, Overrides, SanctionsIndex};

pub(super) fn sanctions_findings(
    rows: &[Row<'_>],
    index: &SanctionsIndex,
    overrides: &Overrides,
    cfg: &CheckConfig,
) -> Vec<Finding> {
    // Screen each investor with in-scope investments once.
    let mut investors: Vec<&Investor> = rows.iter().filter_map(|r| r.investor).collect();
    investors.sort_unstable_by_key(|i| i.id);
    investors.dedup_by_key(|i| i.id);
    // Per investor: the best hit not cleared by an override (the one reported on each
    // investment), and the cleared hits (reported once as info).
    struct Outcome {
        reported: Option<crate::sanctions::ScreenHit>,
        cleared: Vec<(crate::sanctions::ScreenHit, crate::sanctions::Override)>,
    }
    let hits = index.screen_investor_batch(&investors, &cfg.screening);
    let results: HashMap<i64, Outcome> = investors
        .into_par_iter()
        .zip(hits)
        .filter_map(|(i, hits)| {
            if hits.is_empty() {
                return None;
            }
            let mut cleared = Vec::new();
            let mut open = Vec::new();
            for h in hits {
                match overrides.get(h.ent_num, i.id) {
                    Some(ov) => cleared.push((h, ov.clone())),
                    None => open.push(h),
                }
            }
            // Best uncleared hit: a match; else a name match contradicted only by the date
            // of birth; else (when asked for) a review-band hit.
            let pick = open
                .iter()
                .position(|h| h.level == MatchLevel::Match)
                .or_else(|| open.iter().position(|h| h.dob_conflict))
                .or_else(|| (cfg.sanctions_review_findings && !open.is_empty()).then_some(0));
            let reported = pick.map(|k| open.swap_remove(k));
            Some((i.id, Outcome { reported, cleared }))
        })
        .collect();
    let mut out = Vec::new();
    for r in rows {
        let Some(o) = results.get(&r.inv.investor_id) else {
            continue;
        };
        if let Some(h) = &o.reported {
            let severity = match h.level {
                MatchLevel::Match => Severity::Violation,
                MatchLevel::Review => Severity::Warning,
            };
            out.push(r.finding(
                RuleCode::SanctionsNameMatch,
                severity,
                "31 CFR Chapter V; OFAC SDN list",
                h.figures(),
                format!("{}; {}", r.bought(), h.explain()),
            ));
        }
    }
    if cfg.report_cleared_overrides {
        let mut ids: Vec<&i64> = results.keys().collect();
        ids.sort_unstable();
        for id in ids {
            for (h, ov) in &results[id].cleared {
                let mut figures = h.figures();
                figures.push(fig("override_decided_by", &ov.decided_by));
                figures.push(fig("override_decided_at", &ov.decided_at));
                figures.push(fig("override_note", &ov.note));
                out.push(Finding {
                    code: RuleCode::SanctionsNameMatch,
                    severity: Severity::Info,
                    investment_id: None,
                    investor_id: Some(*id),
                    offering_id: None,
                    citation: "31 CFR Chapter V; OFAC SDN list".to_string(),
                    figures,
                    detail: format!(
                        "Investor {}: the name '{}' resembles OFAC SDN entry {} '{}' (score {:.3}); cleared as a false positive by {} on {}: {}.",
                        id,
                        h.query_name,
                        h.ent_num,
                        h.sdn_name,
                        h.score,
                        ov.decided_by,
                        ov.decided_at,
                        ov.note
                    ),
                });
            }
        }
    }
    out
}
