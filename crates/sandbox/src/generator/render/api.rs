//! The API snapshot: offerings, investors, investments and users as the sandbox serves them.

use super::*;

/// Writes `api/` (offerings, investors, investments, users, sidecar, manifest).
pub(crate) fn write_api(
    dir: &Path,
    w: &World,
    seed: u64,
) -> Result<Vec<(String, usize, String)>, GenError> {
    let api = dir.join("api");
    let mut files = Vec::new();
    // Offerings.
    let mut o = Out::create(api.join("offerings.jsonl"), true)?;
    for off in &w.offerings {
        o.put(&offering_json(off, w))?;
        o.put("\n")?;
    }
    files.push(("offerings".to_string(), w.offerings.len(), o.finish()?));
    // Investors and users.
    let mut o = Out::create(api.join("investors.jsonl"), true)?;
    let mut u = Out::create(api.join("users.jsonl"), true)?;
    for p in &w.investors {
        let d = details(seed, p, w.snapshot);
        let (first, last) = entity_names(p);
        let mut j = J::new();
        j.open("").num("id", p.id);
        j.open("user")
            .num("id", user_id(p))
            .str("email", &d.person_email)
            .close();
        j.open("entity")
            .str("first_name", &first)
            .str("last_name", &last)
            .opt_str("date_of_birth", p.dob.map(|d| d.to_string()).as_deref())
            .bool("accredited_investor", p.accredited)
            .money("net_worth", p.nw_c)
            .money("annual_income", p.income_c)
            .str("citizenship", citizenship_of(p))
            .bool("us_person", p.us_person)
            .bool("exempt_from_backup_withholding", !p.itype.natural())
            .money("amount_invested_in_reg_cf_offering_this_year", p.self_cf_c)
            .money(
                "amount_invested_in_reg_cf_offering_this_year_other_platforms",
                p.self_cf_other_c,
            )
            .opt_str("accredited_investor_type", p.acc_type)
            .opt_str(
                "canadian_eligible_investor_type",
                (p.country == "CA").then_some("eligible_net_income"),
            )
            .bool("household_w9", p.us_person)
            .num("id", entity_id(p))
            .str("email", &d.email)
            .str("street_address_1", &d.street1)
            .str("street_address_2", &d.street2)
            .str("city", &d.city)
            .opt_str("state", d.state)
            .str("region", &d.region)
            .str("postal_code", &d.postal)
            .str("country", p.country)
            .str("kyc_status", p.kyc)
            .close();
        j.str("type", p.itype.wire());
        individual_entity(&mut j, p, &d);
        j.close();
        o.put(&j.s)?;
        o.put("\n")?;
        let mut j = J::new();
        j.open("")
            .num("id", user_id(p))
            .str("email", &d.person_email)
            .close();
        u.put(&j.s)?;
        u.put("\n")?;
    }
    files.push(("investors".to_string(), w.investors.len(), o.finish()?));
    files.push(("users".to_string(), w.investors.len(), u.finish()?));
    // Investments and the created_at sidecar.
    let mut o = Out::create(api.join("investments.jsonl"), true)?;
    let mut s = Out::create(
        api.join("sidecar").join("investments_created_at.jsonl"),
        false,
    )?;
    for inv in &w.invs {
        o.put(&investment_json(inv, w, seed))?;
        o.put("\n")?;
        s.put(&format!(
            "{{\"id\":{},\"created_at\":\"{}\"}}\n",
            inv.id,
            ts(inv.created)
        ))?;
    }
    files.push(("investments".to_string(), w.invs.len(), o.finish()?));
    s.finish()?;
    // Manifest.
    let mut j = J::new();
    j.open("")
        .str("source", "generator")
        .str("pulled_at", &ts(w.snapshot));
    j.open("counts");
    for (name, n, _) in &files {
        j.num(name, *n as i64);
    }
    j.close().open("sha256");
    for (name, _, h) in &files {
        j.str(&format!("{name}.jsonl"), h);
    }
    j.close().close();
    let mut m = Out::create(api.join("manifest.json"), false)?;
    m.put(&j.s)?;
    m.put("\n")?;
    m.finish()?;
    Ok(files)
}

pub(super) fn individual_entity(j: &mut J, p: &Investor, d: &Details) {
    j.open("individual_entity")
        .num("id", individual_entity_id(p))
        .str("first_name", &p.first)
        .str("last_name", &p.last)
        .str("email", &d.person_email)
        .str("phone", &d.phone)
        .str("kyc_status", p.kyc)
        .close();
}

pub(super) fn offering_json(o: &super::super::world::Offering, w: &World) -> String {
    let company = o.name.clone();
    let mut j = J::new();
    let (sec, circ) = match o.kind {
        OffKind::RegCf => ("Crowd SAFE", "form_c"),
        OffKind::RegA => ("Common Stock", "offering_circular"),
        OffKind::D506b | OffKind::D506c => ("LP Units", "private_placement_memorandum"),
        OffKind::RegS => ("Preferred Stock", "offering_memorandum"),
    };
    let contact = [
        "Avery Quinn",
        "Mateo Álvarez",
        "Priya Natarajan",
        "Liesel Brandt",
        "Jonas Ek",
    ][(o.id as usize - 1) % 5];
    j.open("")
        .num("id", o.id)
        .num("issuer", 1)
        .str("name", &company)
        .str("type", o.kind.wire())
        .str("status", o.status)
        .str(
            "description",
            &format!(
                "{company}: {} offering of {} through the Issuance platform.",
                // The Reg A offering states its tier, as an offering circular does.
                if o.kind == OffKind::RegA {
                    "reg_a Tier 2"
                } else {
                    o.kind.wire()
                },
                sec
            ),
        )
        .str("security_type", sec)
        .str(
            "share_or_unit",
            if matches!(o.kind, OffKind::D506b | OffKind::D506c) {
                "Units"
            } else {
                "Shares"
            },
        )
        .str("share_or_unit_details", "")
        .num("warrant_per_unit", 0)
        .num("warrant_expiration_date_delta_year", 0)
        .num("warrant_expiration_date_delta_month", 0)
        .bool("dollar_amount_investment", true)
        .money("unit_price", o.unit_c)
        .money("administrative_fees", 0)
        .bool("administrative_fees_paid_by_investor", false)
        .num("number_of_shares", o.max_raise_c / o.unit_c.max(1))
        .opt_str("max_investment_amount", o.max_c.map(dec).as_deref())
        .money("min_investment_amount", o.min_c)
        .money("investment_increment_amount", o.inc_c)
        .money("minimum_wire_transfer_amount", o.min_wire_c)
        .str("contact_name", contact)
        .str("contact_title", "Chief Financial Officer")
        .str("contact_phone", &format!("+1 415-555-01{:02}", o.id))
        .str("contact_email", &format!("cfo@{}.example.com", o.slug))
        .bool("accredited_investors", true)
        .bool(
            "non_accredited_investors",
            !matches!(o.kind, OffKind::D506c),
        )
        .str("slug", &o.slug)
        .str(
            "logo",
            &format!("https://cdn.example.com/{}/logo.png", o.slug),
        )
        .str(
            "favicon",
            &format!("https://cdn.example.com/{}/favicon.ico", o.slug),
        )
        .str(
            "circular_link",
            &format!(
                "https://www.sec.gov/Archives/edgar/data/{}/",
                1_900_000 + o.id
            ),
        )
        .str(
            "circular_file",
            &format!("https://cdn.example.com/{}/circular.pdf", o.slug),
        )
        .str("circular_type", circ)
        .bool("display_circular", true)
        .null("displayed_number_of_shares")
        .str("signing_full_name", contact)
        .str("signing_title", "Chief Financial Officer")
        .str("signing_email", &format!("cfo@{}.example.com", o.slug))
        .str("support_email", &format!("support@{}.example.com", o.slug))
        .str("support_phone", &format!("+1 415-555-02{:02}", o.id))
        .bool("daily_summary_emails", true)
        .str(
            "daily_summary_recipients",
            &format!("cfo@{}.example.com", o.slug),
        )
        .bool("weekly_summary_emails", false)
        .str("weekly_summary_recipients", "")
        .num("wire_email_reminder_period", 3)
        .num("wire_email_reminder_max_sent", 3)
        .num("investment_email_reminder_period", 2)
        .num("investment_email_reminder_max_sent", 2)
        .str(
            "messaging_consent_text",
            "I agree to receive messages about my investment.",
        )
        .str("email_sender_name", &company)
        .str("default_timezone", "US/Pacific")
        .str("segment_dataset_id", "")
        .bool("auto_approve_investments", o.kind == OffKind::RegCf)
        .bool("auto_accept_investments", false)
        .opt_str("auto_accept_max_amount", None)
        .opt_str("auto_accept_min_amount", None)
        .bool("email_investment_started_high_value", true)
        .money("email_investment_started_threshold", o.min_c * 20)
        .bool("enable_test_the_waters", false)
        .null("displayed_test_the_waters_amounts")
        .str("accent_color", "#1F6FEB")
        .str("background_accent_color", "#F6F8FA")
        .str("activity_accent_color", "#2DA44E")
        .bool("per_investment_summary_emails", false)
        .str("per_investment_summary_recipients", "")
        .bool("user_sent_max_monitoring_emails", false)
        .str("user_sent_max_monitoring_recipients", "")
        .bool("other_platform_investment_notice", o.kind == OffKind::RegCf)
        .str(
            "other_platform_investment_notice_text",
            if o.kind == OffKind::RegCf {
                "Include Reg CF investments made on other platforms in the last 12 months."
            } else {
                ""
            },
        )
        .bool("investor_phone_number_required", false)
        .money("minimum_amount_raised", o.target_c)
        .opt_str(
            "reg_cf_amount_raised_tier",
            (o.kind == OffKind::RegCf).then_some("tier_3"),
        )
        .money("maximum_amount_raised", o.max_raise_c)
        .opt_str(
            "reg_cf_oversubscription",
            (o.kind == OffKind::RegCf).then_some("first_come_first_served"),
        )
        .opt_str(
            "reg_cf_fee_percentage",
            (o.kind == OffKind::RegCf).then_some("7.00"),
        )
        .bool("archived", false);
    j.open_arr("investors_excluded_countries");
    for c in o.excluded {
        j.str("", c);
    }
    j.close_arr().open_arr("investors_included_countries");
    for c in o.included {
        j.str("", c);
    }
    j.close_arr()
        .str("display_logo_during_investment", "center")
        .bool("display_logo_on_dashboard", true)
        .str("deadline_date", &o.deadline.to_string())
        .ts("created_at", Some(o.created_at))
        .ts("opened_at", Some(o.opened_at))
        .close();
    let _ = w;
    j.s
}

pub(super) fn investment_json(inv: &Inv, w: &World, seed: u64) -> String {
    let p = &w.investors[inv.investor];
    let o = &w.offerings[inv.off];
    let d = details(seed, p, w.snapshot);
    let (first, last) = entity_names(p);
    let mut r = R::new(seed, 3_000_000_000 + inv.id as u64);
    let quantity = inv.amount_c / o.unit_c.max(1);
    // The world's reading of the money fields: which one is the securities value, whether the
    // fees are itemised.
    let k = &w.knobs;
    let sec = inv.amount_c;
    let paid = inv.price_c();
    let (price, amount) = match k.securities_field {
        SecuritiesField::Amount => (paid, sec),
        SecuritiesField::Price => (sec, paid),
    };
    let (fees, proc_) = if k.itemise_fees {
        (inv.fees_c, inv.proc_c)
    } else {
        (0, 0)
    };
    let signed = matches!(
        inv.status,
        Status::Invested | Status::Approved | Status::Accepted | Status::AcceptedEscrowClosed
    );
    let mut j = J::new();
    j.open("")
        .num("id", inv.id)
        .num("quantity", quantity)
        .money("price", price)
        .money("price_fees", fees)
        .money("price_payment_processing_fees", proc_)
        .money("amount", amount)
        .str("status", inv.status.wire())
        .opt_str("payment_intent_id", inv.pi.as_deref())
        .num("offering", o.id)
        .str("reference_id", &inv.reference)
        .str("investor_individual_name", &p.display_name());
    j.open("investor").num("id", p.id);
    j.open("user")
        .num("id", user_id(p))
        .str("email", &d.person_email)
        .str("first_name", &p.first)
        .str("last_name", &p.last)
        .ts("date_joined", Some(p.joined))
        .ts("last_login", Some(d.last_login))
        .close();
    j.open("entity")
        .num("id", entity_id(p))
        .str("email", &d.email)
        .str("phone", &d.phone)
        .str("street_address_1", &d.street1)
        .str("street_address_2", &d.street2)
        .str("city", &d.city)
        .opt_str("state", d.state)
        .str("region", &d.region)
        .str("postal_code", &d.postal)
        .str("country", p.country)
        .str("kyc_status", p.kyc)
        .str("first_name", &first)
        .str("last_name", &last)
        .opt_str("date_of_birth", p.dob.map(|d| d.to_string()).as_deref())
        .money("net_worth", p.nw_c)
        .money("annual_income", p.income_c)
        .bool("accredited_investor", p.accredited)
        .str("citizenship", citizenship_of(p))
        .bool("us_person", p.us_person)
        .bool("exempt_from_backup_withholding", !p.itype.natural())
        .money("amount_invested_in_reg_cf_offering_this_year", p.self_cf_c)
        .opt_str("accredited_investor_type", p.acc_type)
        .str("tax_id_number", &d.tax_id)
        .close();
    individual_entity(&mut j, p, &d);
    j.str("type", p.itype.wire())
        .bool("receive_sms", p.id % 3 == 0)
        .bool("receive_emails", true);
    j.open("utm_parameters");
    if p.id % 4 == 0 {
        j.str(
            "utm_source",
            r.pick::<&str>(&["newsletter", "google", "linkedin", "podcast"]),
        )
        .str("utm_medium", "referral");
    }
    j.close().close();
    let browser = *r.pick(&[
        "Chrome 129 / macOS",
        "Safari 18 / iOS",
        "Firefox 131 / Windows",
        "Edge 129 / Windows",
        "Chrome 129 / Android",
    ]);
    let processed = inv.received.or(if inv.status == Status::PaymentFailed {
        Some(inv.updated)
    } else {
        None
    });
    j.str("payment_method", inv.method.wire())
        .ts("updated_at", Some(inv.updated))
        .bool("has_investor_signed", signed)
        .bool("accredited_investor", p.accredited)
        .money("net_worth", p.nw_c)
        .money("annual_income", p.income_c)
        .bool("us_person", p.us_person)
        .bool("exempt_from_backup_withholding", !p.itype.natural())
        .money("amount_invested_in_reg_cf_offering_this_year", p.self_cf_c)
        .str("user_browser_type", browser)
        .opt_str("accredited_investor_type", p.acc_type)
        .ts("processed_at", processed)
        .num("bonus_shares", 0)
        .str(
            "processing_issue_statuses",
            if inv.status == Status::PaymentFailed {
                "payment_failed"
            } else {
                ""
            },
        )
        .money("shares_amount", inv.amount_c);
    j.open_arr("watchlistentity_set");
    if inv.status != Status::Started {
        j.open("")
            .num("id", inv.id)
            .num("entity", entity_id(p))
            .bool("has_hits", p.watch_hit);
        if p.watch_hit {
            j.open_arr("watchlist_hits");
            j.open("")
                .str("list", "OFAC SDN")
                .str("name", &names::roman_upper(&p.display_name()))
                .num("score", 91)
                .close();
            j.close_arr();
        } else {
            j.null("watchlist_hits");
        }
        j.str(
            "ofac_fincen_status",
            if p.watch_hit {
                "potential_match"
            } else {
                "clear"
            },
        )
        .ts("updated_at", Some(inv.created))
        .str("aml_provider", "ComplyAdvantage")
        .close();
    }
    j.close_arr()
        .str("bonus_shares_code", "")
        .null("bonus_shares_percentage_tier")
        .null("bonus_shares_quantity_tier")
        .num("quantity_qualified_shares", 0)
        .money("price_qualified_shares", 0)
        .ts("received_at", inv.received)
        .ts("invested_at", inv.invested)
        .ts("refunded_at", inv.refunded)
        .close();
    j.s
}
