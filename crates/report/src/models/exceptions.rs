//! The exceptions report: reconciliation exceptions, compliance findings, rejected rows, and
//! the next action for each.

use super::*;

table_row! {
    /// One reconciliation exception.
    ReconExceptionRow {
        /// Stable id (what a decision names).
        exception_id: String,
        /// Severity.
        severity: String,
        /// What the exception is, in words.
        issue: String,
        /// Exception code.
        code: String,
        /// Investment id.
        investment_id: Option<Id>,
        /// Statement `file#row`.
        statement: Option<String>,
        /// Amount at stake.
        amount: Money,
        /// Days between the item's date and the period end.
        age_days: Option<i64>,
        /// What happened.
        detail: String,
        /// What to do next.
        next_action: String,
        /// The standing decision (kept open, cleared), to be changed or left.
        decision: Option<String>,
        /// Investments a `match` pairs the line with (comma-separated).
        match_investment_id: Option<String>,
        /// Why.
        note: Option<String>,
        /// Who decided.
        decided_by: Option<String>,
    }
}

table_row! {
    /// One compliance finding.
    FindingRow {
        /// Stable id (what a decision names).
        exception_id: String,
        /// Severity.
        severity: String,
        /// What the rule found, in words.
        issue: String,
        /// Rule code.
        code: String,
        /// Investment id.
        investment_id: Option<Id>,
        /// Investor name.
        investor: Option<String>,
        /// Offering name.
        offering: Option<String>,
        /// Amount of the investment concerned.
        amount: Option<Money>,
        /// Regulation cited.
        citation: String,
        /// What the rule found.
        detail: String,
        /// What to do next.
        next_action: String,
        /// The standing decision (kept open, cleared), to be changed or left.
        decision: Option<String>,
        /// Not used for findings (kept so both sheets share the decision columns).
        match_investment_id: Option<String>,
        /// Why.
        note: Option<String>,
        /// Who decided.
        decided_by: Option<String>,
    }
}

table_row! {
    /// What the bank sees for one payment method, as the run read it (the money model).
    MoneyModelRow {
        /// Payment method.
        method: String,
        /// The formula, in the API's field names.
        formula: String,
        /// `fitted`, `borrowed`, `default` or `pinned`.
        basis: String,
        /// Keyed statement lines the formula explains.
        explained: i64,
        /// Keyed statement lines of the method.
        keyed: i64,
        /// Other formulas that explain as many lines.
        ties: String,
        /// What it means.
        note: String,
    }
}

table_row! {
    /// One statement line that could not be read.
    RejectRow {
        /// File.
        file: String,
        /// Row / line number.
        row: Id,
        /// Column.
        column: Option<String>,
        /// Why it failed.
        reason: String,
        /// What to do next.
        next_action: String,
    }
}

table_row! {
    /// Exceptions, findings or rejects of one code: the exceptions report summarised.
    ExceptionSummaryRow {
        /// `Reconciliation`, `Compliance` or `Rejected lines`.
        kind: String,
        /// Worst severity of the group.
        severity: String,
        /// What the items are, in words.
        issue: String,
        /// Exception or rule code (`REJECTED_LINE` for rejects).
        code: String,
        /// Number of items.
        count: i64,
        /// Absolute amount at stake (reconciliation) or of the investments concerned.
        amount: Money,
        /// What to do next.
        next_action: String,
    }
}

/// Exceptions, findings and rejects.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExceptionsReport {
    /// What the bank was read to see per payment method: every amount below is against it.
    pub money_model: Table<MoneyModelRow>,
    /// Every item summarised by kind and code (the PDF shows it when the lists are too long
    /// to print in full): reconciliation by code, then compliance by code, then rejects.
    pub summary: Table<ExceptionSummaryRow>,
    /// Reconciliation exceptions by severity, then amount (largest first).
    pub reconciliation: Table<ReconExceptionRow>,
    /// Compliance findings by severity, then amount.
    pub findings: Table<FindingRow>,
    /// Rejected statement lines.
    pub rejects: Table<RejectRow>,
}

/// The next action for a reconciliation exception code.
pub fn exception_next_action(code: ExceptionCode) -> &'static str {
    match code {
        ExceptionCode::UnmatchedInvestment => {
            "Ask the investor or the escrow agent for proof of payment; if none arrives, set the investment to not received."
        }
        ExceptionCode::UnmatchedCredit => {
            "Identify the sender from the bank's advice and link the credit to an investment, or return it."
        }
        ExceptionCode::UnmatchedDebit => {
            "Obtain the bank's debit advice and record the refund, return or disbursement it settles."
        }
        ExceptionCode::AmountMismatch => {
            "Collect the shortfall or refund the excess, or correct the investment amount on the platform."
        }
        ExceptionCode::StatusMismatch => {
            "Update the investment status on the platform to match the money movement."
        }
        ExceptionCode::DuplicatePayment => "Refund the duplicate payment to the investor.",
        ExceptionCode::RefundDue => "Send the refund and record it on the platform.",
        ExceptionCode::AmbiguousMatch => {
            "Choose the right investment: decide `match` with its id on the line's row in exceptions.xlsx and re-run with --decisions."
        }
        ExceptionCode::BalanceBreak => {
            "Request a corrected or complete statement from the bank; check for missing files or days."
        }
        ExceptionCode::StaleDecision => {
            "Read why the decision no longer fits and decide the item again in this run's exceptions.xlsx."
        }
        ExceptionCode::CurrencyMismatch => {
            "Find out why money in another currency reached the account (a wrong account, an unconverted payment) and record it by hand."
        }
    }
}

/// The next action for a compliance finding code.
pub fn finding_next_action(code: RuleCode) -> &'static str {
    use RuleCode as R;
    match code {
        R::RegcfInvestorLimit | R::RegaTier2Limit => {
            "Confirm income and net worth with the investor; cancel or reduce the investment if the limit is exceeded."
        }
        R::RegcfIssuerCap | R::OfferingMaxExceeded => {
            "Stop accepting funds and refund or reject the investments above the cap."
        }
        R::Regd506bNonaccreditedCount => {
            "Review non-accredited purchasers with counsel; no further non-accredited sales."
        }
        R::Regd506cNotAccredited => {
            "Obtain accreditation verification (230.506(c)(2)(ii)) or refund the investment."
        }
        R::RegsUsPerson => "Obtain a non-US purchaser certification or refund the investment.",
        R::AccreditationInconsistent => {
            "Ask the investor to correct the accreditation basis or figures and keep the evidence."
        }
        R::KycNotPassed => "Complete KYC before accepting the funds, or refund.",
        R::AmlWatchlistHit | R::SanctionsNameMatch => {
            "Escalate to the compliance officer; do not release funds until the match is cleared."
        }
        R::InvestorUnderage => "Refund the investment; minors may not invest.",
        R::CountryExcluded => "Refund the investment; the investor's country is excluded.",
        R::InvestmentBelowMin | R::InvestmentAboveMax | R::InvestmentIncrement => {
            "Correct the investment amount with the investor or refund it."
        }
        R::FundsAfterDeadline => "Refund the funds received after the offering deadline.",
        R::DataMissing => {
            "Obtain the missing data the finding names and re-run; until then the rule is not evaluated."
        }
    }
}

/// The next action for a rejected statement line.
pub const REJECT_NEXT_ACTION: &str =
    "Fix the line in the statement file (or ask the bank for a corrected export) and re-run.";

pub(crate) fn exceptions(ctx: &Ctx<'_>) -> ExceptionsReport {
    let last = ctx.input.period.last_day();
    let close = ctx.input.close;
    let standing = |id: &str| close.and_then(|c| c.standing.get(id));
    let mut recon: Vec<(Severity, i64, ReconExceptionRow)> = ctx
        .input
        .exceptions
        .iter()
        .zip(&ctx.exception_line_dates)
        .enumerate()
        .map(|(k, (e, line_date))| {
            let exception_id = close
                .and_then(|c| c.exception_ids.get(k).cloned())
                .unwrap_or_default();
            let decided = standing(&exception_id).cloned();
            let line_date = *line_date;
            let inv_date = e
                .investment_id
                .and_then(|id| ctx.investments.get(&id))
                .and_then(|i| receipt_date(i));
            let age = line_date.or(inv_date).map(|d| (last - d).num_days());
            let row = ReconExceptionRow {
                severity: e.severity.as_str().to_string(),
                issue: crate::close::exception_words(e.code).to_string(),
                code: e.code.as_str().to_string(),
                investment_id: e.investment_id.map(Id),
                statement: match (&e.statement_file, e.statement_row) {
                    (Some(f), Some(r)) => Some(format!("{f}#{r}")),
                    (Some(f), None) => Some(f.clone()),
                    _ => None,
                },
                amount: Money(e.amount_cents),
                age_days: age,
                detail: e.detail.clone(),
                next_action: exception_next_action(e.code).to_string(),
                decision: decided.as_ref().map(|d| d.decision.as_str().to_string()),
                match_investment_id: None,
                note: decided.as_ref().map(|d| d.note.clone()),
                decided_by: decided.as_ref().map(|d| d.decided_by.clone()),
                exception_id,
            };
            (e.severity, e.amount_cents.saturating_abs(), row)
        })
        .collect();
    recon.sort_by(|a, b| {
        (
            a.0,
            std::cmp::Reverse(a.1),
            &a.2.code,
            a.2.investment_id,
            &a.2.statement,
        )
            .cmp(&(
                b.0,
                std::cmp::Reverse(b.1),
                &b.2.code,
                b.2.investment_id,
                &b.2.statement,
            ))
    });
    let recon_rows: Vec<ReconExceptionRow> = recon.into_iter().map(|(_, _, r)| r).collect();
    // The amount at stake: credits and debits must not cancel out (the board shows the same).
    let recon_total: Cents = recon_rows.iter().map(|r| r.amount.0.saturating_abs()).sum();

    let mut findings: Vec<(Severity, Cents, &Finding, FindingRow)> = ctx
        .input
        .findings
        .iter()
        .enumerate()
        .map(|(k, f)| {
            let exception_id = close
                .and_then(|c| c.finding_ids.get(k).cloned())
                .unwrap_or_default();
            let decided = standing(&exception_id).cloned();
            let inv = f.investment_id.and_then(|id| ctx.investments.get(&id));
            let amount = inv.map(|i| ctx.amount(i));
            let investor_id = f.investor_id.or(inv.map(|i| i.investor_id));
            let offering_id = f.offering_id.or(inv.map(|i| i.offering_id));
            let row = FindingRow {
                severity: f.severity.as_str().to_string(),
                issue: crate::close::rule_words(f.code).to_string(),
                code: f.code.as_str().to_string(),
                investment_id: f.investment_id.map(Id),
                investor: investor_id.map(|id| ctx.investor_name(id)),
                offering: offering_id.map(|id| ctx.offering_name(id)),
                amount: amount.map(Money),
                citation: f.citation.clone(),
                detail: f.detail.clone(),
                next_action: finding_next_action(f.code).to_string(),
                decision: decided.as_ref().map(|d| d.decision.as_str().to_string()),
                match_investment_id: None,
                note: decided.as_ref().map(|d| d.note.clone()),
                decided_by: decided.as_ref().map(|d| d.decided_by.clone()),
                exception_id,
            };
            (f.severity, amount.unwrap_or(0).saturating_abs(), f, row)
        })
        .collect();
    findings.sort_by(|a, b| {
        (
            a.0,
            std::cmp::Reverse(a.1),
            a.2.code,
            a.2.investment_id,
            a.2.investor_id,
            a.2.offering_id,
        )
            .cmp(&(
                b.0,
                std::cmp::Reverse(b.1),
                b.2.code,
                b.2.investment_id,
                b.2.investor_id,
                b.2.offering_id,
            ))
    });
    let finding_rows: Vec<FindingRow> = findings.into_iter().map(|(.., r)| r).collect();
    let finding_total: Cents = finding_rows
        .iter()
        .filter_map(|r| r.amount.map(|m| m.0))
        .sum();

    let reject_rows: Vec<RejectRow> = ctx
        .input
        .rejects
        .iter()
        .map(|r| RejectRow {
            file: r.file.clone(),
            row: Id(i64::from(r.row)),
            column: r.column.clone(),
            reason: r.reason.clone(),
            next_action: REJECT_NEXT_ACTION.to_string(),
        })
        .collect();

    // Summary by kind and code, each group at its worst severity.
    let mut groups: BTreeMap<(u8, String), (Severity, i64, Cents, &'static str)> = BTreeMap::new();
    for e in ctx.input.exceptions {
        let g = groups.entry((0, e.code.as_str().to_string())).or_insert((
            e.severity,
            0,
            0,
            exception_next_action(e.code),
        ));
        g.0 = g.0.min(e.severity);
        g.1 += 1;
        g.2 += e.amount_cents.saturating_abs();
    }
    for f in ctx.input.findings {
        let amount = f
            .investment_id
            .and_then(|id| ctx.investments.get(&id))
            .map(|i| ctx.amount(i))
            .unwrap_or(0);
        let g = groups.entry((1, f.code.as_str().to_string())).or_insert((
            f.severity,
            0,
            0,
            finding_next_action(f.code),
        ));
        g.0 = g.0.min(f.severity);
        g.1 += 1;
        g.2 += amount.saturating_abs();
    }
    let mut summary: Vec<(u8, Severity, ExceptionSummaryRow)> = groups
        .into_iter()
        .map(|((kind, code), (sev, count, amount, next))| {
            (
                kind,
                sev,
                ExceptionSummaryRow {
                    kind: if kind == 0 {
                        "Reconciliation"
                    } else {
                        "Compliance"
                    }
                    .into(),
                    severity: sev.as_str().to_string(),
                    issue: crate::close::code_words(&code),
                    code,
                    count,
                    amount: Money(amount),
                    next_action: next.to_string(),
                },
            )
        })
        .collect();
    summary.sort_by(|a, b| {
        (a.0, a.1, std::cmp::Reverse(a.2.amount), &a.2.code).cmp(&(
            b.0,
            b.1,
            std::cmp::Reverse(b.2.amount),
            &b.2.code,
        ))
    });
    let mut summary: Vec<ExceptionSummaryRow> = summary.into_iter().map(|(.., r)| r).collect();
    if !reject_rows.is_empty() {
        summary.push(ExceptionSummaryRow {
            kind: "Rejected lines".into(),
            severity: String::new(),
            issue: "Statement rows that could not be read".into(),
            code: "REJECTED_LINE".into(),
            count: reject_rows.len() as i64,
            amount: Money(0),
            next_action: REJECT_NEXT_ACTION.to_string(),
        });
    }

    let money_model = Table {
        totals: None,
        rows: ctx
            .input
            .money_model
            .map(|m| {
                m.methods
                    .iter()
                    .map(|m| MoneyModelRow {
                        method: m.method.clone(),
                        formula: m.formula_text.clone(),
                        basis: serde_json::to_value(m.basis)
                            .ok()
                            .and_then(|v| v.as_str().map(str::to_string))
                            .unwrap_or_default(),
                        explained: m.explained as i64,
                        keyed: m.keyed as i64,
                        ties: m.ties.join("; "),
                        note: m.note.clone(),
                    })
                    .chain(m.settlements.iter().map(|s| MoneyModelRow {
                        method: format!("{} settlements", s.method),
                        formula: s.line(),
                        basis: s.basis.clone(),
                        explained: s.explained as i64,
                        keyed: s.lines as i64,
                        ties: s.cutoff_ties.join("; "),
                        note: s.note.clone(),
                    }))
                    .collect()
            })
            .unwrap_or_default(),
    };
    ExceptionsReport {
        money_model,
        summary: Table {
            totals: Some(Totals {
                label: "Total".into(),
                values: vec![(
                    "count".into(),
                    Cell::Int(summary.iter().map(|r| r.count).sum()),
                )],
            }),
            rows: summary,
        },
        reconciliation: Table {
            totals: Some(Totals {
                label: format!("Total at stake ({} exceptions)", recon_rows.len()),
                values: vec![("amount".into(), Cell::Money(recon_total))],
            }),
            rows: recon_rows,
        },
        findings: Table {
            totals: Some(Totals {
                label: format!("Total ({} findings)", finding_rows.len()),
                values: vec![("amount".into(), Cell::Money(finding_total))],
            }),
            rows: finding_rows,
        },
        rejects: Table {
            totals: Some(Totals {
                label: format!("Total ({} rejected lines)", reject_rows.len()),
                values: vec![],
            }),
            rows: reject_rows,
        },
    }
}
