//! Closing the month in the reports: the decisions a run applied (ids, standing decisions,
//! resolved items), what changed since last month, the sign-offs, the board pack's verdict in
//! words, and the words a board member reads for each code.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use tieout_domain::{RuleCode, Severity, format_cents};
use tieout_reconcile::close::{CarriedDecision, ResolvedItem};
use tieout_reconcile::model::ExceptionCode;

use crate::ReportInput;

/// What changed since the previous month's run (from its `open-items.json`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SinceLast {
    /// End of the previous period, when its file says.
    pub previous_period_end: Option<NaiveDate>,
    /// Items carried in (open investments and standing decisions).
    pub carried_in: usize,
    /// Of the carried investments, still open now.
    pub carried_still_open: usize,
    /// Exceptions first seen this period.
    pub new_this_period: usize,
}

/// The decisions side of a run, as the reports show it.
#[derive(Debug, Clone, Copy)]
pub struct CloseView<'a> {
    /// Id of each of [`ReportInput::exceptions`], same order.
    pub exception_ids: &'a [String],
    /// Id of each of [`ReportInput::findings`], same order.
    pub finding_ids: &'a [String],
    /// Standing decisions by id (prefilled in the worksheet).
    pub standing: &'a BTreeMap<String, CarriedDecision>,
    /// Items decisions closed this run.
    pub resolved: &'a [ResolvedItem],
    /// What changed since last month, when a previous month's open items were given.
    pub since_last: Option<&'a SinceLast>,
}

/// One sign-off of a run (`signoff.json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signoff {
    /// `preparer` or `reviewer`.
    pub role: String,
    /// Who.
    pub name: String,
    /// Their note.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// When (UTC, RFC 3339), as the signing machine's clock said.
    pub signed_at: String,
    /// The run signed.
    pub run_id: String,
    /// SHA-256 of the run's `manifest.json` when signed.
    pub manifest_sha256: String,
}

/// `signoff.json`: every sign-off recorded in a run folder, oldest first (sign-offs of an
/// earlier run in the same folder are kept, and shown as no longer applying).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignoffFile {
    /// Format version (1).
    pub format: u32,
    /// Sign-offs.
    pub signoffs: Vec<Signoff>,
}

impl Signoff {
    /// Whether this sign-off applies to the run with `run_id` whose manifest hashes to
    /// `manifest_sha256`.
    pub fn applies_to(&self, run_id: &str, manifest_sha256: &str) -> bool {
        self.run_id == run_id && self.manifest_sha256 == manifest_sha256
    }
}

impl SignoffFile {
    /// The sign-offs that apply to a run, by role (the latest per role).
    pub fn valid(&self, run_id: &str, manifest_sha256: &str) -> BTreeMap<String, &Signoff> {
        let mut out = BTreeMap::new();
        for s in &self.signoffs {
            if s.applies_to(run_id, manifest_sha256) {
                out.insert(s.role.clone(), s);
            }
        }
        out
    }

    /// The sign-off block in words: who prepared and who reviewed this run, and the earlier
    /// sign-offs that no longer apply.
    pub fn lines(&self, run_id: &str, manifest_sha256: &str) -> Vec<String> {
        let valid = self.valid(run_id, manifest_sha256);
        let mut out = Vec::new();
        for role in ["preparer", "reviewer"] {
            let label = if role == "preparer" {
                "Prepared by"
            } else {
                "Reviewed by"
            };
            match valid.get(role) {
                Some(s) => out.push(format!(
                    "{label}: {} on {}{}",
                    s.name,
                    s.signed_at,
                    s.note
                        .as_ref()
                        .map(|n| format!(" ({n})"))
                        .unwrap_or_default()
                )),
                None => out.push(format!(
                    "{label}: not signed off yet (tieout signoff --role {role})"
                )),
            }
        }
        for s in self
            .signoffs
            .iter()
            .filter(|s| !s.applies_to(run_id, manifest_sha256))
        {
            out.push(format!(
                "No longer applies: {} signed as {} on {} for run {}{}; the reports have changed since.",
                s.name,
                s.role,
                s.signed_at,
                s.run_id,
                if s.run_id == run_id { " (another manifest)" } else { "" }
            ));
        }
        out
    }
}

/// The words for a reconciliation exception code.
pub fn exception_words(code: ExceptionCode) -> &'static str {
    match code {
        ExceptionCode::UnmatchedInvestment => "Investment with no money on the statements",
        ExceptionCode::UnmatchedCredit => "Money received that matches no investment",
        ExceptionCode::UnmatchedDebit => "Money paid out that matches no refund or return",
        ExceptionCode::AmountMismatch => "Money received differs from the investment amount",
        ExceptionCode::StatusMismatch => "Platform status contradicts the money",
        ExceptionCode::DuplicatePayment => "Investment paid twice",
        ExceptionCode::RefundDue => "Refund owed to an investor",
        ExceptionCode::AmbiguousMatch => "Payment that fits two investments equally",
        ExceptionCode::BalanceBreak => "Bank statement does not add up",
        ExceptionCode::StaleDecision => "A recorded decision no longer fits",
        ExceptionCode::CurrencyMismatch => "Money in another currency than the investments",
    }
}

/// The words for a compliance rule code.
pub fn rule_words(code: RuleCode) -> &'static str {
    use RuleCode as R;
    match code {
        R::RegcfInvestorLimit => "Reg CF investor over the annual limit",
        R::RegcfIssuerCap => "Reg CF raise over the $5M annual cap",
        R::RegaTier2Limit => "Reg A investor over the 10% limit",
        R::Regd506bNonaccreditedCount => "Too many non-accredited investors (506(b))",
        R::Regd506cNotAccredited => "Non-accredited investor in a 506(c) offering",
        R::RegsUsPerson => "US person in a Regulation S offering",
        R::AccreditationInconsistent => "Accreditation claim contradicted by the figures",
        R::KycNotPassed => "Money taken before identity checks passed",
        R::AmlWatchlistHit => "Anti-money-laundering watchlist hit",
        R::SanctionsNameMatch => "Investor matches the OFAC sanctions list",
        R::InvestorUnderage => "Investor under 18",
        R::CountryExcluded => "Investor from an excluded country",
        R::InvestmentBelowMin => "Investment below the offering minimum",
        R::InvestmentAboveMax => "Investment above the offering maximum",
        R::InvestmentIncrement => "Investment not in the offering's increments",
        R::OfferingMaxExceeded => "Offering raised above its maximum",
        R::FundsAfterDeadline => "Money received after the offering deadline",
        R::DataMissing => "A rule could not be checked for missing data",
    }
}

/// The words for a code as written in the outputs (exception or rule code); the code itself
/// when it is neither.
pub fn code_words(code: &str) -> String {
    if let Some(r) = RuleCode::parse(code) {
        return rule_words(r).to_string();
    }
    let exc = serde_json::from_value::<ExceptionCode>(serde_json::Value::String(code.into()));
    match exc {
        Ok(c) => exception_words(c).to_string(),
        Err(_) => code.to_string(),
    }
}

/// The board pack's opening verdict, in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdict {
    /// Whether the month is reconciled (no open exception, no violation, every row read).
    pub reconciled: bool,
    /// The one-line verdict.
    pub headline: String,
    /// The sentences under it.
    pub lines: Vec<String>,
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The verdict of a run, from its report input.
pub fn verdict(input: &ReportInput<'_>) -> Verdict {
    let open = input.exceptions.len();
    let at_stake: i64 = input
        .exceptions
        .iter()
        .map(|e| e.amount_cents.saturating_abs())
        .sum();
    let violations = input
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Violation)
        .count();
    let rejects = input.rejects.len();
    let reconciled = open == 0 && violations == 0 && rejects == 0;
    let headline = if reconciled {
        format!(
            "{}: reconciled. Every statement line and investment is accounted for.",
            input.period
        )
    } else {
        let mut why = Vec::new();
        if open > 0 {
            why.push(format!(
                "{} with ${} at stake",
                plural(open, "open exception", "open exceptions"),
                format_cents(at_stake)
            ));
        }
        if violations > 0 {
            why.push(plural(
                violations,
                "compliance violation",
                "compliance violations",
            ));
        }
        if rejects > 0 {
            why.push(plural(
                rejects,
                "unreadable statement row",
                "unreadable statement rows",
            ));
        }
        format!("{}: not reconciled — {}.", input.period, why.join(", "))
    };
    let mut lines = Vec::new();
    // The open exceptions by kind, largest amount first.
    let mut by_code: BTreeMap<ExceptionCode, (usize, i64)> = BTreeMap::new();
    for e in input.exceptions {
        let g = by_code.entry(e.code).or_default();
        g.0 += 1;
        g.1 += e.amount_cents.saturating_abs();
    }
    let mut groups: Vec<(ExceptionCode, usize, i64)> =
        by_code.into_iter().map(|(c, (n, a))| (c, n, a)).collect();
    groups.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(&b.0)));
    if !groups.is_empty() {
        let parts: Vec<String> = groups
            .iter()
            .map(|(c, n, a)| format!("{} ({n}, ${})", exception_words(*c), format_cents(*a)))
            .collect();
        lines.push(format!("Open exceptions: {}.", parts.join("; ")));
    }
    if violations > 0 {
        let mut by_rule: BTreeMap<RuleCode, usize> = BTreeMap::new();
        for f in input
            .findings
            .iter()
            .filter(|f| f.severity == Severity::Violation)
        {
            *by_rule.entry(f.code).or_default() += 1;
        }
        let parts: Vec<String> = by_rule
            .iter()
            .map(|(c, n)| format!("{} ({n})", rule_words(*c)))
            .collect();
        lines.push(format!("Compliance violations: {}.", parts.join("; ")));
    } else {
        lines.push("Compliance: no violations.".into());
    }
    if let Some(c) = input.close {
        let decided = c.resolved.len();
        let kept = c.standing.len();
        if decided > 0 || kept > 0 {
            lines.push(format!(
                "Decisions this month: {} closed by a recorded decision (resolved.csv), {} kept open or cleared with a standing decision.",
                decided, kept
            ));
        }
        match c.since_last {
            Some(s) => lines.push(format!(
                "Since last month{}: {} carried in, {} of them still open; {} new this month.",
                s.previous_period_end.map(|d| format!(" ({d})")).unwrap_or_default(),
                s.carried_in,
                s.carried_still_open,
                s.new_this_period
            )),
            None => lines.push(
                "Since last month: no previous month's open items were given, so nothing is compared."
                    .into(),
            ),
        }
    }
    Verdict {
        reconciled,
        headline,
        lines,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(role: &str, name: &str, run: &str, sha: &str) -> Signoff {
        Signoff {
            role: role.into(),
            name: name.into(),
            note: None,
            signed_at: "2026-11-03T10:00:00Z".into(),
            run_id: run.into(),
            manifest_sha256: sha.into(),
        }
    }

    #[test]
    fn a_signoff_of_another_run_or_manifest_does_not_apply() {
        let f = SignoffFile {
            format: 1,
            signoffs: vec![
                s("preparer", "Ana", "old", "a"),
                s("reviewer", "Bo", "new", "x"),
            ],
        };
        assert!(f.valid("new", "b").is_empty());
        assert_eq!(f.valid("new", "x").len(), 1);
        let lines = f.lines("new", "b").join("\n");
        assert!(lines.contains("Prepared by: not signed off yet"), "{lines}");
        assert!(
            lines.contains("No longer applies: Ana signed as preparer"),
            "{lines}"
        );
    }

    #[test]
    fn every_code_has_words() {
        for c in RuleCode::ALL {
            assert_ne!(code_words(c.as_str()), c.as_str());
        }
        assert_eq!(
            code_words("AMBIGUOUS_MATCH"),
            "Payment that fits two investments equally"
        );
        assert_eq!(code_words("REJECTED_LINE"), "REJECTED_LINE");
    }
}
