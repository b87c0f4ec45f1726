//! The money trail: statement lines per account, Stripe payouts, and the planted
//! reconciliation exceptions.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate, NaiveDateTime};

use super::knobs::ReleaseShape;

mod shapes;

use super::names::roman_upper;
use super::rng::R;
use super::world::{Acct, Flow, Inv, Method, OffKind, Status, World, XPlant, at};
pub(crate) use shapes::date_closings;
use shapes::{domestic_text, intl_text, releases};

/// Statement line kind (`truth/lines.csv` `kind`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Kind {
    Wire,
    WireShortFee,
    IraWire,
    AchSingle,
    AchBatch,
    CardPayout,
    StripeSweep,
    CryptoSettlement,
    Refund,
    AchReturn,
    DisbursementOut,
    DisbursementIn,
    EscrowRelease,
    EscrowReleaseIn,
    UnknownDeposit,
    UnknownDebit,
    BankFee,
    DuplicateWire,
}

impl Kind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Kind::Wire => "wire",
            Kind::WireShortFee => "wire_short_fee",
            Kind::IraWire => "ira_wire",
            Kind::AchSingle => "ach_single",
            Kind::AchBatch => "ach_batch",
            Kind::CardPayout => "card_payout",
            Kind::StripeSweep => "stripe_sweep",
            Kind::CryptoSettlement => "crypto_settlement",
            Kind::Refund => "refund",
            Kind::AchReturn => "ach_return",
            Kind::DisbursementOut => "disbursement_out",
            Kind::DisbursementIn => "disbursement_in",
            Kind::EscrowRelease => "escrow_release",
            Kind::EscrowReleaseIn => "escrow_release_in",
            Kind::UnknownDeposit => "unknown_deposit",
            Kind::UnknownDebit => "unknown_debit",
            Kind::BankFee => "bank_fee",
            Kind::DuplicateWire => "duplicate_wire",
        }
    }
}

/// One item of an ACH batch (camt `TxDtls`).
pub(crate) struct Item {
    pub amount_c: i64,
    pub name: String,
    pub remit: String,
}

/// One statement line.
pub(crate) struct Line {
    pub date: NaiveDate,
    /// Value date (the booking date unless the world lags value dates).
    pub value_date: NaiveDate,
    pub amount_c: i64,
    pub kind: Kind,
    pub ids: Vec<i64>,
    /// BAI2 type code.
    pub bai: u16,
    /// Full bank description text (ASCII).
    pub text: String,
    /// Counterparty (originator / beneficiary) name (ASCII).
    pub party: String,
    /// Remittance information / memo.
    pub remit: String,
    pub note: String,
    pub bank_ref: String,
    pub items: Vec<Item>,
    ctr: u64,
}

/// One Stripe balance transaction in a payout.
pub(crate) struct PayItem {
    pub inv_id: i64,
    pub refund: bool,
    pub gross_c: i64,
    pub fee_c: i64,
    pub created: NaiveDateTime,
    pub avail: NaiveDate,
    pub txn: String,
    pub source: String,
    pub charge: String,
    pub pi: String,
    pub customer: String,
    pub card: bool,
    pub reference: String,
}

/// One Stripe payout (operating) or escrow sweep.
pub(crate) struct Payout {
    pub id: String,
    pub date: NaiveDate,
    pub items: Vec<PayItem>,
    pub in_report: bool,
}

/// One planted reconciliation exception.
pub(crate) struct ExRow {
    pub code: &'static str,
    pub investment_id: Option<i64>,
    pub bank_ref: Option<String>,
    pub amount_c: Option<i64>,
    pub note: String,
}

/// Everything on the bank side.
pub(crate) struct Money {
    pub lines: [Vec<Line>; 4],
    pub opening: [i64; 4],
    pub payouts: Vec<Payout>,
    pub exceptions: Vec<ExRow>,
}

impl Money {
    pub(crate) fn closing(&self, a: Acct) -> i64 {
        self.opening[a.idx()] + self.lines[a.idx()].iter().map(|l| l.amount_c).sum::<i64>()
    }
}

struct Ctx<'w> {
    w: &'w World,
    /// Every investment's reference: a mangled reference must not be another's.
    references: std::collections::HashSet<&'w str>,
    r: R,
    ctr: u64,
    lines: [Vec<Line>; 4],
    ex: Vec<ExRow>,
    /// Value-date lags (a stream of its own: the classic draws stay as they were).
    vr: R,
}

const BANKS: &[(&str, &str)] = &[
    ("JPMORGAN CHASE BANK, N.A.", "021000021"),
    ("BANK OF AMERICA, N.A.", "026009593"),
    ("WELLS FARGO BANK, N.A.", "121000248"),
    ("CITIBANK N.A.", "021000089"),
    ("U.S. BANK N.A.", "091000022"),
    ("PNC BANK, N.A.", "043000096"),
    ("TRUIST BANK", "061000104"),
    ("CHARLES SCHWAB BANK", "121202211"),
    ("FIRST REPUBLIC BANK", "321081669"),
];
const BICS: &[&str] = &[
    "DEUTDEFF", "BNPAFRPP", "CAIXESBB", "ESSESESS", "PKOPPLPW", "BARCGB22", "UBSWCHZH", "BCVNVNVX",
    "PRBAUAUK", "NBGRGRAA", "RZBRRSBG", "DBSSSGSG", "ROYCCAT2",
];
const CUSTODIANS: &[&str] = &[
    "MILLENNIUM TRUST CO",
    "EQUITY TRUST CO",
    "THE ENTRUST GROUP",
    "STRATA TRUST COMPANY",
    "INSPIRA FINANCIAL TRUST",
];
const RETURN_CODES: &[(&str, &str)] = &[
    ("R01", "INSUFFICIENT FUNDS"),
    ("R02", "ACCOUNT CLOSED"),
    ("R03", "NO ACCOUNT/UNABLE TO LOCATE ACCOUNT"),
    ("R04", "INVALID ACCOUNT NUMBER"),
    ("R10", "CUSTOMER ADVISES NOT AUTHORIZED"),
];

fn prefix(a: Acct) -> &'static str {
    match a {
        Acct::Escrow => "NCE",
        Acct::Operating => "OPR",
        Acct::Private => "PRV",
        Acct::Intl => "INT",
    }
}

impl Ctx<'_> {
    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        a: Acct,
        date: NaiveDate,
        amount_c: i64,
        kind: Kind,
        ids: Vec<i64>,
        bai: u16,
        text: String,
        party: String,
        remit: String,
        note: String,
    ) -> String {
        self.ctr += 1;
        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
        let bank_ref = format!("{}{}{:07}", prefix(a), date.format("%y%j"), self.ctr);
        let lag = self.w.knobs.value_lag_days;
        let value_date = if lag > 0 {
            date + Duration::days(self.vr.range(0, i64::from(lag)))
        } else {
            date
        };
        self.lines[a.idx()].push(Line {
            date,
            value_date,
            amount_c,
            kind,
            ids,
            bai,
            text,
            party,
            remit,
            note,
            bank_ref: bank_ref.clone(),
            items: Vec::new(),
            ctr: self.ctr,
        });
        bank_ref
    }

    fn biz_after(&self, d: NaiveDate, n: usize) -> NaiveDate {
        let b = &self.w.biz;
        let i = b.iter().position(|x| *x >= d).unwrap_or(b.len() - 1);
        b[(i + n).min(b.len() - 1)]
    }

    /// Originator name as the bank prints it, with realistic damage for clean wires.
    fn originator(&mut self, inv: &Inv, clean_only: bool) -> (String, &'static str) {
        let p = &self.w.investors[inv.investor];
        let exact = roman_upper(&p.display_name());
        if clean_only || p.entity_name.is_some() {
            return (exact, "");
        }
        match self.r.weighted(&[70, 10, 5, 6, 5, 4]) {
            1 => {
                let t: String = exact.chars().take(16).collect();
                (t.trim_end().to_string(), "originator truncated")
            }
            2 => {
                let mut c: Vec<char> = exact.chars().collect();
                if c.len() > 4 {
                    c.swap(2, 3);
                }
                (c.into_iter().collect(), "originator misspelled")
            }
            3 => (
                roman_upper(&format!("{} {}", p.spouse_first, p.last)),
                "spouse originator",
            ),
            4 => (
                format!("{} HOLDINGS LLC", roman_upper(&p.last)),
                "company originator",
            ),
            5 => (
                roman_upper(&format!("{} {}", p.last, p.first)),
                "originator last-first",
            ),
            _ => (exact, ""),
        }
    }

    /// The remittance field as the world's banks write it: the world's prefix before a
    /// reference, the field cut after `remit_max_chars` (never on planted cases, whose
    /// exception must stay decidable).
    fn remittance(&mut self, inv: &Inv, clean_only: bool) -> (String, &'static str) {
        let (r, note) = self.remittance_raw(inv, clean_only);
        let k = &self.w.knobs;
        if r.is_empty() || (k.remit_prefix.is_empty() && k.remit_max_chars == 0) {
            return (r, note);
        }
        let with_prefix = if note == "no reference" {
            r
        } else {
            format!("{}{r}", k.remit_prefix)
        };
        let max = k.remit_max_chars as usize;
        if clean_only || max == 0 || with_prefix.len() <= max {
            return (with_prefix, note);
        }
        let cut: String = with_prefix.chars().take(max).collect();
        let note = if note.is_empty() {
            "remittance cut"
        } else {
            note
        };
        (cut, note)
    }

    fn remittance_raw(&mut self, inv: &Inv, clean_only: bool) -> (String, &'static str) {
        let r = inv.reference.clone();
        if clean_only {
            return (r, "");
        }
        match self.r.weighted(&[70, 8, 7, 5, 10]) {
            1 => (r.replace('-', ""), "reference without dash"),
            2 => {
                let mut c: Vec<char> = r.chars().collect();
                let last = c.len() - 1;
                c[last] = match c[last] {
                    'O' => '0',
                    '0' => 'O',
                    'Q' => 'O',
                    'S' => '5',
                    '5' => 'S',
                    'B' => '8',
                    _ => 'X',
                };
                let mangled: String = c.into_iter().collect();
                // A typo that lands on another investment's reference is that investment's
                // reference to any reader: the line would be undecidable, so it keeps its own.
                if self.references.contains(mangled.as_str()) {
                    (r.replace('-', ""), "reference without dash")
                } else {
                    (mangled, "reference mangled")
                }
            }
            3 => (
                format!(
                    "{} INVESTMENT",
                    self.w.offerings[inv.off].name.to_uppercase()
                ),
                "no reference",
            ),
            4 => (String::new(), "no reference"),
            _ => (r, ""),
        }
    }

    fn wire(&mut self, inv: &Inv, booking: NaiveDate) {
        let o = &self.w.offerings[inv.off];
        let a = o.acct;
        let intl = o.kind == OffKind::RegS;
        let x = inv.xplant;
        let clean_only = x.is_some();
        let (mut orig, onote) = self.originator(inv, clean_only);
        let (mut remit, rnote) = self.remittance(inv, clean_only);
        // What the bank sees: what the investor paid, less any fee deducted before settlement
        // (none in the classic world).
        let mut amount = inv.net_c();
        let mut kind = if inv.method == Method::Ira {
            Kind::IraWire
        } else {
            Kind::Wire
        };
        let mut notes: Vec<String> = [onote, rnote]
            .iter()
            .filter(|s| !s.is_empty())
            .map(|s| s.to_string())
            .collect();
        let p = &self.w.investors[inv.investor];
        if inv.method == Method::Ira {
            let cust = *self.r.pick(CUSTODIANS);
            let who = roman_upper(&p.person_name());
            orig = format!("{cust} FBO {who}");
            let acct_no = self.r.digits(8);
            remit = if remit.is_empty() {
                format!("FBO {who} IRA {acct_no}")
            } else {
                format!("FBO {who} IRA {acct_no} {remit}")
            };
            notes.retain(|n| n.contains("reference"));
        }
        if let Some(XPlant::Ambiguous(other)) = x {
            let first = roman_upper(&p.first);
            orig = format!(
                "{} {}",
                first.chars().next().unwrap_or('J'),
                roman_upper(&p.last)
            );
            remit = String::new();
            notes.push(format!("ambiguous with investment {other}"));
        }
        if x.is_none() && inv.method == Method::Wire && self.r.pct(10) {
            let fee = self.r.range(10, 45) * 100;
            amount -= fee;
            kind = Kind::WireShortFee;
            notes.push(format!(
                "short by intermediary fee {}",
                super::render::fmt_money(fee)
            ));
        }
        if x == Some(XPlant::AmountMismatch) {
            let short = self.r.range(500, 2000) * 100;
            amount -= short;
            notes.push(format!("short by {}", super::render::fmt_money(short)));
        }
        let (bank, aba) = *self.r.pick(BANKS);
        let imad = format!(
            "{}MMQFMP{}{}",
            booking.format("%Y%m%d"),
            self.r.code(2),
            self.r.digits(6)
        );
        let style = self.w.knobs.descriptions;
        let text = if intl {
            let bic = *self.r.pick(BICS);
            let uetr = format!(
                "{}-{}",
                self.r.alnum(8).to_lowercase(),
                self.r.alnum(12).to_lowercase()
            );
            intl_text(style, &orig, bic, &remit, &uetr)
        } else {
            domestic_text(style, bank, aba, &orig, &remit, &imad)
        };
        let bai = 195;
        let note = notes.join("; ");
        let bref = self.push(
            a,
            booking,
            amount,
            kind,
            vec![inv.id],
            bai,
            text.clone(),
            orig.clone(),
            remit.clone(),
            note,
        );
        let id = Some(inv.id);
        match x {
            Some(XPlant::AmountMismatch) => self.ex.push(ExRow {
                code: "AMOUNT_MISMATCH",
                investment_id: id,
                bank_ref: Some(bref),
                amount_c: Some(amount),
                note: format!("expected {}", super::render::fmt_money(inv.net_c())),
            }),
            Some(XPlant::StatusMismatchArrived) => self.ex.push(ExRow {
                code: "STATUS_MISMATCH",
                investment_id: id,
                bank_ref: Some(bref),
                amount_c: Some(amount),
                note: format!("money arrived but status is {}", inv.status.wire()),
            }),
            Some(XPlant::StatusMismatchNoRefund) => self.ex.push(ExRow {
                code: "STATUS_MISMATCH",
                investment_id: id,
                bank_ref: Some(bref),
                amount_c: Some(amount),
                note: "refunded on the platform but no refund left the account".into(),
            }),
            Some(XPlant::RefundDue) => self.ex.push(ExRow {
                code: "REFUND_DUE",
                investment_id: id,
                bank_ref: Some(bref),
                amount_c: Some(amount),
                note: format!(
                    "status {} and the money was not refunded",
                    inv.status.wire()
                ),
            }),
            Some(XPlant::Ambiguous(other)) => self.ex.push(ExRow {
                code: "AMBIGUOUS_MATCH",
                investment_id: id,
                bank_ref: Some(bref),
                amount_c: Some(amount),
                note: format!("same amount, day and initials as investment {other}; no reference"),
            }),
            Some(XPlant::Duplicate) => {
                let lag = self.r.range(0, 2) as usize;
                let d2 = self.biz_after(booking, lag);
                let imad2 = format!(
                    "{}MMQFMP{}{}",
                    d2.format("%Y%m%d"),
                    self.r.code(2),
                    self.r.digits(6)
                );
                let text2 = domestic_text(style, bank, aba, &orig, &remit, &imad2);
                let b2 = self.push(
                    a,
                    d2,
                    amount,
                    Kind::DuplicateWire,
                    vec![inv.id],
                    bai,
                    text2,
                    orig,
                    remit,
                    "same wire sent twice".into(),
                );
                self.ex.push(ExRow {
                    code: "DUPLICATE_PAYMENT",
                    investment_id: id,
                    bank_ref: Some(b2),
                    amount_c: Some(amount),
                    note: "second identical wire".into(),
                });
            }
            _ => {}
        }
        if let Some(back) = inv.back {
            let who = roman_upper(&self.w.investors[inv.investor].display_name());
            let text = format!(
                "FEDWIRE DEBIT VIA: {bank} /{aba} BNF: {who} OBI: REFUND {}",
                inv.reference
            );
            let label = format!("REFUND {}", inv.reference);
            self.push(
                a,
                back,
                -amount,
                Kind::Refund,
                vec![inv.id],
                495,
                text,
                who,
                label,
                format!("refund of {}", inv.status.wire()),
            );
        }
    }
}

/// Builds all statement lines, payouts and planted exceptions.
pub(crate) fn build(w: &World, seed: u64) -> Money {
    let mut c = Ctx {
        w,
        references: w.invs.iter().map(|i| i.reference.as_str()).collect(),
        r: R::new(seed, 2),
        ctr: 0,
        lines: [Vec::new(), Vec::new(), Vec::new(), Vec::new()],
        ex: Vec::new(),
        vr: R::new(seed, 5),
    };
    let biz = w.biz.clone();
    let last_biz = *biz.last().unwrap_or(&w.period.last_day());

    // Opening balances; the escrow holds the history Reg CF money until the mid-month closing.
    let escrow_open: i64 = w
        .invs
        .iter()
        .filter(|i| {
            i.history && i.status.funds_taken() && w.offerings[i.off].kind == OffKind::RegCf
        })
        .map(|i| i.price_c())
        .sum();
    let opening = [
        escrow_open,
        12_500_000 + c.r.range(0, 50_000_000),
        5_000_000 + c.r.range(0, 20_000_000),
        1_000_000 + c.r.range(0, 5_000_000),
    ];

    // Stripe charges grouped by (account, available day); ACH direct and crypto by day.
    let mut stripe: BTreeMap<(Acct, NaiveDate), Vec<PayItem>> = BTreeMap::new();
    let mut ach: BTreeMap<NaiveDate, Vec<(i64, i64, String, String)>> = BTreeMap::new();
    let mut crypto: BTreeMap<NaiveDate, Vec<(i64, i64)>> = BTreeMap::new();
    let mut returns: Vec<(Acct, NaiveDate, i64, i64, String)> = Vec::new();
    let mut wires_in = [0i64; 4];
    for inv in &w.invs {
        let o = &w.offerings[inv.off];
        match inv.flow {
            Flow::None => {
                if inv.xplant == Some(XPlant::UnmatchedInvestment) {
                    c.ex.push(ExRow {
                        code: "UNMATCHED_INVESTMENT",
                        investment_id: Some(inv.id),
                        bank_ref: None,
                        amount_c: Some(inv.net_c()),
                        note: format!("status {} but no money arrived", inv.status.wire()),
                    });
                }
            }
            Flow::Wire { booking } => {
                wires_in[o.acct.idx()] += 1;
                c.wire(inv, booking);
            }
            Flow::Stripe { avail } => {
                let card = inv.method == Method::Card;
                let created = inv.received.unwrap_or(inv.created);
                let charge = if card {
                    format!("ch_3{}", c.r.alnum(23))
                } else {
                    format!("py_3{}", c.r.alnum(23))
                };
                let customer = format!("cus_{}", c.r.alnum(14));
                let pi = inv.pi.clone().unwrap_or_default();
                stripe.entry((o.acct, avail)).or_default().push(PayItem {
                    inv_id: inv.id,
                    refund: false,
                    gross_c: inv.price_c(),
                    fee_c: inv.proc_c,
                    created,
                    avail,
                    txn: format!("txn_3{}", c.r.alnum(23)),
                    source: charge.clone(),
                    charge: charge.clone(),
                    pi: pi.clone(),
                    customer: customer.clone(),
                    card,
                    reference: inv.reference.clone(),
                });
                if let Some(back) = inv.back {
                    if o.acct == Acct::Operating {
                        stripe.entry((o.acct, back)).or_default().push(PayItem {
                            inv_id: inv.id,
                            refund: true,
                            gross_c: -inv.price_c(),
                            fee_c: 0,
                            created: at(back, 15, 0, 0) - Duration::days(1),
                            avail: back,
                            txn: format!("txn_3{}", c.r.alnum(23)),
                            source: format!("re_3{}", c.r.alnum(23)),
                            charge,
                            pi,
                            customer,
                            card,
                            reference: inv.reference.clone(),
                        });
                    } else {
                        let who = roman_upper(&w.investors[inv.investor].display_name());
                        returns.push((o.acct, back, inv.id, inv.net_c(), who));
                    }
                }
            }
            Flow::AchDirect { settle } => {
                let who = roman_upper(&w.investors[inv.investor].display_name());
                ach.entry(settle).or_default().push((
                    inv.id,
                    inv.net_c(),
                    who.clone(),
                    inv.reference.clone(),
                ));
                if let Some(back) = inv.back {
                    if inv.status == Status::PaymentFailed {
                        returns.push((o.acct, back, inv.id, inv.net_c(), who));
                    } else {
                        let text = format!("ACH DEBIT REFUND {} {}", who, inv.reference);
                        c.push(
                            o.acct,
                            back,
                            -inv.net_c(),
                            Kind::Refund,
                            vec![inv.id],
                            451,
                            text,
                            who,
                            format!("REFUND {}", inv.reference),
                            format!("refund of {}", inv.status.wire()),
                        );
                    }
                }
            }
            Flow::Crypto { settle } => crypto
                .entry(settle)
                .or_default()
                .push((inv.id, inv.price_c())),
        }
    }

    // Stripe payouts (operating) and escrow sweeps.
    let mut payouts = Vec::new();
    for ((a, day), items) in stripe {
        let po = format!("po_1{}", c.r.alnum(23));
        let net: i64 = items.iter().map(|i| i.gross_c - i.fee_c).sum();
        let ids: Vec<i64> = items.iter().map(|i| i.inv_id).collect();
        let trace = c.r.digits(15);
        let (kind, text) = if a == Acct::Escrow {
            (
                Kind::StripeSweep,
                format!(
                    "ORIG CO NAME:STRIPE ORIG ID:4270465600 DESC DATE:{} CO ENTRY DESCR:ESCROWSWP SEC:CCD TRACE#:{trace} IND ID:{po} IND NAME:NORTH CAPITAL ESCROW FBO",
                    day.format("%y%m%d")
                ),
            )
        } else {
            (
                Kind::CardPayout,
                format!(
                    "ORIG CO NAME:STRIPE ORIG ID:1800948598 DESC DATE:{} CO ENTRY DESCR:TRANSFER SEC:CCD TRACE#:{trace} IND ID:{po} IND NAME:SOLENNE MODULAR HOMES",
                    day.format("%y%m%d")
                ),
            )
        };
        let bai = if net >= 0 { 165 } else { 455 };
        payouts.push(Payout {
            id: po.clone(),
            date: day,
            items,
            in_report: true,
        });
        c.push(
            a,
            day,
            net,
            kind,
            ids,
            bai,
            text,
            "STRIPE".into(),
            po,
            String::new(),
        );
    }
    // A few operating payouts are missing from the payout report (the engine must do subset-sum):
    // only payouts of up to 40 items (the engine's `subset_sum_max_candidates`). A payout of
    // thousands of charges without its report is beyond any search: at 100,000 investments and
    // more every payout is that large, and none is left out.
    let op: Vec<usize> = payouts
        .iter()
        .enumerate()
        .filter(|(_, p)| {
            c.lines[Acct::Operating.idx()]
                .iter()
                .any(|l| l.remit == p.id)
        })
        .map(|(i, _)| i)
        .collect();
    if op.len() >= 4 {
        let k = (op.len() / 20).max(1);
        for j in 0..k {
            let i = op[(j * 7 + 3) % op.len()];
            if payouts[i].in_report && payouts[i].items.len() <= 40 {
                payouts[i].in_report = false;
                let id = payouts[i].id.clone();
                if let Some(l) = c.lines[Acct::Operating.idx()]
                    .iter_mut()
                    .find(|l| l.remit == id)
                {
                    l.note = "payout not in payout report".into();
                }
            }
        }
    }

    // Private ACH: singles, or one batch per day when three or more settle together.
    for (day, items) in ach {
        if items.len() >= 3 {
            let total: i64 = items.iter().map(|i| i.1).sum();
            let ids = items.iter().map(|i| i.0).collect();
            let text = format!(
                "ACH SETTLEMENT BATCH {} ITEMS CO ID:9110394857 ISSUANCE INC CCD",
                items.len()
            );
            let batch_id = format!("BATCH {}", c.r.digits(7));
            c.push(
                Acct::Private,
                day,
                total,
                Kind::AchBatch,
                ids,
                166,
                text,
                "ISSUANCE INC".into(),
                batch_id,
                format!("{} items", items.len()),
            );
            if let Some(l) = c.lines[Acct::Private.idx()].last_mut() {
                l.items = items
                    .into_iter()
                    .map(|(_, a, n, r)| Item {
                        amount_c: a,
                        name: n,
                        remit: r,
                    })
                    .collect();
            }
        } else {
            for (id, amt, who, r) in items {
                let text = format!(
                    "ACH CREDIT ORIG CO NAME:{who} CO ENTRY DESCR:INVEST SEC:PPD IND ID:{r}"
                );
                c.push(
                    Acct::Private,
                    day,
                    amt,
                    Kind::AchSingle,
                    vec![id],
                    142,
                    text,
                    who,
                    r,
                    String::new(),
                );
            }
        }
    }
    for (a, day, id, amt, who) in returns {
        let (code, reason) = *c.r.pick(RETURN_CODES);
        let text = format!("ACH RETURN {code} {reason} {who}");
        let remit = format!("{code} RETURN INVESTMENT {id}");
        c.push(
            a,
            day,
            -amt,
            Kind::AchReturn,
            vec![id],
            555,
            text,
            who,
            remit,
            format!("return {code}"),
        );
    }
    let crypto_bp = i64::from(w.knobs.crypto_fee_bp);
    for (day, items) in crypto {
        let gross: i64 = items.iter().map(|i| i.1).sum();
        // Net of the converter's percentage fee on the settlement (none in the classic world).
        let total = gross - (gross * crypto_bp + 5_000) / 10_000;
        let ids = items.iter().map(|i| i.0).collect();
        let orig = if c.r.pct(70) {
            "CIRCLE INTERNET FINANCIAL"
        } else {
            "COINBASE INC"
        };
        let sref = format!("USDC SETTLEMENT {}", c.r.code(10));
        let text = format!(
            "FEDWIRE CREDIT VIA: SILVERGATE BANK /322286803 B/O: {orig} OBI: {sref} {} ITEMS",
            items.len()
        );
        c.push(
            Acct::Operating,
            day,
            total,
            Kind::CryptoSettlement,
            ids,
            195,
            text,
            orig.into(),
            sref,
            String::new(),
        );
    }
    // Escrow closing: the history Reg CF money moves to the operating account mid-month.
    if escrow_open > 0 && !biz.is_empty() && w.knobs.release == ReleaseShape::PerClosing {
        releases(&mut c);
    } else if escrow_open > 0 && !biz.is_empty() {
        let day = biz[biz.len() / 2];
        let text =
            "BOOK TRANSFER DEBIT ESCROW CLOSING DISBURSEMENT TO ISSUER OPERATING ACCT XXXXXX4417"
                .to_string();
        c.push(
            Acct::Escrow,
            day,
            -escrow_open,
            Kind::DisbursementOut,
            vec![],
            495,
            text,
            "SOLENNE MODULAR HOMES INC".into(),
            "ESCROW CLOSING".into(),
            String::new(),
        );
        let text =
            "BOOK TRANSFER CREDIT ESCROW CLOSING NORTH CAPITAL ESCROW FBO BRIGHTWATER REG CF"
                .to_string();
        c.push(
            Acct::Operating,
            day,
            escrow_open,
            Kind::DisbursementIn,
            vec![],
            195,
            text,
            "NORTH CAPITAL PRIVATE SECURITIES".into(),
            "ESCROW CLOSING".into(),
            String::new(),
        );
    }
    // Planted unknown credits and debits.
    let e = if w.invs.len() >= 60 {
        (w.invs.len() / 200).max(1)
    } else {
        0
    };
    for k in 0..e {
        let a = if k % 2 == 0 {
            Acct::Operating
        } else {
            Acct::Private
        };
        let day = biz[c.r.below(biz.len() as u64) as usize];
        let amt = c.r.range(50_000, 2_000_000) / 100 * 100 + 37;
        let (text, party) = match c.r.below(3) {
            0 => ("DEPOSIT BRANCH 0412 TELLER 07".to_string(), String::new()),
            1 => (
                format!(
                    "FEDWIRE CREDIT VIA: TRUIST BANK /061000104 B/O: R LOPEZ OBI: IMAD: {}MMQFMP{}",
                    day.format("%Y%m%d"),
                    c.r.digits(8)
                ),
                "R LOPEZ".to_string(),
            ),
            _ => ("MISC CREDIT ADJUSTMENT".to_string(), String::new()),
        };
        let bai = if text.starts_with("FEDWIRE") {
            195
        } else if text.starts_with("DEPOSIT") {
            301
        } else {
            399
        };
        let bref = c.push(
            a,
            day,
            amt,
            Kind::UnknownDeposit,
            vec![],
            bai,
            text,
            party,
            String::new(),
            "unknown deposit".into(),
        );
        c.ex.push(ExRow {
            code: "UNMATCHED_CREDIT",
            investment_id: None,
            bank_ref: Some(bref),
            amount_c: Some(amt),
            note: "deposit matches no investment".into(),
        });
        let day = biz[c.r.below(biz.len() as u64) as usize];
        let amt = c.r.range(20_000, 900_000) / 100 * 100 + 15;
        let text = format!(
            "ONLINE TRANSFER TO CHK ...{} TRANSACTION#: {}",
            c.r.digits(4),
            c.r.digits(11)
        );
        let bref = c.push(
            a,
            day,
            -amt,
            Kind::UnknownDebit,
            vec![],
            699,
            text,
            String::new(),
            String::new(),
            "unexplained debit".into(),
        );
        c.ex.push(ExRow {
            code: "UNMATCHED_DEBIT",
            investment_id: None,
            bank_ref: Some(bref),
            amount_c: Some(-amt),
            note: "debit matches no refund, return or disbursement".into(),
        });
    }
    // Bank fees on the last business day.
    for a in Acct::ALL {
        let fee = [3_500, 2_500, 4_500, 6_000][a.idx()];
        c.push(
            a,
            last_biz,
            -fee,
            Kind::BankFee,
            vec![],
            698,
            "MONTHLY SERVICE FEE".into(),
            String::new(),
            String::new(),
            String::new(),
        );
        if wires_in[a.idx()] > 0 {
            let per = if a == Acct::Intl { 2_500 } else { 1_500 };
            let n = wires_in[a.idx()];
            c.push(
                a,
                last_biz,
                -(n * per),
                Kind::BankFee,
                vec![],
                698,
                format!("INCOMING WIRE FEES {n} @ {}", super::render::fmt_money(per)),
                String::new(),
                String::new(),
                String::new(),
            );
        }
    }
    for l in c.lines.iter_mut() {
        l.sort_by_key(|x| (x.date, x.ctr));
    }
    Money {
        lines: c.lines,
        opening,
        payouts,
        exceptions: c.ex,
    }
}
