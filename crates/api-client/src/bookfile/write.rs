//! The encoder: records into bytes.

use super::*;

pub(super) struct W(pub(super) Vec<u8>);

impl W {
    pub(super) fn uvar(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.0.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.0.push(v as u8);
    }
    pub(super) fn ivar(&mut self, v: i64) {
        self.uvar(((v << 1) ^ (v >> 63)) as u64);
    }
    pub(super) fn bytes(&mut self, b: &[u8]) {
        self.uvar(b.len() as u64);
        self.0.extend_from_slice(b);
    }
    pub(super) fn str(&mut self, s: &str) {
        self.bytes(s.as_bytes());
    }
    pub(super) fn flag(&mut self, b: bool) {
        self.0.push(u8::from(b));
    }
    pub(super) fn opt<T>(&mut self, v: &Option<T>, f: impl FnOnce(&mut Self, &T)) {
        match v {
            None => self.0.push(0),
            Some(x) => {
                self.0.push(1);
                f(self, x);
            }
        }
    }
    pub(super) fn ostr(&mut self, v: &Option<String>) {
        self.opt(v, |w, s| w.str(s));
    }
    pub(super) fn oi64(&mut self, v: &Option<i64>) {
        self.opt(v, |w, x| w.ivar(*x));
    }
    pub(super) fn obool(&mut self, v: &Option<bool>) {
        self.0.push(match v {
            None => 0,
            Some(false) => 1,
            Some(true) => 2,
        });
    }
    pub(super) fn dec(&mut self, d: &Decimal) {
        self.0.push(d.scale() as u8);
        let m = d.mantissa();
        // Zig-zag over i128, then LEB128.
        let mut z = ((m << 1) ^ (m >> 127)) as u128;
        while z >= 0x80 {
            self.0.push((z as u8) | 0x80);
            z >>= 7;
        }
        self.0.push(z as u8);
    }
    pub(super) fn odec(&mut self, v: &Option<Decimal>) {
        self.opt(v, |w, d| w.dec(d));
    }
    pub(super) fn odate(&mut self, v: &Option<NaiveDate>) {
        self.opt(v, |w, d| {
            w.ivar(i64::from(chrono::Datelike::num_days_from_ce(d)))
        });
    }
    pub(super) fn otime(&mut self, v: &Option<DateTime<Utc>>) {
        self.opt(v, |w, t| {
            w.ivar(t.timestamp());
            w.uvar(u64::from(t.timestamp_subsec_nanos()));
        });
    }
    pub(super) fn strs(&mut self, v: &[String]) {
        self.uvar(v.len() as u64);
        for s in v {
            self.str(s);
        }
    }

    pub(super) fn offering(&mut self, o: &tieout_domain::Offering) {
        let tieout_domain::Offering {
            id,
            issuer_id,
            name,
            description,
            slug,
            offering_type,
            status,
            unit_price,
            min_investment,
            max_investment,
            increment,
            min_wire,
            target_amount,
            max_amount,
            reg_cf_fee_percentage,
            excluded_countries,
            included_countries,
            deadline,
            timezone,
            created_at,
            opened_at,
            accepts_accredited,
            accepts_non_accredited,
        } = o;
        self.ivar(*id);
        self.oi64(issuer_id);
        self.str(name);
        self.str(slug);
        self.str(offering_type.as_wire());
        self.str(status.as_wire());
        for d in [
            unit_price,
            min_investment,
            max_investment,
            increment,
            min_wire,
            target_amount,
            max_amount,
            reg_cf_fee_percentage,
        ] {
            self.odec(d);
        }
        self.strs(excluded_countries);
        self.strs(included_countries);
        self.odate(deadline);
        self.otime(created_at);
        self.otime(opened_at);
        self.obool(accepts_accredited);
        self.obool(accepts_non_accredited);
        self.ostr(description);
        self.ostr(timezone);
    }

    pub(super) fn investor(&mut self, i: &tieout_domain::Investor) {
        let tieout_domain::Investor {
            id,
            investor_type,
            user_id,
            entity_id,
            first_name,
            last_name,
            display_name,
            individual_name,
            email,
            date_of_birth,
            country,
            state,
            citizenship,
            us_person,
            accredited,
            accreditation_type,
            net_worth,
            annual_income,
            regcf_invested_this_year,
            regcf_invested_other_platforms,
            kyc_status,
            tax_id,
        } = i;
        self.ivar(*id);
        self.str(investor_type.as_wire());
        self.oi64(user_id);
        self.oi64(entity_id);
        self.str(first_name);
        self.str(last_name);
        for s in [display_name, individual_name, email] {
            self.ostr(s);
        }
        self.odate(date_of_birth);
        for s in [country, state, citizenship] {
            self.ostr(s);
        }
        self.obool(us_person);
        self.obool(accredited);
        self.opt(accreditation_type, |w, a| w.str(a.as_wire()));
        for d in [
            net_worth,
            annual_income,
            regcf_invested_this_year,
            regcf_invested_other_platforms,
        ] {
            self.odec(d);
        }
        self.str(kyc_status.as_wire());
        self.ostr(tax_id);
    }

    pub(super) fn investment(&mut self, v: &tieout_domain::Investment) {
        let tieout_domain::Investment {
            id,
            offering_id,
            investor_id,
            amount,
            quantity,
            price,
            price_fees,
            price_payment_processing_fees,
            shares_amount,
            bonus_shares,
            status,
            payment_method,
            payment_intent_id,
            reference_id,
            investor_name,
            accredited,
            accreditation_type,
            net_worth,
            annual_income,
            us_person,
            regcf_invested_this_year,
            watchlist,
            processing_issue_statuses,
            created_at,
            processed_at,
            received_at,
            invested_at,
            refunded_at,
            updated_at,
        } = v;
        self.ivar(*id);
        self.ivar(*offering_id);
        self.ivar(*investor_id);
        self.dec(amount);
        self.oi64(quantity);
        for d in [
            price,
            price_fees,
            price_payment_processing_fees,
            shares_amount,
        ] {
            self.odec(d);
        }
        self.oi64(bonus_shares);
        self.str(status.as_wire());
        self.str(payment_method.as_wire());
        for s in [payment_intent_id, reference_id, investor_name] {
            self.ostr(s);
        }
        self.obool(accredited);
        self.opt(accreditation_type, |w, a| w.str(a.as_wire()));
        self.odec(net_worth);
        self.odec(annual_income);
        self.obool(us_person);
        self.odec(regcf_invested_this_year);
        self.uvar(watchlist.len() as u64);
        for s in watchlist {
            let WatchlistScreening {
                id,
                has_hits,
                ofac_fincen_status,
                aml_provider,
            } = s;
            self.ivar(*id);
            self.flag(*has_hits);
            self.ostr(ofac_fincen_status);
            self.ostr(aml_provider);
        }
        self.ostr(processing_issue_statuses);
        for t in [
            created_at,
            processed_at,
            received_at,
            invested_at,
            refunded_at,
            updated_at,
        ] {
            self.otime(t);
        }
    }
}
