//! Column roles from header names: the synonyms banks use for dates, amounts, debit/credit
//! pairs, indicators, descriptions, references, balances, currencies and accounts.

use super::profile::ColumnRole;

fn norm_header(h: &str) -> String {
    let folded = deunicode::deunicode(h.trim()).to_ascii_lowercase();
    let mut out = String::with_capacity(folded.len());
    let mut space = false;
    for c in folded.chars() {
        if c.is_ascii_alphanumeric() {
            if space && !out.is_empty() {
                out.push(' ');
            }
            space = false;
            out.push(c);
        } else {
            space = true;
        }
    }
    out
}

/// Role and rank (lower = stronger claim) for a header name.
pub(crate) fn role_for_header(h: &str) -> Option<(ColumnRole, u8)> {
    use ColumnRole::*;
    let n = norm_header(h);
    let r = match n.as_str() {
        "posting date"
        | "post date"
        | "posted date"
        | "booking date"
        | "book date"
        | "booked date"
        | "entry date"
        | "buchungstag"
        | "buchungsdatum"
        | "date de comptabilisation" => (BookingDate, 0),
        "date"
        | "transaction date"
        | "trans date"
        | "txn date"
        | "tran date"
        | "datum"
        | "dato"
        | "fecha"
        | "date de l operation"
        | "date operation"
        | "created"
        | "created utc" => (BookingDate, 1),
        "value date" | "valuta" | "valutadatum" | "effective date" | "date de valeur"
        | "val date" | "value dt" | "valuedate" => (ValueDate, 0),
        "amount"
        | "transaction amount"
        | "amt"
        | "amount usd"
        | "montant"
        | "montant de l operation"
        | "betrag"
        | "belob"
        | "importe"
        | "bedrag"
        | "signed amount"
        | "net amount" => (Amount, 0),
        "debit" | "debits" | "debit amount" | "withdrawal" | "withdrawals"
        | "withdrawal amount" | "money out" | "paid out" | "outflow" | "debit usd"
        | "amount debit" | "soll" => (Debit, 0),
        "credit" | "credits" | "credit amount" | "deposit" | "deposits" | "deposit amount"
        | "money in" | "paid in" | "inflow" | "credit usd" | "amount credit" | "haben" => {
            (Credit, 0)
        }
        "cr dr"
        | "dr cr"
        | "crdr"
        | "drcr"
        | "debit credit"
        | "credit debit"
        | "d c"
        | "c d"
        | "dc indicator"
        | "cr dr indicator"
        | "debit credit indicator"
        | "credit debit indicator"
        | "cdtdbtind"
        | "direction"
        | "sign" => (CrDr, 0),
        "description"
        | "transaction description"
        | "memo"
        | "narrative"
        | "narration"
        | "remittance"
        | "remittance information"
        | "payment details"
        | "particulars"
        | "libelle"
        | "text"
        | "verwendungszweck"
        | "omschrijving"
        | "concepto" => (Description, 0),
        "details"
        | "transaction details"
        | "detail"
        | "detail de l ecriture"
        | "remarks"
        | "notes"
        | "additional information"
        | "addenda" => (Description, 1),
        "counterparty" | "counter party" | "counterparty name" | "originator"
        | "originator name" | "beneficiary" | "beneficiary name" | "payee" | "payer" | "payor"
        | "name" | "sender" | "remitter" | "ordering party" | "from" | "to" | "debtor"
        | "creditor" | "party" | "auftraggeber" | "empfanger" => (Counterparty, 0),
        "bank ref"
        | "bank reference"
        | "bank ref no"
        | "reference"
        | "ref"
        | "ref no"
        | "reference no"
        | "reference number"
        | "transaction reference"
        | "check or slip"
        | "check number"
        | "check no"
        | "cheque number"
        | "cheque no"
        | "check"
        | "serial number"
        | "transaction id"
        | "fitid"
        | "trace number"
        | "confirmation number"
        | "referenz" => (Reference, 0),
        "customer reference"
        | "customer ref"
        | "client reference"
        | "client ref"
        | "end to end id"
        | "end to end reference"
        | "endtoendid"
        | "e2e reference" => (EndToEnd, 0),
        "type" | "transaction type" | "trans type" | "tran type" | "type code" | "bai code"
        | "bai type" | "transaction code" | "txn type" => (Type, 0),
        "balance" | "running balance" | "ledger balance" | "balance usd" | "solde" | "saldo"
        | "closing balance" | "available balance" => (Balance, 0),
        "currency" | "ccy" | "currency code" | "devise" | "cur" | "wahrung" | "valuta code" => {
            (Currency, 0)
        }
        "account" | "account number" | "account no" | "account id" | "iban" => (Account, 0),
        _ => return None,
    };
    Some(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_synonyms() {
        assert_eq!(
            role_for_header("Check or Slip #").map(|r| r.0),
            Some(ColumnRole::Reference)
        );
        assert_eq!(
            role_for_header("  CR/DR ").map(|r| r.0),
            Some(ColumnRole::CrDr)
        );
        assert_eq!(
            role_for_header("Date de l'opération").map(|r| r.0),
            Some(ColumnRole::BookingDate)
        );
        assert_eq!(
            role_for_header("Bank Reference").map(|r| r.0),
            Some(ColumnRole::Reference)
        );
        assert_eq!(role_for_header("Fee Withheld"), None);
    }
}
