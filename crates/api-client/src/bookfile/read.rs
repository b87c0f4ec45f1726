//! The decoder: bytes back into records, every read bounds-checked.

use super::*;

pub(super) struct R<'a> {
    pub(super) b: &'a [u8],
    pub(super) at: usize,
}

impl<'a> R<'a> {
    pub(super) fn err(&self, reason: &str) -> DecodeError {
        DecodeError {
            at: self.at,
            reason: reason.into(),
        }
    }
    pub(super) fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        let end = self
            .at
            .checked_add(n)
            .filter(|e| *e <= self.b.len())
            .ok_or_else(|| self.err("unexpected end of data"))?;
        let s = &self.b[self.at..end];
        self.at = end;
        Ok(s)
    }
    pub(super) fn byte(&mut self) -> Result<u8, DecodeError> {
        Ok(self.take(1)?[0])
    }
    pub(super) fn uvar(&mut self) -> Result<u64, DecodeError> {
        let mut v: u64 = 0;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(self.err("varint too long"))
    }
    pub(super) fn len(&mut self) -> Result<usize, DecodeError> {
        let v = self.uvar()?;
        usize::try_from(v).map_err(|_| self.err("length out of range"))
    }
    pub(super) fn ivar(&mut self) -> Result<i64, DecodeError> {
        let z = self.uvar()?;
        Ok(((z >> 1) as i64) ^ -((z & 1) as i64))
    }
    pub(super) fn flag(&mut self) -> Result<bool, DecodeError> {
        match self.byte()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(self.err("bad flag")),
        }
    }
    pub(super) fn some(&mut self) -> Result<bool, DecodeError> {
        self.flag()
    }
    pub(super) fn str(&mut self) -> Result<&'a str, DecodeError> {
        let n = self.len()?;
        let b = self.take(n)?;
        std::str::from_utf8(b).map_err(|_| self.err("string is not UTF-8"))
    }
    pub(super) fn string(&mut self) -> Result<String, DecodeError> {
        self.str().map(str::to_string)
    }
    pub(super) fn ostr(&mut self) -> Result<Option<String>, DecodeError> {
        Ok(if self.some()? {
            Some(self.string()?)
        } else {
            None
        })
    }
    pub(super) fn oi64(&mut self) -> Result<Option<i64>, DecodeError> {
        Ok(if self.some()? {
            Some(self.ivar()?)
        } else {
            None
        })
    }
    pub(super) fn obool(&mut self) -> Result<Option<bool>, DecodeError> {
        match self.byte()? {
            0 => Ok(None),
            1 => Ok(Some(false)),
            2 => Ok(Some(true)),
            _ => Err(self.err("bad optional bool")),
        }
    }
    pub(super) fn dec(&mut self) -> Result<Decimal, DecodeError> {
        let scale = u32::from(self.byte()?);
        let mut z: u128 = 0;
        let mut shift = 0u32;
        loop {
            let b = self.byte()?;
            if shift > 126 {
                return Err(self.err("decimal mantissa too long"));
            }
            z |= u128::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                break;
            }
            shift += 7;
        }
        let m = ((z >> 1) as i128) ^ -((z & 1) as i128);
        Decimal::try_from_i128_with_scale(m, scale).map_err(|e| self.err(&e.to_string()))
    }
    pub(super) fn odec(&mut self) -> Result<Option<Decimal>, DecodeError> {
        Ok(if self.some()? {
            Some(self.dec()?)
        } else {
            None
        })
    }
    pub(super) fn odate(&mut self) -> Result<Option<NaiveDate>, DecodeError> {
        if !self.some()? {
            return Ok(None);
        }
        let d = self.ivar()?;
        i32::try_from(d)
            .ok()
            .and_then(NaiveDate::from_num_days_from_ce_opt)
            .map(Some)
            .ok_or_else(|| self.err("date out of range"))
    }
    pub(super) fn otime(&mut self) -> Result<Option<DateTime<Utc>>, DecodeError> {
        if !self.some()? {
            return Ok(None);
        }
        let secs = self.ivar()?;
        let nanos = u32::try_from(self.uvar()?).map_err(|_| self.err("nanoseconds"))?;
        DateTime::from_timestamp(secs, nanos)
            .map(Some)
            .ok_or_else(|| self.err("instant out of range"))
    }
    pub(super) fn strs(&mut self) -> Result<Vec<String>, DecodeError> {
        let n = self.len()?;
        let mut v = Vec::with_capacity(n.min(256));
        for _ in 0..n {
            v.push(self.string()?);
        }
        Ok(v)
    }

    pub(super) fn offering(&mut self) -> Result<tieout_domain::Offering, DecodeError> {
        let id = self.ivar()?;
        let issuer_id = self.oi64()?;
        let name = self.string()?;
        let slug = self.string()?;
        let offering_type = OfferingType::from_wire(self.str()?);
        let status = OfferingStatus::from_wire(self.str()?);
        let mut d = [None; 8];
        for x in &mut d {
            *x = self.odec()?;
        }
        let [
            unit_price,
            min_investment,
            max_investment,
            increment,
            min_wire,
            target_amount,
            max_amount,
            reg_cf_fee_percentage,
        ] = d;
        Ok(tieout_domain::Offering {
            id,
            issuer_id,
            name,
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
            excluded_countries: self.strs()?,
            included_countries: self.strs()?,
            deadline: self.odate()?,
            created_at: self.otime()?,
            opened_at: self.otime()?,
            accepts_accredited: self.obool()?,
            accepts_non_accredited: self.obool()?,
            description: self.ostr()?,
            timezone: self.ostr()?,
        })
    }

    pub(super) fn investor(&mut self) -> Result<tieout_domain::Investor, DecodeError> {
        Ok(tieout_domain::Investor {
            id: self.ivar()?,
            investor_type: InvestorType::from_wire(self.str()?),
            user_id: self.oi64()?,
            entity_id: self.oi64()?,
            first_name: self.string()?,
            last_name: self.string()?,
            display_name: self.ostr()?,
            individual_name: self.ostr()?,
            email: self.ostr()?,
            date_of_birth: self.odate()?,
            country: self.ostr()?,
            state: self.ostr()?,
            citizenship: self.ostr()?,
            us_person: self.obool()?,
            accredited: self.obool()?,
            accreditation_type: if self.some()? {
                Some(AccreditationType::from_wire(self.str()?))
            } else {
                None
            },
            net_worth: self.odec()?,
            annual_income: self.odec()?,
            regcf_invested_this_year: self.odec()?,
            regcf_invested_other_platforms: self.odec()?,
            kyc_status: KycStatus::from_wire(self.str()?),
            tax_id: self.ostr()?,
        })
    }

    pub(super) fn investment(&mut self) -> Result<tieout_domain::Investment, DecodeError> {
        let id = self.ivar()?;
        let offering_id = self.ivar()?;
        let investor_id = self.ivar()?;
        let amount = self.dec()?;
        let quantity = self.oi64()?;
        let price = self.odec()?;
        let price_fees = self.odec()?;
        let price_payment_processing_fees = self.odec()?;
        let shares_amount = self.odec()?;
        let bonus_shares = self.oi64()?;
        let status = InvestmentStatus::from_wire(self.str()?);
        let payment_method = PaymentMethod::from_wire(self.str()?);
        let payment_intent_id = self.ostr()?;
        let reference_id = self.ostr()?;
        let investor_name = self.ostr()?;
        let accredited = self.obool()?;
        let accreditation_type = if self.some()? {
            Some(AccreditationType::from_wire(self.str()?))
        } else {
            None
        };
        let net_worth = self.odec()?;
        let annual_income = self.odec()?;
        let us_person = self.obool()?;
        let regcf_invested_this_year = self.odec()?;
        let n = self.len()?;
        let mut watchlist = Vec::with_capacity(n.min(64));
        for _ in 0..n {
            watchlist.push(WatchlistScreening {
                id: self.ivar()?,
                has_hits: self.flag()?,
                ofac_fincen_status: self.ostr()?,
                aml_provider: self.ostr()?,
            });
        }
        Ok(tieout_domain::Investment {
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
            processing_issue_statuses: self.ostr()?,
            created_at: self.otime()?,
            processed_at: self.otime()?,
            received_at: self.otime()?,
            invested_at: self.otime()?,
            refunded_at: self.otime()?,
            updated_at: self.otime()?,
        })
    }
}
