//! The investor register: one row per investor, and the same investments by offering.

use super::*;

table_row! {
    /// One investor in the register.
    InvestorRow {
        /// Investor id.
        investor_id: Id,
        /// Full name.
        name: String,
        /// Investor type (wire value).
        investor_type: String,
        /// KYC status (wire value).
        kyc_status: String,
        /// `yes` / `no` / empty when not stated.
        accredited: String,
        /// Accreditation basis.
        accreditation_type: Option<String>,
        /// Country (ISO alpha-2).
        country: Option<String>,
        /// US state / region.
        state: Option<String>,
        /// Date of birth (this report only).
        date_of_birth: Option<NaiveDate>,
        /// Tax id masked to the last four.
        tax_id: Option<String>,
        /// Number of investments.
        investments: i64,
        /// Started / not received.
        pending: Money,
        /// Received, invested or approved (held, not yet accepted).
        held: Money,
        /// Accepted (incl. escrow closed).
        accepted: Money,
        /// Refunded.
        refunded: Money,
        /// Cancelled, failed, not approved or unknown status.
        void: Money,
        /// Total of all investments.
        total: Money,
        /// Shares incl. bonus shares of investments with funds taken.
        shares: i64,
    }
}

table_row! {
    /// The holdings of one offering: the register summarised by offering.
    OfferingHoldingRow {
        /// Offering id.
        offering_id: Id,
        /// Offering name.
        offering: String,
        /// Offering type (wire value).
        offering_type: String,
        /// Distinct investors with an investment in the offering.
        investors: i64,
        /// Number of investments.
        investments: i64,
        /// Started / not received.
        pending: Money,
        /// Received, invested or approved.
        held: Money,
        /// Accepted (incl. escrow closed).
        accepted: Money,
        /// Refunded.
        refunded: Money,
        /// Cancelled, failed, not approved or unknown status.
        void: Money,
        /// Total of all investments.
        total: Money,
        /// Shares incl. bonus shares of investments with funds taken.
        shares: i64,
    }
}

/// The investor register.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InvestorRegister {
    /// One row per investor, by id.
    pub investors: Table<InvestorRow>,
    /// The same investments summarised by offering, by offering id (the PDF shows it when the
    /// register is too long to list in full).
    pub by_offering: Table<OfferingHoldingRow>,
}

impl InvestorRegister {
    /// Indices into `investors.rows` of the `k` investors with the largest totals (largest
    /// first, ties by investor id).
    pub fn largest(&self, k: usize) -> Vec<usize> {
        let rows = &self.investors.rows;
        top_k(rows.len(), k, |a, b| {
            rows[b]
                .total
                .cmp(&rows[a].total)
                .then(rows[a].investor_id.cmp(&rows[b].investor_id))
        })
    }
}

/// The first `k` of `0..n` under the total order `cmp`, sorted by it.
pub(crate) fn top_k(
    n: usize,
    k: usize,
    cmp: impl Fn(usize, usize) -> std::cmp::Ordering,
) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..n).collect();
    let cmp = |a: &usize, b: &usize| cmp(*a, *b).then(a.cmp(b));
    if k < n {
        if k == 0 {
            return Vec::new();
        }
        idx.select_nth_unstable_by(k - 1, cmp);
        idx.truncate(k);
    }
    idx.sort_unstable_by(cmp);
    idx
}

/// The register's status buckets: 0 pending, 1 held, 2 accepted, 3 refunded, 4 void.
pub(crate) fn bucket(status: &InvestmentStatus) -> usize {
    use InvestmentStatus as S;
    match status {
        S::Started | S::NotReceived => 0,
        S::Received | S::Invested | S::Approved => 1,
        S::Accepted | S::AcceptedEscrowClosed => 2,
        S::Refunded => 3,
        S::Cancelled | S::PaymentFailed | S::NotApproved | S::Other(_) => 4,
    }
}

/// The cents of bucket `b` (see [`bucket`]) among a row's five amounts.
pub(crate) fn bucket_mut<'a>(
    pending: &'a mut Money,
    held: &'a mut Money,
    accepted: &'a mut Money,
    refunded: &'a mut Money,
    void: &'a mut Money,
    b: usize,
) -> &'a mut Cents {
    match b {
        0 => &mut pending.0,
        1 => &mut held.0,
        2 => &mut accepted.0,
        3 => &mut refunded.0,
        _ => &mut void.0,
    }
}

pub(crate) fn investor_register(ctx: &Ctx<'_>) -> InvestorRegister {
    // Rows in a vector with an id → position index (a later investor with the same id
    // replaces the earlier one); sorted by id at the end.
    let mut rows: Vec<InvestorRow> = Vec::with_capacity(ctx.input.book.investors.len());
    let mut at: HashMap<i64, usize> = HashMap::with_capacity(ctx.input.book.investors.len());
    let mut offerings: BTreeMap<i64, (OfferingHoldingRow, Vec<i64>)> = BTreeMap::new();
    for i in &ctx.input.book.investors {
        let row = InvestorRow {
            investor_id: Id(i.id),
            name: i.full_name(),
            investor_type: i.investor_type.to_string(),
            kyc_status: i.kyc_status.to_string(),
            accredited: yes_no(i.accredited),
            accreditation_type: i.accreditation_type.as_ref().map(|a| a.to_string()),
            country: i.country.clone(),
            state: i.state.clone(),
            date_of_birth: i.date_of_birth,
            tax_id: i
                .tax_id
                .as_deref()
                .map(mask_tax_id)
                .filter(|s| !s.is_empty()),
            investments: 0,
            pending: Money(0),
            held: Money(0),
            accepted: Money(0),
            refunded: Money(0),
            void: Money(0),
            total: Money(0),
            shares: 0,
        };
        match at.get(&i.id) {
            Some(&p) => rows[p] = row,
            None => {
                at.insert(i.id, rows.len());
                rows.push(row);
            }
        }
    }
    for inv in &ctx.input.book.investments {
        let p = *at.entry(inv.investor_id).or_insert_with(|| {
            rows.push(InvestorRow {
                investor_id: Id(inv.investor_id),
                name: ctx.investor_name(inv.investor_id),
                investor_type: String::new(),
                kyc_status: String::new(),
                accredited: String::new(),
                accreditation_type: None,
                country: None,
                state: None,
                date_of_birth: None,
                tax_id: None,
                investments: 0,
                pending: Money(0),
                held: Money(0),
                accepted: Money(0),
                refunded: Money(0),
                void: Money(0),
                total: Money(0),
                shares: 0,
            });
            rows.len() - 1
        });
        let row = &mut rows[p];
        let c = ctx.amount(inv);
        let shares = if inv.status.funds_taken() {
            inv.quantity.unwrap_or(0) + inv.bonus_shares.unwrap_or(0)
        } else {
            0
        };
        let b = bucket(&inv.status);
        row.investments += 1;
        row.total.0 += c;
        *bucket_mut(
            &mut row.pending,
            &mut row.held,
            &mut row.accepted,
            &mut row.refunded,
            &mut row.void,
            b,
        ) += c;
        row.shares += shares;

        let o = offerings.entry(inv.offering_id).or_insert_with(|| {
            (
                OfferingHoldingRow {
                    offering_id: Id(inv.offering_id),
                    offering: ctx.offering_name(inv.offering_id),
                    offering_type: ctx
                        .offerings
                        .get(&inv.offering_id)
                        .map(|o| o.offering_type.to_string())
                        .unwrap_or_default(),
                    investors: 0,
                    investments: 0,
                    pending: Money(0),
                    held: Money(0),
                    accepted: Money(0),
                    refunded: Money(0),
                    void: Money(0),
                    total: Money(0),
                    shares: 0,
                },
                Vec::new(),
            )
        });
        o.0.investments += 1;
        o.0.total.0 += c;
        let r = &mut o.0;
        *bucket_mut(
            &mut r.pending,
            &mut r.held,
            &mut r.accepted,
            &mut r.refunded,
            &mut r.void,
            b,
        ) += c;
        r.shares += shares;
        o.1.push(inv.investor_id);
    }
    let by_offering: Vec<OfferingHoldingRow> = offerings
        .into_values()
        .map(|(mut row, mut holders)| {
            holders.sort_unstable();
            holders.dedup();
            row.investors = holders.len() as i64;
            row
        })
        .collect();
    // By id; usually already so (a stable sort of sorted input is one linear pass).
    rows.sort_by_key(|r| r.investor_id);
    let sum = |f: fn(&InvestorRow) -> i64| rows.iter().map(f).sum::<i64>();
    let totals = Totals {
        label: format!("Total ({} investors)", rows.len()),
        values: vec![
            ("investments".into(), Cell::Int(sum(|r| r.investments))),
            ("pending".into(), Cell::Money(sum(|r| r.pending.0))),
            ("held".into(), Cell::Money(sum(|r| r.held.0))),
            ("accepted".into(), Cell::Money(sum(|r| r.accepted.0))),
            ("refunded".into(), Cell::Money(sum(|r| r.refunded.0))),
            ("void".into(), Cell::Money(sum(|r| r.void.0))),
            ("total".into(), Cell::Money(sum(|r| r.total.0))),
            ("shares".into(), Cell::Int(sum(|r| r.shares))),
        ],
    };
    let osum = |f: fn(&OfferingHoldingRow) -> i64| by_offering.iter().map(f).sum::<i64>();
    let offering_totals = Totals {
        label: "Total".into(),
        values: vec![
            ("investments".into(), Cell::Int(osum(|r| r.investments))),
            ("pending".into(), Cell::Money(osum(|r| r.pending.0))),
            ("held".into(), Cell::Money(osum(|r| r.held.0))),
            ("accepted".into(), Cell::Money(osum(|r| r.accepted.0))),
            ("refunded".into(), Cell::Money(osum(|r| r.refunded.0))),
            ("void".into(), Cell::Money(osum(|r| r.void.0))),
            ("total".into(), Cell::Money(osum(|r| r.total.0))),
            ("shares".into(), Cell::Int(osum(|r| r.shares))),
        ],
    };
    InvestorRegister {
        investors: Table {
            rows,
            totals: Some(totals),
        },
        by_offering: Table {
            rows: by_offering,
            totals: Some(offering_totals),
        },
    }
}
