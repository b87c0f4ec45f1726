//! Funds received in the period: every receipt, by day and method, by method.

use super::*;

table_row! {
    /// One receipt (an investment whose funds arrived in the period).
    ReceiptRow {
        /// Date received.
        date: NaiveDate,
        /// Payment method (wire value).
        method: String,
        /// Investment id.
        investment_id: Id,
        /// Investor name.
        investor: String,
        /// Offering name.
        offering: String,
        /// Investment status.
        status: String,
        /// Amount invested.
        amount: Money,
        /// Running total over the period.
        running_total: Money,
        /// Matched statement line(s) as `file#row`.
        statement: Option<String>,
        /// Bank reference of the matched line(s).
        bank_ref: Option<String>,
        /// Cents of the line(s) attributed to this investment.
        bank_amount: Option<Money>,
        /// Match rule(s).
        match_rule: Option<String>,
    }
}

table_row! {
    /// Receipts of one day and payment method.
    DayMethodRow {
        /// Day.
        date: NaiveDate,
        /// Payment method.
        method: String,
        /// Number of receipts.
        count: i64,
        /// Amount.
        amount: Money,
        /// Running total over the period after this line.
        running_total: Money,
    }
}

table_row! {
    /// Receipts of one payment method.
    MethodRow {
        /// Payment method.
        method: String,
        /// Number of receipts.
        count: i64,
        /// Amount.
        amount: Money,
        /// Share of the period's receipts.
        share: Option<Pct>,
    }
}

/// Funds received in the period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FundsReceived {
    /// Every receipt, by date, method, investment id.
    pub receipts: Table<ReceiptRow>,
    /// Subtotals by day and method.
    pub by_day_method: Table<DayMethodRow>,
    /// Subtotals by method.
    pub by_method: Table<MethodRow>,
}

impl FundsReceived {
    /// Indices into `receipts.rows` of the `k` largest receipts (ties by position), in the
    /// table's own order (date, method, investment id).
    pub fn largest(&self, k: usize) -> Vec<usize> {
        let rows = &self.receipts.rows;
        let mut idx = top_k(rows.len(), k, |a, b| rows[b].amount.cmp(&rows[a].amount));
        idx.sort_unstable();
        idx
    }
}

pub(crate) fn funds_received(ctx: &Ctx<'_>) -> FundsReceived {
    let period = &ctx.input.period;
    // Credit matches by investment, in input order: a receipt shows the money that came in;
    // a later refund or return debit is not part of the receipt.
    // Sorted by investment id, input order within one (a stable sort), searched by range.
    let mut matches: Vec<&tieout_reconcile::model::MatchRow> = ctx
        .input
        .matches
        .iter()
        .filter(|m| m.bank_cents > 0)
        .collect();
    matches.sort_by_key(|m| m.investment_id);
    let matches_of = |id: i64| {
        let from = matches.partition_point(|m| m.investment_id < id);
        let to = from + matches[from..].partition_point(|m| m.investment_id == id);
        &matches[from..to]
    };
    let mut receipts: Vec<(NaiveDate, &str, i64, &Investment)> = ctx
        .input
        .book
        .investments
        .iter()
        .filter(|i| counts_as_receipt(i))
        .filter_map(|i| receipt_date(i).map(|d| (d, method_str(&i.payment_method), i.id, i)))
        .filter(|(d, ..)| period.contains(*d))
        .collect();
    // By date, method label, id: the labels ranked once so the sort compares integers.
    let labels: Vec<&str> = receipts
        .iter()
        .map(|r| r.1)
        .collect::<BTreeSet<&str>>()
        .into_iter()
        .collect();
    let rank = |m: &str| labels.binary_search(&m).unwrap_or(usize::MAX);
    receipts.sort_by_cached_key(|r| (r.0, rank(r.1), r.2));

    let mut running = 0;
    let mut rows = Vec::with_capacity(receipts.len());
    let mut by_day: Vec<DayMethodRow> = Vec::new();
    let mut by_method: BTreeMap<&str, (i64, Cents)> = BTreeMap::new();
    for (date, method, id, inv) in receipts {
        use std::borrow::Cow;
        let c = ctx.amount(inv);
        running += c;
        let ms = matches_of(id);
        rows.push(ReceiptRow {
            date,
            method: method.to_string(),
            investment_id: Id(id),
            investor: ctx.investor_name(inv.investor_id),
            offering: ctx.offering_name(inv.offering_id),
            status: inv.status.to_string(),
            amount: Money(c),
            running_total: Money(running),
            statement: join_distinct(
                ms.iter()
                    .map(|m| Cow::Owned(format!("{}#{}", m.statement_file, m.statement_row))),
            ),
            bank_ref: join_distinct(
                ms.iter()
                    .filter_map(|m| m.statement_ref.as_deref().map(Cow::Borrowed)),
            ),
            bank_amount: (!ms.is_empty()).then(|| Money(ms.iter().map(|m| m.bank_cents).sum())),
            match_rule: join_distinct(ms.iter().map(|m| Cow::Borrowed(m.rule.as_str()))),
        });
        match by_day.last_mut() {
            Some(last) if last.date == date && last.method.as_str() == method => {
                last.count += 1;
                last.amount.0 += c;
                last.running_total = Money(running);
            }
            _ => by_day.push(DayMethodRow {
                date,
                method: method.to_string(),
                count: 1,
                amount: Money(c),
                running_total: Money(running),
            }),
        }
        let e = by_method.entry(method).or_default();
        e.0 += 1;
        e.1 += c;
    }
    let total_count = rows.len() as i64;
    let matched_bank: Cents = rows.iter().filter_map(|r| r.bank_amount.map(|m| m.0)).sum();
    let receipts_totals = Totals {
        label: format!("Total ({total_count} receipts)"),
        values: vec![
            ("amount".into(), Cell::Money(running)),
            ("bank_amount".into(), Cell::Money(matched_bank)),
        ],
    };
    let day_totals = Totals {
        label: "Total".into(),
        values: vec![
            ("count".into(), Cell::Int(total_count)),
            ("amount".into(), Cell::Money(running)),
        ],
    };
    let method_rows: Vec<MethodRow> = by_method
        .into_iter()
        .map(|(method, (count, amount))| MethodRow {
            method: method.to_string(),
            count,
            amount: Money(amount),
            share: Pct::of(i128::from(amount), i128::from(running)),
        })
        .collect();
    let method_totals = Totals {
        label: "Total".into(),
        values: vec![
            ("count".into(), Cell::Int(total_count)),
            ("amount".into(), Cell::Money(running)),
            (
                "share".into(),
                Pct::of(i128::from(running), i128::from(running)).map_or(Cell::Empty, Cell::from),
            ),
        ],
    };
    FundsReceived {
        receipts: Table {
            rows,
            totals: Some(receipts_totals),
        },
        by_day_method: Table {
            rows: by_day,
            totals: Some(day_totals),
        },
        by_method: Table {
            rows: method_rows,
            totals: Some(method_totals),
        },
    }
}
