//! The builder's ordinary investments, and the finished world.

use super::*;
use chrono::Timelike;

/// The extra business days of a batched settlement (processor payout, direct ACH, crypto): with
/// a processor cutoff, one day for a receipt at or after the cutoff hour (UTC) and none before
/// it; without one, the per-item draw.
fn batch_extra(cutoff_hour: u32, received: NaiveDateTime, drawn: usize) -> usize {
    if cutoff_hour == 0 {
        drawn
    } else {
        usize::from(received.hour() >= cutoff_hour)
    }
}

impl Builder<'_> {
    /// Core investment creation with money timing. `status` decides whether money moves.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn push_inv(
        &mut self,
        off: usize,
        investor: usize,
        amount: i64,
        method: Method,
        status: Status,
        history: bool,
        xplant: Option<XPlant>,
        forced_day: Option<usize>,
    ) -> usize {
        let kind = self.world.offerings[off].kind;
        let (fees, proc_) = self.fees(method, amount);
        let p = self.cfg.period;
        let first = p.first_day();
        let last = p.last_day();
        let last_recv = self.world.offerings[off].last_received;
        let biz = self.world.biz.clone();
        let cutoff = self.cfg.world.settle_cutoff_hour;
        let nb_ok = biz.iter().filter(|d| **d <= last_recv).count().max(1);
        let r = &mut self.r;

        // Does money arrive on the statements?
        let money = if history {
            false
        } else {
            match xplant {
                Some(XPlant::UnmatchedInvestment) => false,
                Some(_) => true,
                None => match status {
                    s if s.funds_taken() => true,
                    Status::Refunded | Status::NotApproved => true,
                    Status::PaymentFailed => method == Method::Ach && kind != OffKind::RegA,
                    _ => false,
                },
            }
        };
        let lag = match method {
            Method::Card => 2,
            Method::Ach => {
                if kind == OffKind::RegCf || kind == OffKind::RegA {
                    4
                } else {
                    2
                }
            }
            Method::Crypto => 1,
            _ => 0,
        };
        // The world's extra bank lag (clean, current investments only; drawn only when the
        // world has one, so the classic draws stay as they were).
        let lag_knob = i64::from(self.cfg.world.bank_lag_days);
        let extra = if lag_knob > 0 && !history && xplant.is_none() {
            r.range(0, lag_knob) as usize
        } else {
            0
        };
        let mut flow = Flow::None;
        let created;
        let mut received = None;
        let mut back = None;
        if history {
            let d = first - Duration::days(r.range(10, 330));
            let t = day_time(r, d);
            created = t - Duration::hours(r.range(1, 96));
            if status.funds_taken() {
                received = Some(t);
            }
        } else if money || status.funds_taken() {
            let hi = nb_ok.saturating_sub(1 + lag + extra);
            let bi = forced_day
                .unwrap_or_else(|| r.below(hi as u64 + 1) as usize)
                .min(biz.len() - 1);
            let day = biz[bi];
            match method {
                Method::Wire | Method::Ira => {
                    // The platform marks a wire received up to 2 days before (investor's
                    // confirmation) or 3 days after the bank books it.
                    let mut rd = day + Duration::days(r.range(-2, 3));
                    if rd > last_recv || rd < first {
                        rd = day;
                    }
                    let t = day_time(r, rd);
                    received = Some(t);
                    flow = Flow::Wire {
                        booking: biz[(bi + extra).min(biz.len() - 1)],
                    };
                }
                Method::Card | Method::Ach => {
                    let t = day_time(r, day);
                    received = Some(t);
                    let extra = batch_extra(cutoff, t, extra);
                    let settle = biz[(bi + lag + extra).min(biz.len() - 1)];
                    flow = if kind == OffKind::RegCf || kind == OffKind::RegA {
                        Flow::Stripe { avail: settle }
                    } else {
                        Flow::AchDirect { settle }
                    };
                }
                Method::Crypto => {
                    let t = day_time(r, day);
                    received = Some(t);
                    let extra = batch_extra(cutoff, t, extra);
                    flow = Flow::Crypto {
                        settle: biz[(bi + 1 + extra).min(biz.len() - 1)],
                    };
                }
            }
            let t = received.unwrap_or_else(|| at(day, 15, 0, 0));
            created = (t - Duration::minutes(r.range(5, 60 * 24 * 5))).max(at(
                first - Duration::days(20),
                14,
                0,
                0,
            ));
            if !money {
                flow = Flow::None;
            }
            if matches!(status, Status::PaymentFailed | Status::NotReceived) {
                received = None;
            }
            // Money going back: refunds and ACH returns (clean cases only).
            let settle_day = match flow {
                Flow::Wire { booking } => Some(booking),
                Flow::Stripe { avail } => Some(avail),
                Flow::AchDirect { settle } => Some(settle),
                Flow::Crypto { settle } => Some(settle),
                Flow::None => None,
            };
            if let Some(sd) = settle_day {
                let returns = xplant.is_none()
                    && (matches!(status, Status::Refunded | Status::NotApproved)
                        || (status == Status::PaymentFailed && method == Method::Ach));
                if returns {
                    let si = biz.iter().position(|d| *d == sd).unwrap_or(0);
                    back = Some(biz[(si + r.range(1, 5) as usize).min(biz.len() - 1)]);
                }
            }
        } else {
            let d = first + Duration::days(r.range(0, (last - first).num_days()));
            created = day_time(r, d);
        }
        let created = created.min(at(last, 23, 0, 0));
        let mut invested = None;
        let mut refunded = None;
        let signs = matches!(
            status,
            Status::Invested | Status::Approved | Status::Accepted | Status::AcceptedEscrowClosed
        );
        if let Some(t) = received.filter(|_| signs) {
            invested = Some(
                (t + Duration::minutes(r.range(10, 60 * 30)))
                    .min(at(last, 23, 30, 0))
                    .max(t),
            );
        }
        if status == Status::Refunded || (status == Status::NotApproved && back.is_some()) {
            refunded = Some(match back {
                Some(d) => day_time(r, d),
                None => match received {
                    Some(t) => (t + Duration::days(2)).min(at(last, 23, 30, 0)),
                    None => created + Duration::hours(3),
                },
            });
        }
        if history && status == Status::Cancelled {
            refunded = None;
        }
        let mut updated = created;
        for t in [received, invested, refunded].into_iter().flatten() {
            updated = updated.max(t);
        }
        let updated = if history {
            updated + Duration::days(r.range(0, 5))
        } else {
            (updated + Duration::minutes(r.range(1, 600)))
                .min(at(last, 23, 59, 0))
                .max(updated)
        };
        // Unique, as the platform's are: at a million investments six random characters
        // collide a few hundred times, and a shared reference is a different exception.
        let reference = loop {
            let c = format!("INV-{}", r.code(6));
            if self.references.insert(c.clone()) {
                break c;
            }
        };
        let pi =
            matches!(method, Method::Card | Method::Ach).then(|| format!("pi_3{}", r.alnum(23)));
        let _ = kind;
        // Investments after the first money plant join the namesake index too (the plants'
        // own amounts are added by `distinct_amount`).
        if !history && let Some(index) = self.by_namesake_key.as_mut() {
            for k in namesake_keys(&self.world.investors[investor]) {
                index.entry(k).or_default().insert(amount);
            }
        }
        self.pinv.push(Inv {
            id: 0,
            off,
            investor,
            amount_c: amount,
            fees_c: fees,
            proc_c: proc_,
            method,
            status,
            created,
            received,
            invested,
            refunded,
            updated,
            reference,
            pi,
            history,
            flow,
            back,
            xplant,
        });
        if status.funds_taken() && kind == OffKind::RegCf {
            self.cf_total_c += amount;
        }
        self.pinv.len() - 1
    }

    pub(super) fn normal(&mut self, history: bool) {
        let w = [30u64, 25, 15, 15, 15];
        let kinds = [
            OffKind::RegCf,
            OffKind::RegA,
            OffKind::D506b,
            OffKind::D506c,
            OffKind::RegS,
        ];
        let mut kind = kinds[self.r.weighted(&w)];
        if kind == OffKind::RegCf && self.cf_total_c > 380_000_000 {
            kind = OffKind::RegA;
        }
        let off = self.offering_index(kind);
        let method = self.pick_method(kind);
        let mut status = self.pick_status(history, kind);
        // Card refunds in Reg CF happen inside Stripe before the sweep: model them as cancelled.
        if kind == OffKind::RegCf
            && matches!(method, Method::Card | Method::Ach)
            && matches!(status, Status::Refunded | Status::NotApproved)
        {
            status = Status::Cancelled;
        }
        // ACH debits bounce now and then (returns on escrow and private statements).
        if !history && method == Method::Ach && kind != OffKind::RegA && self.r.pct(8) {
            status = Status::PaymentFailed;
        }
        if method == Method::Crypto
            && matches!(
                status,
                Status::Refunded | Status::NotApproved | Status::PaymentFailed
            )
        {
            status = Status::Cancelled;
        }
        let mut tries = 0;
        let (investor, amount) = loop {
            let idx = self.choose_investor(off, method);
            let budget = match kind {
                OffKind::RegCf => self.world.investors[idx].cf_budget_c,
                OffKind::RegA => self.world.investors[idx].rega_budget_c,
                _ => i64::MAX / 4,
            };
            if let Some(a) = self.pick_amount(off, budget) {
                break (idx, a);
            }
            tries += 1;
            if tries > 20 {
                // Fall back to a fresh accredited investor.
                let itype = if method == Method::Ira {
                    IType::TrustIra
                } else {
                    IType::Person
                };
                let idx = self.new_investor(itype, kind != OffKind::RegS, true);
                let a = self
                    .pick_amount(off, i64::MAX / 4)
                    .unwrap_or(self.world.offerings[off].min_c);
                break (idx, a);
            }
        };
        // Never the amount of a namesake's planted missing money (only down: a Reg CF or Reg A
        // investor's limit must hold).
        let amount = if history {
            amount
        } else {
            self.clear_of_plants(off, investor, amount, 0, amount)
        };
        {
            let inv = &mut self.world.investors[investor];
            match kind {
                OffKind::RegCf => inv.cf_budget_c -= amount,
                OffKind::RegA => inv.rega_budget_c -= amount,
                _ => {}
            }
        }
        self.push_inv(off, investor, amount, method, status, history, None, None);
    }

    /// A fresh, non-reusable investor for a plant.
    pub(super) fn fresh(&mut self, itype: IType, domestic: bool, acc: bool) -> usize {
        let idx = self.new_investor(itype, domestic, acc);
        self.world.investors[idx].reusable = false;
        idx
    }

    /// A fresh, non-reusable, non-accredited natural person with modest figures.
    pub(super) fn fresh_nonacc(&mut self, domestic: bool) -> usize {
        let idx = self.fresh(IType::Person, domestic, false);
        let nw = round_to(self.r.range(6_000_000, 40_000_000), 100_000);
        let inc = round_to(self.r.range(5_000_000, 15_000_000), 100_000);
        let i = &mut self.world.investors[idx];
        i.accredited = false;
        i.acc_type = None;
        i.nw_c = nw;
        i.income_c = inc;
        i.self_cf_c = 0;
        i.self_cf_other_c = 0;
        idx
    }

    pub(super) fn finish(mut self) -> World {
        // Ids follow creation time (ties by plan order).
        let mut order: Vec<usize> = (0..self.pinv.len()).collect();
        order.sort_by_key(|&i| (self.pinv[i].created, i));
        let mut new_id = vec![0i64; self.pinv.len()];
        for (pos, &i) in order.iter().enumerate() {
            new_id[i] = pos as i64 + 1;
        }
        for (i, inv) in self.pinv.iter_mut().enumerate() {
            inv.id = new_id[i];
            if let Some(XPlant::Ambiguous(o)) = inv.xplant {
                inv.xplant = Some(XPlant::Ambiguous(new_id[o] as usize));
            }
        }
        for pl in self.world.planted.iter_mut() {
            pl.1 = new_id[pl.1 as usize];
        }
        let mut invs = std::mem::take(&mut self.pinv);
        invs.sort_by_key(|i| i.id);
        self.world.invs = invs;

        // Offering targets and maxima from the generated book; one plant of OFFERING_MAX_EXCEEDED.
        let n_off = self.world.offerings.len();
        for o in 0..n_off {
            let kind = self.world.offerings[o].kind;
            let mut acc: Vec<(NaiveDate, i64, i64)> = self
                .world
                .invs
                .iter()
                .filter(|i| i.off == o && i.status.accepted())
                .map(|i| (i.effective_date(), i.id, i.amount_c))
                .collect();
            acc.sort();
            let total: i64 = acc.iter().map(|a| a.2).sum();
            let all: i64 = self
                .world
                .invs
                .iter()
                .filter(|i| i.off == o)
                .map(|i| i.amount_c)
                .sum();
            let o_ref = &mut self.world.offerings[o];
            let v = (self.cfg.investments / 400).max(1);
            if kind == OffKind::RegCf {
                o_ref.max_raise_c = 500_000_000;
                o_ref.target_c = 5_000_000;
            } else if kind == OffKind::D506c && self.cfg.investments >= 60 && acc.len() > v + 1 {
                let k = acc.len() - v;
                let before: i64 = acc[..k].iter().map(|a| a.2).sum();
                o_ref.max_raise_c = before + acc[k].2 / 2;
                o_ref.target_c = round_to(before / 2, 100_000).max(100_000);
                self.world.planted.push(("OFFERING_MAX_EXCEEDED", acc[k].1));
            } else {
                let m = ((all.max(total) * 3 / 100_000_000) + 1) * 100_000_000;
                o_ref.max_raise_c = m.max(1_000_000_000);
                o_ref.target_c = round_to(o_ref.max_raise_c / 10, 100_000);
            }
        }
        self.world
    }
}
