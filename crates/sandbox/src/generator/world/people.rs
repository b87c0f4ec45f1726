//! The builder's offerings and investors: who exists, who is reused, and the choices
//! (method, status, amount, fees) each investment draws.

use super::*;

impl Builder<'_> {
    pub(super) fn offerings(&mut self, plant: bool) {
        let p = self.cfg.period;
        let first = p.first_day();
        let last = p.last_day();
        let r = &mut self.r;
        #[allow(clippy::type_complexity)]
        let specs: [(OffKind, &str, i64, i64, i64, Option<i64>, i64, i64, Acct); 5] = [
            (
                OffKind::RegCf,
                "Brightwater Cooperative Brewery",
                1_000,
                10_000,
                1_000,
                Some(12_400_000),
                500_000,
                500_000,
                Acct::Escrow,
            ),
            (
                OffKind::RegA,
                "Solenne Modular Homes",
                500,
                50_000,
                5_000,
                Some(25_000_000),
                1_000_000,
                100_000,
                Acct::Operating,
            ),
            (
                OffKind::D506b,
                "Harbor Lane Multifamily Fund I",
                100_000,
                2_500_000,
                100_000,
                Some(100_000_000),
                25_000_000,
                2_500_000,
                Acct::Private,
            ),
            (
                OffKind::D506c,
                "Northstar Venture Partners II",
                10_000,
                5_000_000,
                500_000,
                Some(200_000_000),
                50_000_000,
                5_000_000,
                Acct::Private,
            ),
            (
                OffKind::RegS,
                "Aurora Geothermal International",
                1_000,
                1_000_000,
                100_000,
                Some(50_000_000),
                10_000_000,
                1_000_000,
                Acct::Intl,
            ),
        ];
        for (i, (kind, name, unit, min, inc, max, soft, min_wire, acct)) in
            specs.into_iter().enumerate()
        {
            let created = at(
                first - Duration::days(r.range(200, 400)),
                r.range(14, 22) as u32,
                r.range(0, 59) as u32,
                0,
            );
            let opened = created + Duration::days(r.range(20, 60));
            let last_biz = self.world.biz.last().copied().unwrap_or(last);
            let deadline = if plant && kind == OffKind::D506b {
                last_biz - Duration::days(1)
            } else {
                last + Duration::days(r.range(90, 270))
            };
            let last_received = if deadline < last { deadline } else { last };
            let slug = names::ascii_token(name);
            let (excluded, included) = match kind {
                OffKind::RegS => (EXCL_REGS, INCL_NONE),
                _ => (EXCL_COMMON, INCL_NONE),
            };
            self.world.offerings.push(Offering {
                id: i as i64 + 1,
                kind,
                name: name.to_string(),
                slug,
                unit_c: unit,
                min_c: min,
                inc_c: inc,
                max_c: max,
                soft_c: soft,
                min_wire_c: min_wire,
                target_c: 0,
                max_raise_c: 0,
                deadline,
                excluded,
                included,
                status: if deadline < last { "closed" } else { "opened" },
                created_at: created,
                opened_at: opened,
                acct,
                last_received,
            });
        }
    }

    pub(super) fn pool(&mut self, domestic: bool) -> &'static Pool {
        let w: [u64; 5] = if domestic {
            [70, 18, 6, 3, 3]
        } else {
            [15, 35, 18, 20, 12]
        };
        match self.r.weighted(&w) {
            0 => &names::ANGLO,
            1 => &names::ACCENTED,
            2 => &names::VIETNAMESE,
            3 => &names::CYRILLIC,
            _ => &names::GREEK,
        }
    }

    /// Creates a clean investor.
    pub(super) fn new_investor(
        &mut self,
        itype: IType,
        domestic: bool,
        must_accredit: bool,
    ) -> usize {
        let pool = self.pool(domestic);
        let r = &mut self.r;
        let (first, female) = *r.pick(pool.firsts);
        let (lm, lf) = *r.pick(pool.lasts);
        let last = if female { lf } else { lm };
        let spouse = loop {
            let (s, _) = *r.pick(pool.firsts);
            if s != first {
                break s;
            }
        };
        let country: &'static str = if domestic {
            "US"
        } else {
            r.pick::<&'static str>(pool.countries)
        };
        let start = self.cfg.period.first_day();
        let natural = itype.natural();
        let dob = natural.then(|| start - Duration::days(r.range(21 * 366, 80 * 365)));
        let entity_name = match itype {
            IType::Company => Some(match r.below(4) {
                0 => format!("{last} Holdings LLC"),
                1 => format!("{last} & Partners Capital LP"),
                2 => format!("{} {} Ventures Inc.", first, last),
                _ => format!("{last} Family Office GmbH"),
            }),
            IType::Trust => Some(match r.below(2) {
                0 => format!("The {last} Family Trust"),
                _ => format!("{first} {last} Revocable Trust"),
            }),
            _ => None,
        };
        let (accredited, acc_type, nw, inc);
        if !natural {
            accredited = true;
            acc_type = Some("entity_assets");
            nw = r.range(1_000_000_000, 8_000_000_000);
            inc = r.range(100_000_000, 2_000_000_000);
        } else if must_accredit || r.pct(45) {
            accredited = true;
            match r.weighted(&[50, 25, 15, 10]) {
                0 => {
                    acc_type = Some("net_worth");
                    nw = r.range(200_000_000, 2_000_000_000);
                    inc = r.range(10_000_000, 90_000_000);
                }
                1 => {
                    acc_type = Some("income");
                    inc = r.range(40_000_000, 200_000_000);
                    nw = r.range(50_000_000, 500_000_000);
                }
                2 => {
                    acc_type = Some("joint_income");
                    inc = r.range(60_000_000, 150_000_000);
                    nw = r.range(80_000_000, 500_000_000);
                }
                _ => {
                    acc_type = Some("professional");
                    inc = r.range(15_000_000, 40_000_000);
                    nw = r.range(30_000_000, 90_000_000);
                }
            }
        } else {
            accredited = false;
            acc_type = None;
            nw = round_to(r.range(6_000_000, 90_000_000), 100_000);
            inc = round_to(r.range(5_000_000, 19_000_000), 100_000);
        }
        let (nw, inc) = (round_to(nw, 100_000), round_to(inc, 100_000));
        let (self_cf, self_cf_other) = if !accredited && domestic && r.pct(30) {
            let lim = regcf_limit_c(inc, nw);
            (
                round_to(r.range(0, lim / 8), 10_000),
                round_to(r.range(0, lim / 16), 10_000),
            )
        } else {
            (0, 0)
        };
        let cf_budget = if accredited {
            i64::MAX / 4
        } else {
            regcf_limit_c(inc, nw) / 2 - self_cf - self_cf_other
        };
        let rega_budget = if accredited {
            i64::MAX / 4
        } else {
            inc.max(nw) / 20
        };
        let joined = at(
            start - Duration::days(r.range(1, 700)),
            r.range(14, 22) as u32,
            r.range(0, 59) as u32,
            r.range(0, 59) as u32,
        );
        let id = self.world.investors.len() as i64 + 1;
        self.world.investors.push(Investor {
            id,
            itype,
            first: first.to_string(),
            last: last.to_string(),
            entity_name,
            country,
            us_person: domestic,
            dob,
            accredited,
            acc_type,
            nw_c: nw,
            income_c: inc,
            self_cf_c: self_cf,
            self_cf_other_c: self_cf_other,
            kyc: "passed",
            watch_hit: false,
            sdn_ent: None,
            joined,
            reusable: true,
            domestic,
            cf_budget_c: cf_budget,
            rega_budget_c: rega_budget,
            spouse_first: spouse.to_string(),
        });
        let idx = self.world.investors.len() - 1;
        if self.avoid_sdn(idx) {
            // Re-roll the name so a clean investor never resembles a planted SDN entry.
            let inv = &mut self.world.investors[idx];
            inv.first = "Chris".into();
            inv.last = format!("Sample{}", inv.id);
        }
        idx
    }

    pub(super) fn avoid_sdn(&self, idx: usize) -> bool {
        if self.cfg.sdn_names.is_empty() {
            return false;
        }
        let inv = &self.world.investors[idx];
        let a = names::roman_upper(&inv.first);
        let l = names::roman_upper(&inv.last);
        self.cfg.sdn_names.iter().any(|s| {
            let up = names::roman_upper(&s.name);
            up.split(' ').any(|t| t == l) && up.split(' ').any(|t| a.split(' ').any(|f| f == t))
        })
    }

    pub(super) fn register_reuse(&mut self, idx: usize) {
        let inv = &self.world.investors[idx];
        if !inv.reusable {
            return;
        }
        if inv.itype == IType::TrustIra {
            self.reuse_ira.push(idx);
        } else if inv.domestic {
            self.reuse_dom.push(idx);
        } else {
            self.reuse_intl.push(idx);
        }
    }

    /// Picks an investor for an offering/method (25% repeat investors).
    pub(super) fn choose_investor(&mut self, off: usize, method: Method) -> usize {
        let kind = self.world.offerings[off].kind;
        let domestic = kind != OffKind::RegS;
        let need_acc = matches!(kind, OffKind::D506b | OffKind::D506c);
        let list = if method == Method::Ira {
            &self.reuse_ira
        } else if domestic {
            &self.reuse_dom
        } else {
            &self.reuse_intl
        };
        if !list.is_empty() && self.r.pct(25) {
            let cand = list[self.r.below(list.len() as u64) as usize];
            let c = &self.world.investors[cand];
            if c.domestic == domestic && (!need_acc || c.accredited) {
                return cand;
            }
        }
        let itype = if method == Method::Ira {
            IType::TrustIra
        } else {
            match self.r.weighted(&[84, 9, 7]) {
                0 => IType::Person,
                1 => IType::Company,
                _ => IType::Trust,
            }
        };
        let idx = self.new_investor(itype, domestic, need_acc);
        self.register_reuse(idx);
        idx
    }

    pub(super) fn pick_method(&mut self, kind: OffKind) -> Method {
        use Method::*;
        let (ms, ws): (&[Method], &[u64]) = match kind {
            OffKind::RegCf => (&[Card, Ach, Wire, Ira], &[40, 25, 25, 10]),
            OffKind::RegA => (&[Card, Ach, Wire, Ira, Crypto], &[35, 20, 25, 8, 12]),
            OffKind::D506b | OffKind::D506c => (&[Wire, Ira, Ach], &[65, 15, 20]),
            OffKind::RegS => (&[Wire], &[100]),
        };
        ms[self.r.weighted(ws)]
    }

    pub(super) fn pick_status(&mut self, history: bool, kind: OffKind) -> Status {
        use Status::*;
        if history {
            return match self.r.weighted(&[90, 10]) {
                0 => {
                    if kind == OffKind::RegCf {
                        AcceptedEscrowClosed
                    } else {
                        Accepted
                    }
                }
                _ => Cancelled,
            };
        }
        let all = [
            Received,
            Invested,
            Approved,
            Accepted,
            Started,
            NotReceived,
            PaymentFailed,
            Cancelled,
            Refunded,
            NotApproved,
        ];
        all[self.r.weighted(&[20, 25, 15, 20, 5, 4, 3, 4, 3, 1])]
    }

    /// An amount on the increment, within the investor budget; None when the budget is too small.
    pub(super) fn pick_amount(&mut self, off: usize, budget_c: i64) -> Option<i64> {
        let o = &self.world.offerings[off];
        let cap = budget_c.min(o.max_c.unwrap_or(i64::MAX / 4)).min(o.soft_c);
        if cap < o.min_c {
            return None;
        }
        let ks = (cap - o.min_c) / o.inc_c;
        let a = self.r.below(ks as u64 + 1) as i64;
        let b2 = self.r.below(ks as u64 + 1) as i64;
        let k = if ks == 0 { 0 } else { a * b2 / ks };
        Some(o.min_c + k * o.inc_c)
    }

    /// The fees of an investment of `amount` (securities value) paid by `method`: (investor
    /// fee on top of the securities value, processing fee deducted before the bank
    /// sees the money) under the world's fee models; crypto's deduction is taken from the
    /// settlement total (`WorldKnobs::crypto_fee_bp`).
    pub(super) fn fees(&mut self, method: Method, amount: i64) -> (i64, i64) {
        let k = &self.cfg.world;
        let fee = match method {
            Method::Card => k.investor_fee_card.of(amount),
            _ => k.investor_fee_other.of(amount),
        };
        let price = amount + fee;
        let proc_ = match method {
            Method::Card => k.processing_card.of(price),
            Method::Ach => k.processing_ach.of(price),
            Method::Wire | Method::Ira => k.processing_wire.of(price),
            Method::Crypto => 0,
        };
        (fee, proc_)
    }

    pub(super) fn offering_index(&self, kind: OffKind) -> usize {
        self.world
            .offerings
            .iter()
            .position(|o| o.kind == kind)
            .unwrap_or(0)
    }
}
