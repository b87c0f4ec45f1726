//! Planted cases: the violations (`VPlant`) and the reconciliation traps (`XPlant`) the oracle
//! and the ground truth know about.

use super::*;

impl Builder<'_> {
    pub(super) fn vplant(&mut self, vp: VPlant) {
        let st = if self.r.pct(50) {
            Status::Invested
        } else {
            Status::Received
        };
        let (kind, idx, amount): (OffKind, usize, i64);
        let code: &'static str;
        match vp {
            VPlant::CfLimit => {
                kind = OffKind::RegCf;
                idx = self.fresh_nonacc(true);
                let i = &mut self.world.investors[idx];
                i.nw_c = 4_000_000;
                i.income_c = 3_500_000;
                i.self_cf_c = 0;
                i.self_cf_other_c = 0;
                amount = 1_000_000;
                code = "REGCF_INVESTOR_LIMIT";
            }
            VPlant::CfIssuerCap => {
                kind = OffKind::RegCf;
                idx = self.fresh(IType::Company, true, true);
                let o = &self.world.offerings[self.offering_index(kind)];
                let need = 500_000_000 - self.cf_total_c + 25_000_000;
                amount = o.min_c + ((need - o.min_c + o.inc_c - 1) / o.inc_c) * o.inc_c;
                code = "REGCF_ISSUER_CAP";
            }
            VPlant::RegATier2 => {
                kind = OffKind::RegA;
                idx = self.fresh_nonacc(true);
                let i = &mut self.world.investors[idx];
                i.nw_c = 8_000_000;
                i.income_c = 6_000_000;
                amount = 2_500_000;
                code = "REGA_TIER2_LIMIT";
            }
            VPlant::D506bNonAcc => {
                kind = OffKind::D506b;
                idx = self.fresh_nonacc(true);
                amount = 2_500_000 + 100_000 * self.r.range(0, 20);
                code = "REGD_506B_NONACCREDITED_COUNT";
            }
            VPlant::D506cNotAcc => {
                kind = OffKind::D506c;
                idx = self.fresh_nonacc(true);
                if self.r.pct(50) {
                    let i = &mut self.world.investors[idx];
                    i.accredited = true;
                    i.acc_type = None;
                }
                amount = 5_000_000 + 500_000 * self.r.range(0, 10);
                code = "REGD_506C_NOT_ACCREDITED";
            }
            VPlant::RegSUsPerson => {
                kind = OffKind::RegS;
                idx = self.fresh_nonacc(false);
                self.world.investors[idx].us_person = true;
                amount = 1_000_000 + 100_000 * self.r.range(0, 40);
                code = "REGS_US_PERSON";
            }
            VPlant::AccInconsistent => {
                kind = OffKind::D506c;
                idx = self.fresh(IType::Person, true, true);
                let i = &mut self.world.investors[idx];
                i.acc_type = Some("net_worth");
                i.nw_c = 60_000_000;
                amount = 5_000_000 + 500_000 * self.r.range(0, 10);
                code = "ACCREDITATION_INCONSISTENT";
            }
            VPlant::Kyc => {
                kind = OffKind::RegA;
                idx = self.fresh(IType::Person, true, true);
                self.world.investors[idx].kyc = if self.r.pct(50) {
                    "failed"
                } else {
                    "unverified"
                };
                amount = 100_000 + 5_000 * self.r.range(0, 100);
                code = "KYC_NOT_PASSED";
            }
            VPlant::Aml => {
                kind = OffKind::RegA;
                idx = self.fresh(IType::Person, true, true);
                self.world.investors[idx].watch_hit = true;
                amount = 100_000 + 5_000 * self.r.range(0, 100);
                code = "AML_WATCHLIST_HIT";
            }
            VPlant::Sanctions(k) => {
                kind = OffKind::RegS;
                let sdn = self.cfg.sdn_names[k].clone();
                let is_person = sdn.individual;
                idx = self.fresh(
                    if is_person {
                        IType::Person
                    } else {
                        IType::Company
                    },
                    false,
                    false,
                );
                let i = &mut self.world.investors[idx];
                i.sdn_ent = Some(sdn.ent_num);
                i.country = "AE";
                if let Some(c) = sdn.country.as_deref().and_then(country_code) {
                    i.country = c;
                }
                if is_person {
                    // The entry's date of birth when it states one; otherwise the investor keeps
                    // their own (a person always states one: DATA_MISSING is planted apart).
                    if sdn.dob.is_some() {
                        i.dob = sdn.dob;
                    }
                    let mut parts = sdn.name.splitn(2, ',');
                    let last = title_case(parts.next().unwrap_or("").trim());
                    let first = parts.next().unwrap_or("").trim().to_string();
                    i.first = first;
                    i.last = last;
                } else {
                    i.entity_name = Some(sdn.name.trim().to_string());
                }
                amount = 1_000_000 + 100_000 * self.r.range(0, 20);
                code = "SANCTIONS_NAME_MATCH";
            }
            VPlant::Underage => {
                kind = OffKind::RegCf;
                idx = self.fresh(IType::Person, true, true);
                let start = self.cfg.period.first_day();
                self.world.investors[idx].dob = Some(start - Duration::days(16 * 365 + 30));
                amount = 50_000 + 1_000 * self.r.range(0, 50);
                code = "INVESTOR_UNDERAGE";
            }
            VPlant::CountryExcluded => {
                kind = OffKind::RegA;
                idx = self.fresh(IType::Person, true, true);
                let i = &mut self.world.investors[idx];
                i.country = "RU";
                i.us_person = false;
                i.domestic = false;
                i.first = "Дмитрий".into();
                i.last = ["Соколов", "Морозов", "Волков", "Лебедев"][(i.id % 4) as usize].into();
                amount = 100_000 + 5_000 * self.r.range(0, 100);
                code = "COUNTRY_EXCLUDED";
            }
            VPlant::BelowMin => {
                kind = OffKind::D506c;
                idx = self.fresh(IType::Person, true, true);
                amount = 2_000_000;
                code = "INVESTMENT_BELOW_MIN";
            }
            VPlant::AboveMax => {
                kind = OffKind::RegS;
                idx = self.fresh(IType::Person, false, true);
                amount = 75_000_000;
                code = "INVESTMENT_ABOVE_MAX";
            }
            VPlant::Increment => {
                kind = OffKind::RegA;
                idx = self.fresh(IType::Person, true, true);
                amount = 50_000 + 5_000 * self.r.range(0, 50) + 2_500;
                code = "INVESTMENT_INCREMENT";
            }
            VPlant::DataMissing => {
                kind = OffKind::RegA;
                idx = self.fresh(IType::Person, true, true);
                self.world.investors[idx].dob = None;
                amount = 100_000 + 5_000 * self.r.range(0, 100);
                code = "DATA_MISSING";
            }
            VPlant::AfterDeadline => {
                kind = OffKind::D506b;
                idx = self.fresh(IType::Person, true, true);
                amount = 2_500_000 + 100_000 * self.r.range(0, 20);
                code = "FUNDS_AFTER_DEADLINE";
            }
        }
        let off = self.offering_index(kind);
        let forced = match vp {
            VPlant::AfterDeadline | VPlant::CfIssuerCap => Some(self.world.biz.len() - 1),
            _ => None,
        };
        if vp == VPlant::AfterDeadline {
            // Received on the last business day, after the deadline (bypass the clamp).
            let saved = self.world.offerings[off].last_received;
            self.world.offerings[off].last_received = self.cfg.period.last_day();
            let i = self.push_inv(off, idx, amount, Method::Wire, st, false, None, forced);
            self.world.offerings[off].last_received = saved;
            let deadline = self.world.offerings[off].deadline;
            let inv = &mut self.pinv[i];
            if let (Some(t), Flow::Wire { booking }) = (inv.received, inv.flow)
                && t.date() <= deadline
            {
                let t2 = at(booking.max(deadline + Duration::days(1)), 16, 0, 0);
                inv.received = Some(t2);
                inv.invested = inv.invested.map(|x| x.max(t2));
                inv.updated = inv.updated.max(t2);
            }
            self.world.planted.push((code, i as i64));
            return;
        }
        let i = self.push_inv(off, idx, amount, Method::Wire, st, false, None, forced);
        self.world.planted.push((code, i as i64));
        if vp == VPlant::AccInconsistent {
            // In a 506(c) offering a contradicted accreditation claim is also a 506(c)
            // violation candidate (17 CFR 230.506(c)(2)(i)).
            self.world
                .planted
                .push(("REGD_506C_NOT_ACCREDITED", i as i64));
        }
    }

    /// An amount for a money plant of investors `who` (one, or the two of an ambiguity plant,
    /// who share a family name) in offering `off`, starting from `want`: [`amounts_apart`] from
    /// every other investment of a namesake ([`namesake_keys`]). A planted exception must be
    /// decidable from the data, as the compliance plants keep margins: an investment planted
    /// without its money next to a namesake's unreferenced wire of the same amount (a spouse's,
    /// a family company's) is a true ambiguity, not the planted exception. Steps by the
    /// offering's increment, up to 200 steps up (within its maximum), then down (within its
    /// minimum). When no step is free (at a million investments every family name of the pools
    /// has thousands of investments), the plant's investors take a family name of
    /// [`names::PLANT_FAMILY`] where one is, searched 200 steps each way and then, when those
    /// are crowded too, up to [`WIDE_STEPS`]. Only when none is free is `want` kept, and
    /// [`World::undecidable_plants`] counts it.
    pub(super) fn distinct_amount(&mut self, off: usize, who: &[usize], want: i64) -> i64 {
        if self.by_namesake_key.is_none() {
            let mut m = ByKey::new();
            for inv in self.pinv.iter().filter(|i| !i.history) {
                for k in namesake_keys(&self.world.investors[inv.investor]) {
                    m.entry(k).or_default().insert(inv.amount_c);
                }
            }
            self.by_namesake_key = Some(m);
        }
        let o = &self.world.offerings[off];
        let (min, inc, max) = (o.min_c, o.inc_c.max(1), o.max_c.unwrap_or(i64::MAX / 4));
        let Some(index) = self.by_namesake_key.as_mut() else {
            return want;
        };
        let search = |index: &ByKey, keys: &[String], steps: i64| {
            let up = (0..steps).map(|k| want + k * inc).take_while(|&a| a <= max);
            let down = (1..steps).map(|k| want - k * inc).take_while(|&a| a >= min);
            up.chain(down).find(|&a| clear_of(index, keys, a))
        };
        let mut keys: Vec<String> = who
            .iter()
            .flat_map(|&i| namesake_keys(&self.world.investors[i]))
            .collect();
        keys.sort();
        keys.dedup();
        let mut found = search(index, &keys, 200);
        let n = names::PLANT_FAMILY.len();
        for steps in [200, WIDE_STEPS] {
            if found.is_some() {
                break;
            }
            for k in 0..n {
                let family = names::PLANT_FAMILY[(self.plant_family_next + k) % n];
                let family_keys = word_keys([family]);
                if let Some(a) = search(index, &family_keys, steps) {
                    self.plant_family_next = (self.plant_family_next + k + 1) % n;
                    for &i in who {
                        self.world.investors[i].last = family.to_string();
                    }
                    keys = family_keys;
                    found = Some(a);
                    break;
                }
            }
        }
        if found.is_none() {
            self.world.undecidable_plants += 1;
        }
        let amount = found.unwrap_or(want);
        for k in keys {
            index.entry(k.clone()).or_default().insert(amount);
            self.plant_amounts.entry(k).or_default().insert(amount);
        }
        amount
    }

    /// `amount` for an investment of `investor` in offering `off` made after money plants, moved
    /// by the offering's increment (down to `floor` first, then up to `cap`) when a plant of a
    /// namesake ([`namesake_keys`]) has an amount not [`amounts_apart`] from it: the line this
    /// investment's money brings would fit the plant.
    pub(super) fn clear_of_plants(
        &self,
        off: usize,
        investor: usize,
        amount: i64,
        floor: i64,
        cap: i64,
    ) -> i64 {
        if self.plant_amounts.is_empty() {
            return amount;
        }
        let keys = namesake_keys(&self.world.investors[investor]);
        let free = |a: i64| clear_of(&self.plant_amounts, &keys, a);
        if free(amount) {
            return amount;
        }
        let o = &self.world.offerings[off];
        let inc = o.inc_c.max(1);
        let floor = floor.max(o.min_c);
        let cap = cap.min(o.max_c.unwrap_or(i64::MAX / 4));
        let down = (1..200)
            .map(|k| amount - k * inc)
            .take_while(|&a| a >= floor);
        let up = (1..200).map(|k| amount + k * inc).take_while(|&a| a <= cap);
        down.chain(up).find(|&a| free(a)).unwrap_or(amount)
    }

    pub(super) fn xplant(&mut self, xp: XPlant) {
        let kinds = [
            OffKind::D506b,
            OffKind::D506c,
            OffKind::RegS,
            OffKind::RegA,
            OffKind::RegCf,
        ];
        let kind = kinds[self.r.below(kinds.len() as u64) as usize];
        let off = self.offering_index(kind);
        let domestic = kind != OffKind::RegS;
        match xp {
            XPlant::Ambiguous(_) => {
                let a = self.fresh(IType::Person, domestic, true);
                let b = self.fresh(IType::Person, domestic, true);
                // Same family name, same initial: "J NOWAK" on both wires.
                let (fa, la) = (
                    self.world.investors[a].first.clone(),
                    self.world.investors[a].last.clone(),
                );
                let initial = fa.chars().next().unwrap_or('J');
                let pool = [names::ANGLO, names::ACCENTED];
                let mut other = String::new();
                for p in pool.iter() {
                    for (f, _) in p.firsts {
                        if f.starts_with(initial) && *f != fa {
                            other = f.to_string();
                        }
                    }
                }
                if other.is_empty() {
                    other = format!("{initial}.");
                }
                self.world.investors[b].first = other;
                self.world.investors[b].last = la;
                let amount = self
                    .pick_amount(off, i64::MAX / 4)
                    .unwrap_or(self.world.offerings[off].min_c);
                let amount = self.distinct_amount(off, &[a, b], amount);
                let nb = self
                    .world
                    .biz
                    .iter()
                    .filter(|d| **d <= self.world.offerings[off].last_received)
                    .count();
                let day = self.r.below(nb.saturating_sub(1).max(1) as u64) as usize;
                let i1 = self.pinv.len();
                self.push_inv(
                    off,
                    a,
                    amount,
                    Method::Wire,
                    Status::Invested,
                    false,
                    Some(XPlant::Ambiguous(i1 + 1)),
                    Some(day),
                );
                self.push_inv(
                    off,
                    b,
                    amount,
                    Method::Wire,
                    Status::Received,
                    false,
                    Some(XPlant::Ambiguous(i1)),
                    Some(day),
                );
            }
            _ => {
                let idx = self.fresh(IType::Person, domestic, true);
                let amount = self
                    .pick_amount(off, i64::MAX / 4)
                    .unwrap_or(self.world.offerings[off].min_c)
                    .max(self.world.offerings[off].min_c);
                let status = match xp {
                    XPlant::UnmatchedInvestment => Status::Received,
                    XPlant::AmountMismatch => Status::Invested,
                    XPlant::StatusMismatchArrived => {
                        if self.r.pct(50) {
                            Status::PaymentFailed
                        } else {
                            Status::NotReceived
                        }
                    }
                    XPlant::StatusMismatchNoRefund => Status::Refunded,
                    XPlant::Duplicate => Status::Invested,
                    XPlant::RefundDue => {
                        if self.r.pct(50) {
                            Status::Cancelled
                        } else {
                            Status::NotApproved
                        }
                    }
                    XPlant::Ambiguous(_) => Status::Received,
                };
                // Amount mismatch needs room for a $500+ shortfall.
                let amount = if xp == XPlant::AmountMismatch {
                    amount.max(500_000)
                } else {
                    amount
                };
                let o = &self.world.offerings[off];
                let amount = if (amount - o.min_c) % o.inc_c != 0 {
                    o.min_c + ((amount - o.min_c) / o.inc_c + 1) * o.inc_c
                } else {
                    amount
                };
                let amount = match o.max_c {
                    Some(m) if amount > m => o.min_c,
                    _ => amount,
                };
                let amount = if kind == OffKind::RegA && xp == XPlant::AmountMismatch {
                    amount.max(500_000)
                } else {
                    amount
                };
                // Plants whose evidence is missing money: a namesake's line must not fit them;
                // the other plants' lines must not fit an earlier such plant.
                let amount = if matches!(
                    xp,
                    XPlant::UnmatchedInvestment
                        | XPlant::StatusMismatchNoRefund
                        | XPlant::RefundDue
                ) {
                    self.distinct_amount(off, &[idx], amount)
                } else {
                    self.clear_of_plants(off, idx, amount, amount, i64::MAX / 4)
                };
                self.push_inv(
                    off,
                    idx,
                    amount,
                    Method::Wire,
                    status,
                    false,
                    Some(xp),
                    None,
                );
            }
        }
    }
}
