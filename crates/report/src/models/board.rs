//! The board pack: progress by offering, reconciliation status, exception ages, top issues.

use super::*;

table_row! {
    /// Raise progress of one offering.
    ProgressRow {
        /// Offering.
        offering: String,
        /// Type.
        offering_type: String,
        /// Target.
        target: Option<Money>,
        /// Maximum.
        maximum: Option<Money>,
        /// Funds received (funds taken, incl. accepted).
        received: Money,
        /// Accepted.
        accepted: Money,
        /// Received / target.
        pct_target: Option<Pct>,
        /// Received / maximum.
        pct_maximum: Option<Pct>,
    }
}

table_row! {
    /// One line of the reconciliation status.
    StatusRow {
        /// What.
        item: String,
        /// Count.
        count: Option<i64>,
        /// Amount.
        amount: Option<Money>,
        /// Share.
        share: Option<Pct>,
    }
}

table_row! {
    /// One group of compliance findings.
    IssueRow {
        /// Rule code.
        code: String,
        /// Worst severity.
        severity: String,
        /// Findings.
        count: i64,
        /// Amount of investments concerned.
        amount: Money,
        /// Citation.
        citation: String,
    }
}

/// One day of the cumulative chart.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DailyPoint {
    /// Day.
    pub date: NaiveDate,
    /// Received that day.
    pub amount: Money,
    /// Cumulative over the period.
    pub cumulative: Money,
}

/// The board pack.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BoardReport {
    /// Progress by offering.
    pub progress: Table<ProgressRow>,
    /// Funds received in the period by method.
    pub by_method: Table<MethodRow>,
    /// Every day of the period.
    pub daily: Vec<DailyPoint>,
    /// Reconciliation status.
    pub reconciliation: Table<StatusRow>,
    /// Open exceptions by age.
    pub exception_age: Table<StatusRow>,
    /// Top compliance issues (at most 8).
    pub top_issues: Table<IssueRow>,
}

pub(crate) fn board(ctx: &Ctx<'_>, funds: &FundsReceived) -> BoardReport {
    let period = &ctx.input.period;
    // Progress.
    let mut progress = Vec::new();
    for o in &ctx.input.book.offerings {
        let invs = ctx
            .input
            .book
            .investments
            .iter()
            .filter(|i| i.offering_id == o.id);
        let mut received = 0;
        let mut accepted = 0;
        for i in invs {
            if i.status.funds_taken() {
                received += ctx.amount(i);
            }
            if i.status.is_accepted() {
                accepted += ctx.amount(i);
            }
        }
        let target = opt_cents(o.target_amount);
        let maximum = opt_cents(o.max_amount);
        progress.push(ProgressRow {
            offering: o.name.clone(),
            offering_type: o.offering_type.to_string(),
            target: target.map(Money),
            maximum: maximum.map(Money),
            received: Money(received),
            accepted: Money(accepted),
            pct_target: target.and_then(|t| Pct::of(i128::from(received), i128::from(t))),
            pct_maximum: maximum.and_then(|t| Pct::of(i128::from(received), i128::from(t))),
        });
    }
    let progress_totals = Totals {
        label: "Total".into(),
        values: vec![
            (
                "received".into(),
                Cell::Money(progress.iter().map(|r| r.received.0).sum()),
            ),
            (
                "accepted".into(),
                Cell::Money(progress.iter().map(|r| r.accepted.0).sum()),
            ),
        ],
    };

    // Daily cumulative.
    let mut per_day: BTreeMap<NaiveDate, Cents> = BTreeMap::new();
    for r in &funds.receipts.rows {
        *per_day.entry(r.date).or_default() += r.amount.0;
    }
    let mut daily = Vec::new();
    let mut cum = 0;
    let mut d = period.first_day();
    let period_last = period.last_day();
    while d <= period_last {
        let amt = per_day.get(&d).copied().unwrap_or(0);
        cum += amt;
        daily.push(DailyPoint {
            date: d,
            amount: Money(amt),
            cumulative: Money(cum),
        });
        match d.succ_opt() {
            Some(n) => d = n,
            None => break,
        }
    }

    // Reconciliation status.
    let matched: HashSet<(&str, u32)> = ctx
        .input
        .matches
        .iter()
        .map(|m| (m.statement_file.as_str(), m.statement_row))
        .collect();
    let credits: Vec<_> = ctx
        .input
        .statement_lines
        .iter()
        .filter(|l| l.amount_cents > 0)
        .collect();
    let debits: Vec<_> = ctx
        .input
        .statement_lines
        .iter()
        .filter(|l| l.amount_cents < 0)
        .collect();
    let credit_total: Cents = credits.iter().map(|l| l.amount_cents).sum();
    let matched_credits: Vec<_> = credits
        .iter()
        .filter(|l| matched.contains(&(l.file.as_str(), l.statement_row)))
        .collect();
    let matched_credit_total: Cents = matched_credits.iter().map(|l| l.amount_cents).sum();
    let debit_total: Cents = debits.iter().map(|l| l.amount_cents).sum();
    let matched_debits: Vec<_> = debits
        .iter()
        .filter(|l| matched.contains(&(l.file.as_str(), l.statement_row)))
        .collect();
    let matched_debit_total: Cents = matched_debits.iter().map(|l| l.amount_cents).sum();
    let open: &[tieout_reconcile::model::ExceptionRow] = ctx.input.exceptions;
    let open_total: Cents = open.iter().map(|e| e.amount_cents.saturating_abs()).sum();
    let st =
        |item: &str, count: Option<i64>, amount: Option<Cents>, share: Option<Pct>| StatusRow {
            item: item.to_string(),
            count,
            amount: amount.map(Money),
            share,
        };
    let reconciliation = vec![
        st(
            "Statement credits",
            Some(credits.len() as i64),
            Some(credit_total),
            None,
        ),
        st(
            "Credits matched to investments",
            Some(matched_credits.len() as i64),
            Some(matched_credit_total),
            Pct::of(i128::from(matched_credit_total), i128::from(credit_total)),
        ),
        st(
            "Statement debits",
            Some(debits.len() as i64),
            Some(debit_total),
            None,
        ),
        st(
            "Debits matched",
            Some(matched_debits.len() as i64),
            Some(matched_debit_total),
            Pct::of(i128::from(matched_debit_total), i128::from(debit_total)),
        ),
        st(
            "Open exceptions (absolute amounts)",
            Some(open.len() as i64),
            Some(open_total),
            None,
        ),
        st(
            "Rejected statement lines",
            Some(ctx.input.rejects.len() as i64),
            None,
            None,
        ),
    ];
    let mut buckets = [(0i64, 0 as Cents); 5];
    let labels = [
        "0–7 days",
        "8–30 days",
        "31–60 days",
        "over 60 days",
        "age unknown",
    ];
    for r in &ctx_exceptions_ages(ctx) {
        let idx = match r.0 {
            Some(a) if a <= 7 => 0,
            Some(a) if a <= 30 => 1,
            Some(a) if a <= 60 => 2,
            Some(_) => 3,
            None => 4,
        };
        buckets[idx].0 += 1;
        buckets[idx].1 += r.1.saturating_abs();
    }
    let exception_age: Vec<StatusRow> = labels
        .iter()
        .zip(buckets)
        .map(|(l, (c, a))| {
            st(
                l,
                Some(c),
                Some(a),
                Pct::of(i128::from(a), i128::from(open_total)),
            )
        })
        .collect();

    // Top issues.
    let mut groups: BTreeMap<RuleCode, (Severity, i64, Cents, String)> = BTreeMap::new();
    for f in ctx.input.findings {
        let amt = f
            .investment_id
            .and_then(|id| ctx.investments.get(&id))
            .map(|i| ctx.amount(i))
            .unwrap_or(0);
        let e = groups
            .entry(f.code)
            .or_insert((f.severity, 0, 0, f.citation.clone()));
        e.0 = e.0.min(f.severity);
        e.1 += 1;
        e.2 += amt;
    }
    let mut issues: Vec<IssueRow> = groups
        .into_iter()
        .map(|(code, (sev, count, amount, citation))| IssueRow {
            code: code.as_str().to_string(),
            severity: sev.as_str().to_string(),
            count,
            amount: Money(amount),
            citation,
        })
        .collect();
    let sev_rank = |s: &str| match s {
        "violation" => 0,
        "warning" => 1,
        _ => 2,
    };
    issues.sort_by(|a, b| {
        (
            sev_rank(&a.severity),
            std::cmp::Reverse(a.count),
            std::cmp::Reverse(a.amount),
            &a.code,
        )
            .cmp(&(
                sev_rank(&b.severity),
                std::cmp::Reverse(b.count),
                std::cmp::Reverse(b.amount),
                &b.code,
            ))
    });
    issues.truncate(8);

    BoardReport {
        progress: Table {
            rows: progress,
            totals: Some(progress_totals),
        },
        by_method: funds.by_method.clone(),
        daily,
        reconciliation: Table {
            rows: reconciliation,
            totals: None,
        },
        exception_age: Table {
            rows: exception_age,
            totals: Some(Totals {
                label: "Total".into(),
                values: vec![
                    ("count".into(), Cell::Int(open.len() as i64)),
                    ("amount".into(), Cell::Money(open_total)),
                ],
            }),
        },
        top_issues: Table {
            rows: issues,
            totals: None,
        },
    }
}

/// (age in days, amount) of every open exception.
pub(crate) fn ctx_exceptions_ages(ctx: &Ctx<'_>) -> Vec<(Option<i64>, Cents)> {
    let last = ctx.input.period.last_day();
    ctx.input
        .exceptions
        .iter()
        .zip(&ctx.exception_line_dates)
        .map(|(e, line_date)| {
            let line_date = *line_date;
            let inv_date = e
                .investment_id
                .and_then(|id| ctx.investments.get(&id))
                .and_then(|i| receipt_date(i));
            (
                line_date.or(inv_date).map(|d| (last - d).num_days()),
                e.amount_cents,
            )
        })
        .collect()
}
