//! Bank statements in every format the loaders read: CSV layouts, XLSX, BAI2, camt.053.

use super::*;

/// Static description of an account.
pub(crate) struct AcctInfo {
    pub name: String,
    pub bank: &'static str,
    pub bic: &'static str,
    pub aba: &'static str,
    pub number: String,
}

pub(crate) fn acct_info(a: Acct, seed: u64) -> AcctInfo {
    let mut r = R::new(seed, 40 + a.idx() as u64);
    let number = r.digits(10);
    match a {
        Acct::Escrow => AcctInfo {
            name: "North Capital escrow FBO Brightwater Cooperative Brewery Reg CF".into(),
            bank: "TRISTATE CAPITAL BANK",
            bic: "TRSTUS31",
            aba: "043318092",
            number,
        },
        Acct::Operating => AcctInfo {
            name: "Solenne Modular Homes Inc. Operating".into(),
            bank: "JPMORGAN CHASE BANK, N.A.",
            bic: "CHASUS33",
            aba: "021000021",
            number,
        },
        Acct::Private => AcctInfo {
            name: "Harbor Lane & Northstar Subscription Account".into(),
            bank: "FIRST CITIZENS BANK",
            bic: "FCBTUS33",
            aba: "053100300",
            number,
        },
        Acct::Intl => AcctInfo {
            name: "Aurora Geothermal International USD Account".into(),
            bank: "CITIBANK N.A.",
            bic: "CITIUS33",
            aba: "021000089",
            number,
        },
    }
}

/// Writes every statement rendering of one account.
pub(crate) fn write_statements(
    dir: &Path,
    w: &World,
    m: &Money,
    a: Acct,
    seed: u64,
) -> Result<(), GenError> {
    let info = acct_info(a, seed);
    let sdir = dir.join("statements").join(a.id());
    let lines = &m.lines[a.idx()];
    let open = m.opening[a.idx()];
    let close = m.closing(a);
    bai2(
        &sdir.join(format!("{}.bai2", a.id())),
        w,
        lines,
        open,
        &info,
    )?;
    camt(
        &sdir.join(format!("{}.camt053.xml", a.id())),
        w,
        lines,
        open,
        close,
        &info,
        true,
    )?;
    camt(
        &sdir.join(format!("{}.camt053v2.xml", a.id())),
        w,
        lines,
        open,
        close,
        &info,
        false,
    )?;
    xlsx(
        &sdir.join(format!("{}.xlsx", a.id())),
        w,
        lines,
        open,
        close,
        &info,
    )?;
    csvs(&sdir, a, w, lines, open, close, &info)?;
    Ok(())
}

pub(super) fn yymmdd(d: NaiveDate) -> String {
    d.format("%y%m%d").to_string()
}

/// Splits a BAI2 text into chunks at word boundaries so each physical record stays ≤ 80 chars.
pub(super) fn bai_chunks(first_room: usize, text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut room = first_room;
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let add = if cur.is_empty() {
            word.len()
        } else {
            word.len() + 1
        };
        if !cur.is_empty() && cur.len() + add > room {
            out.push(std::mem::take(&mut cur));
            room = 77;
        }
        if !cur.is_empty() {
            cur.push(' ');
        }
        cur.push_str(word);
    }
    if !cur.is_empty() || out.is_empty() {
        out.push(cur);
    }
    out
}

pub(super) fn bai2(
    path: &Path,
    w: &World,
    lines: &[Line],
    open: i64,
    info: &AcctInfo,
) -> Result<(), GenError> {
    let mut o = Out::create(path.to_path_buf(), false)?;
    let created = w.snapshot.date();
    let mut file_total = 0i64;
    let mut file_records = 1usize;
    let mut groups = 0usize;
    o.put(&format!(
        "01,{},TIEOUTSBX,{},0600,{},80,,2/\n",
        info.aba,
        yymmdd(created),
        created.format("%m%d")
    ))?;
    let mut bal = open;
    let mut i = 0;
    while i < lines.len() {
        let day = lines[i].date;
        let j = lines[i..]
            .iter()
            .position(|l| l.date != day)
            .map_or(lines.len(), |k| i + k);
        let day_lines = &lines[i..j];
        let opening = bal;
        let credits: i64 = day_lines
            .iter()
            .filter(|l| l.amount_c >= 0)
            .map(|l| l.amount_c)
            .sum();
        let ncred = day_lines.iter().filter(|l| l.amount_c >= 0).count();
        let debits: i64 = day_lines
            .iter()
            .filter(|l| l.amount_c < 0)
            .map(|l| -l.amount_c)
            .sum();
        let ndeb = day_lines.len() - ncred;
        let closing = opening + credits - debits;
        bal = closing;
        groups += 1;
        o.put(&format!(
            "02,TIEOUTSBX,{},1,{},2400,USD,2/\n",
            info.aba,
            yymmdd(day)
        ))?;
        let mut recs = 0usize;
        let mut total = 0i64;
        o.put(&format!(
            "03,{},USD,010,{},,,015,{},,/\n",
            info.number, opening, closing
        ))?;
        o.put(&format!(
            "88,100,{credits},{ncred},,400,{debits},{ndeb},/\n"
        ))?;
        recs += 2;
        total += opening + closing + credits + debits;
        for l in day_lines {
            let head = format!("16,{},{},0,{},,", l.bai, l.amount_c.abs(), l.bank_ref);
            let chunks = bai_chunks(80usize.saturating_sub(head.len()).max(10), &l.text);
            o.put(&head)?;
            o.put(&chunks[0])?;
            o.put("\n")?;
            recs += 1;
            for c in &chunks[1..] {
                o.put("88,")?;
                o.put(c)?;
                o.put("\n")?;
                recs += 1;
            }
            total += l.amount_c.abs();
        }
        recs += 1;
        o.put(&format!("49,{total},{recs}/\n"))?;
        o.put(&format!("98,{total},1,{}/\n", recs + 2))?;
        file_total += total;
        file_records += recs + 2;
        i = j;
    }
    file_records += 1;
    o.put(&format!("99,{file_total},{groups},{file_records}/\n"))?;
    o.finish()?;
    Ok(())
}

pub(super) fn xml_esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&apos;"),
            c => o.push(c),
        }
    }
    o
}

pub(super) fn btc(kind: Kind, intl: bool) -> (&'static str, &'static str, &'static str) {
    match kind {
        Kind::Wire
        | Kind::WireShortFee
        | Kind::IraWire
        | Kind::DuplicateWire
        | Kind::CryptoSettlement
        | Kind::DisbursementIn => ("PMNT", "RCDT", if intl { "XBCT" } else { "DMCT" }),
        Kind::AchSingle | Kind::AchBatch | Kind::CardPayout | Kind::StripeSweep => {
            ("PMNT", "RCDT", "ACDT")
        }
        Kind::Refund => ("PMNT", "ICDT", "DMCT"),
        Kind::AchReturn => ("PMNT", "RCDT", "ARET"),
        Kind::DisbursementOut | Kind::EscrowRelease => ("PMNT", "ICDT", "BOOK"),
        Kind::EscrowReleaseIn => ("PMNT", "RCDT", "BOOK"),
        Kind::UnknownDeposit => ("PMNT", "RCDT", "OTHR"),
        Kind::UnknownDebit => ("PMNT", "ICDT", "OTHR"),
        Kind::BankFee => ("ACMT", "MDOP", "CHRG"),
    }
}

#[allow(clippy::too_many_arguments)]
pub(super) fn camt(
    path: &Path,
    w: &World,
    lines: &[Line],
    open: i64,
    close: i64,
    info: &AcctInfo,
    v8: bool,
) -> Result<(), GenError> {
    let mut o = Out::create(path.to_path_buf(), false)?;
    let ns = if v8 {
        "camt.053.001.08"
    } else {
        "camt.053.001.02"
    };
    let first = w.period.first_day();
    let last = w.period.last_day();
    let cre = format!("{}T06:00:00Z", w.snapshot.date());
    let intl = info.bic == "CITIUS33";
    o.put(&format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:{ns}\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\n <BkToCstmrStmt>\n  <GrpHdr>\n   <MsgId>STMT{}{}</MsgId>\n   <CreDtTm>{cre}</CreDtTm>\n  </GrpHdr>\n", info.number, last.format("%Y%m%d")))?;
    o.put(&format!("  <Stmt>\n   <Id>{}-{}</Id>\n   <ElctrncSeqNb>{}</ElctrncSeqNb>\n   <CreDtTm>{cre}</CreDtTm>\n   <FrToDt>\n    <FrDtTm>{first}T00:00:00Z</FrDtTm>\n    <ToDtTm>{last}T23:59:59Z</ToDtTm>\n   </FrToDt>\n", info.number, last.format("%Y%m"), last.month()))?;
    let bic_tag = if v8 { "BICFI" } else { "BIC" };
    o.put(&format!("   <Acct>\n    <Id>\n     <Othr>\n      <Id>{}</Id>\n     </Othr>\n    </Id>\n    <Ccy>USD</Ccy>\n    <Ownr>\n     <Nm>{}</Nm>\n    </Ownr>\n    <Svcr>\n     <FinInstnId>\n      <{bic_tag}>{}</{bic_tag}>\n     </FinInstnId>\n    </Svcr>\n   </Acct>\n", info.number, xml_esc(&info.name), info.bic))?;
    for (code, amt, d) in [("OPBD", open, first), ("CLBD", close, last)] {
        o.put(&format!("   <Bal>\n    <Tp>\n     <CdOrPrtry>\n      <Cd>{code}</Cd>\n     </CdOrPrtry>\n    </Tp>\n    <Amt Ccy=\"USD\">{}</Amt>\n    <CdtDbtInd>{}</CdtDbtInd>\n    <Dt>\n     <Dt>{d}</Dt>\n    </Dt>\n   </Bal>\n", dec(amt.abs()), if amt < 0 { "DBIT" } else { "CRDT" }))?;
    }
    let (nc, sc): (usize, i64) = (
        lines.iter().filter(|l| l.amount_c >= 0).count(),
        lines
            .iter()
            .filter(|l| l.amount_c >= 0)
            .map(|l| l.amount_c)
            .sum(),
    );
    let (nd, sd): (usize, i64) = (
        lines.len() - nc,
        lines
            .iter()
            .filter(|l| l.amount_c < 0)
            .map(|l| -l.amount_c)
            .sum(),
    );
    o.put(&format!("   <TxsSummry>\n    <TtlNtries>\n     <NbOfNtries>{}</NbOfNtries>\n    </TtlNtries>\n    <TtlCdtNtries>\n     <NbOfNtries>{nc}</NbOfNtries>\n     <Sum>{}</Sum>\n    </TtlCdtNtries>\n    <TtlDbtNtries>\n     <NbOfNtries>{nd}</NbOfNtries>\n     <Sum>{}</Sum>\n    </TtlDbtNtries>\n   </TxsSummry>\n", lines.len(), dec(sc), dec(sd)))?;
    for (seq, l) in lines.iter().enumerate() {
        let cd = if l.amount_c < 0 { "DBIT" } else { "CRDT" };
        let (dm, fm, sf) = btc(l.kind, intl);
        let sts = if v8 {
            "<Sts>\n     <Cd>BOOK</Cd>\n    </Sts>"
        } else {
            "<Sts>BOOK</Sts>"
        };
        o.put(&format!("   <Ntry>\n    <NtryRef>{}</NtryRef>\n    <Amt Ccy=\"USD\">{}</Amt>\n    <CdtDbtInd>{cd}</CdtDbtInd>\n    {sts}\n    <BookgDt>\n     <Dt>{}</Dt>\n    </BookgDt>\n    <ValDt>\n     <Dt>{}</Dt>\n    </ValDt>\n    <AcctSvcrRef>{}</AcctSvcrRef>\n    <BkTxCd>\n     <Domn>\n      <Cd>{dm}</Cd>\n      <Fmly>\n       <Cd>{fm}</Cd>\n       <SubFmlyCd>{sf}</SubFmlyCd>\n      </Fmly>\n     </Domn>\n     <Prtry>\n      <Cd>{}</Cd>\n      <Issr>BAI</Issr>\n     </Prtry>\n    </BkTxCd>\n    <NtryDtls>\n", seq + 1, dec(l.amount_c.abs()), l.date, l.value_date, xml_esc(&l.bank_ref), l.bai))?;
        if l.items.is_empty() {
            tx(
                &mut o,
                v8,
                None,
                l.amount_c,
                &l.party,
                &l.remit,
                if l.remit.is_empty() {
                    "NOTPROVIDED"
                } else {
                    &l.remit
                },
            )?;
        } else {
            o.put(&format!(
                "     <Btch>\n      <NbOfTxs>{}</NbOfTxs>\n     </Btch>\n",
                l.items.len()
            ))?;
            for (k, it) in l.items.iter().enumerate() {
                let r = format!("{}-{}", l.bank_ref, k + 1);
                tx(
                    &mut o,
                    v8,
                    Some(&r),
                    it.amount_c,
                    &it.name,
                    &it.remit,
                    &it.remit,
                )?;
            }
        }
        o.put(&format!(
            "    </NtryDtls>\n    <AddtlNtryInf>{}</AddtlNtryInf>\n   </Ntry>\n",
            xml_esc(&l.text.chars().take(500).collect::<String>())
        ))?;
    }
    o.put("  </Stmt>\n </BkToCstmrStmt>\n</Document>\n")?;
    o.finish()?;
    Ok(())
}

pub(super) fn tx(
    o: &mut Out,
    v8: bool,
    acct_ref: Option<&str>,
    amount: i64,
    party: &str,
    remit: &str,
    e2e: &str,
) -> Result<(), GenError> {
    o.put("     <TxDtls>\n      <Refs>\n")?;
    if let Some(r) = acct_ref {
        o.put(&format!(
            "       <AcctSvcrRef>{}</AcctSvcrRef>\n",
            xml_esc(r)
        ))?;
    }
    let e2e: String = e2e.chars().take(35).collect();
    o.put(&format!(
        "       <EndToEndId>{}</EndToEndId>\n      </Refs>\n",
        xml_esc(&e2e)
    ))?;
    let cd = if amount < 0 { "DBIT" } else { "CRDT" };
    if v8 {
        o.put(&format!(
            "      <Amt Ccy=\"USD\">{}</Amt>\n      <CdtDbtInd>{cd}</CdtDbtInd>\n",
            dec(amount.abs())
        ))?;
    } else {
        o.put(&format!("      <AmtDtls>\n       <TxAmt>\n        <Amt Ccy=\"USD\">{}</Amt>\n       </TxAmt>\n      </AmtDtls>\n", dec(amount.abs())))?;
    }
    if !party.is_empty() {
        let role = if amount < 0 { "Cdtr" } else { "Dbtr" };
        let nm: String = party.chars().take(140).collect();
        if v8 {
            o.put(&format!("      <RltdPties>\n       <{role}>\n        <Pty>\n         <Nm>{}</Nm>\n        </Pty>\n       </{role}>\n      </RltdPties>\n", xml_esc(&nm)))?;
        } else {
            o.put(&format!("      <RltdPties>\n       <{role}>\n        <Nm>{}</Nm>\n       </{role}>\n      </RltdPties>\n", xml_esc(&nm)))?;
        }
    }
    if !remit.is_empty() {
        let u: String = remit.chars().take(140).collect();
        o.put(&format!(
            "      <RmtInf>\n       <Ustrd>{}</Ustrd>\n      </RmtInf>\n",
            xml_esc(&u)
        ))?;
    }
    o.put("     </TxDtls>\n")
}

pub(super) fn xlsx(
    path: &Path,
    w: &World,
    lines: &[Line],
    open: i64,
    close: i64,
    info: &AcctInfo,
) -> Result<(), GenError> {
    use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook};
    let xe = |e: rust_xlsxwriter::XlsxError| GenError::Xlsx {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    let edate =
        |d: NaiveDate| ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8);
    let mut wb = Workbook::new();
    let snap = w.snapshot.date();
    let created = edate(snap).and_then(|d| d.and_hms(6, 0, 0)).map_err(xe)?;
    wb.set_properties(
        &DocProperties::new()
            .set_title(format!("{} statement {}", info.name, w.period.label()))
            .set_author("tieout sandbox")
            .set_creation_datetime(&created),
    );
    let bold = Format::new().set_bold();
    let datef = Format::new().set_num_format("yyyy-mm-dd");
    let numf = Format::new().set_num_format("#,##0.00");
    let ws = wb.add_worksheet_with_constant_memory().map_err(xe)?;
    ws.set_name("Statement").map_err(xe)?;
    ws.write_string_with_format(0, 0, format!("{} - Account Statement", info.bank), &bold)
        .map_err(xe)?;
    ws.write_string(1, 0, format!("Account: {} ({})", info.name, info.number))
        .map_err(xe)?;
    ws.write_string(
        2,
        0,
        format!(
            "Period: {} to {}   Opening balance: {}   Closing balance: {}",
            w.period.first_day(),
            w.period.last_day(),
            fmt_money(open),
            fmt_money(close)
        ),
    )
    .map_err(xe)?;
    let head = [
        "Posting Date",
        "Value Date",
        "Bank Reference",
        "Description",
        "Counterparty",
        "Debit",
        "Credit",
        "Balance",
    ];
    for (c, h) in head.iter().enumerate() {
        ws.write_string_with_format(4, c as u16, *h, &bold)
            .map_err(xe)?;
    }
    let mut bal = open;
    for (i, l) in lines.iter().enumerate() {
        let row = 5 + i as u32;
        bal += l.amount_c;
        let d = edate(l.date).map_err(xe)?;
        ws.write_datetime_with_format(row, 0, &d, &datef)
            .map_err(xe)?;
        ws.write_datetime_with_format(row, 1, &d, &datef)
            .map_err(xe)?;
        ws.write_string(row, 2, &l.bank_ref).map_err(xe)?;
        ws.write_string(row, 3, &l.text).map_err(xe)?;
        ws.write_string(row, 4, &l.party).map_err(xe)?;
        let col = if l.amount_c < 0 { 5 } else { 6 };
        // Cents → decimal number: exact for amounts well inside f64's integer range.
        ws.write_number_with_format(row, col, l.amount_c.abs() as f64 / 100.0, &numf)
            .map_err(xe)?;
        ws.write_number_with_format(row, 7, bal as f64 / 100.0, &numf)
            .map_err(xe)?;
    }
    ws.set_column_width(0, 12).map_err(xe)?;
    ws.set_column_width(1, 12).map_err(xe)?;
    ws.set_column_width(2, 18).map_err(xe)?;
    ws.set_column_width(3, 60).map_err(xe)?;
    ws.set_column_width(4, 30).map_err(xe)?;
    wb.save(path).map_err(xe)?;
    Ok(())
}

pub(super) fn chase_type(k: Kind) -> &'static str {
    match k {
        Kind::Wire
        | Kind::WireShortFee
        | Kind::IraWire
        | Kind::DuplicateWire
        | Kind::CryptoSettlement
        | Kind::DisbursementIn => "WIRE_INCOMING",
        Kind::AchSingle | Kind::AchBatch | Kind::CardPayout | Kind::StripeSweep => "ACH_CREDIT",
        Kind::Refund => "WIRE_OUTGOING",
        Kind::AchReturn => "ACH_DEBIT",
        Kind::DisbursementOut | Kind::EscrowRelease | Kind::EscrowReleaseIn => "ACCT_XFER",
        Kind::UnknownDeposit => "DEPOSIT",
        Kind::UnknownDebit => "MISC_DEBIT",
        Kind::BankFee => "FEE_TRANSACTION",
    }
}

#[allow(clippy::too_many_arguments)]
pub(super) fn csvs(
    sdir: &Path,
    a: Acct,
    w: &World,
    lines: &[Line],
    open: i64,
    close: i64,
    info: &AcctInfo,
) -> Result<(), GenError> {
    // chase
    let p = sdir.join(format!("{}.chase.csv", a.id()));
    let mut c = csv_writer(&p)?;
    c.write_record([
        "Details",
        "Posting Date",
        "Description",
        "Amount",
        "Type",
        "Balance",
        "Check or Slip #",
    ])
    .map_err(|e| csv_err(&p, e))?;
    let mut bal = open;
    for l in lines {
        bal += l.amount_c;
        let details = if l.amount_c < 0 { "DEBIT" } else { "CREDIT" };
        c.write_record([
            details,
            &l.date.format("%m/%d/%Y").to_string(),
            &l.text,
            &dec(l.amount_c),
            chase_type(l.kind),
            &dec(bal),
            &l.bank_ref,
        ])
        .map_err(|e| csv_err(&p, e))?;
    }
    c.flush().map_err(|e| GenError::io(&p, e))?;
    // debit_credit
    let p = sdir.join(format!("{}.debit_credit.csv", a.id()));
    let mut c = csv_writer(&p)?;
    c.write_record([format!("Account Statement - {} - {}", info.bank, info.name)])
        .map_err(|e| csv_err(&p, e))?;
    c.write_record([format!(
        "Account {} Period {} to {} Opening {} Closing {}",
        info.number,
        w.period.first_day(),
        w.period.last_day(),
        dec(open),
        dec(close)
    )])
    .map_err(|e| csv_err(&p, e))?;
    c.write_record([
        "Date",
        "Reference",
        "Description",
        "Debit",
        "Credit",
        "Balance",
    ])
    .map_err(|e| csv_err(&p, e))?;
    let mut bal = open;
    for l in lines {
        bal += l.amount_c;
        let (dr, cr) = if l.amount_c < 0 {
            (dec(-l.amount_c), String::new())
        } else {
            (String::new(), dec(l.amount_c))
        };
        c.write_record([
            &l.date.to_string(),
            &l.bank_ref,
            &l.text,
            &dr,
            &cr,
            &dec(bal),
        ])
        .map_err(|e| csv_err(&p, e))?;
    }
    c.flush().map_err(|e| GenError::io(&p, e))?;
    // crdr
    let p = sdir.join(format!("{}.crdr.csv", a.id()));
    let mut c = csv_writer(&p)?;
    c.write_record([
        "Value Date",
        "Booking Date",
        "Reference",
        "Counterparty",
        "Details",
        "Amount",
        "CR/DR",
    ])
    .map_err(|e| csv_err(&p, e))?;
    for l in lines {
        let d = l.date.format("%d-%b-%Y").to_string();
        let details = if l.remit.is_empty() {
            l.text.clone()
        } else {
            l.remit.clone()
        };
        c.write_record([
            &d,
            &d,
            &l.bank_ref,
            &l.party,
            &details,
            &format!("${}", grouped(l.amount_c.abs())),
            &(if l.amount_c < 0 { "DR" } else { "CR" }).to_string(),
        ])
        .map_err(|e| csv_err(&p, e))?;
    }
    c.flush().map_err(|e| GenError::io(&p, e))?;
    // escrow_bank
    let p = sdir.join(format!("{}.escrow_bank.csv", a.id()));
    let mut c = csv_writer(&p)?;
    c.write_record(["Posting Date", "Bank Ref", "Originator", "Memo", "Amount"])
        .map_err(|e| csv_err(&p, e))?;
    for l in lines {
        let amt = if l.amount_c >= 0 {
            grouped(l.amount_c)
        } else if matches!(l.kind, Kind::BankFee | Kind::AchReturn) {
            format!("{}-", grouped(-l.amount_c))
        } else {
            format!("({})", grouped(-l.amount_c))
        };
        let memo = if l.remit.is_empty() {
            l.text.chars().take(60).collect()
        } else {
            l.remit.clone()
        };
        c.write_record([
            &l.date.format("%m/%d/%Y").to_string(),
            &l.bank_ref,
            &l.party,
            &memo,
            &amt,
        ])
        .map_err(|e| csv_err(&p, e))?;
    }
    c.flush().map_err(|e| GenError::io(&p, e))?;
    Ok(())
}
