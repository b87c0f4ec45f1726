//! A currency on every statement line: the line's own, else its statement's or account's
//! (BAI2 03/02 records, camt `Acct/Ccy` or a balance's `Ccy`, OFX `CURDEF`, a CSV currency
//! column, a bank profile's `currency`, the sign or code the amounts are written with). A file
//! that states none anywhere is read as US dollars, and its notes say that this was assumed.

use super::LoadedStatement;

/// The currency assumed when a file states none.
pub const DEFAULT_CURRENCY: &str = "USD";

/// Gives every line without a currency the one its statement states (another line of the same
/// account, else of the file, when they all agree), else [`DEFAULT_CURRENCY`] with a note.
pub(crate) fn fill_missing(loaded: &mut LoadedStatement) {
    use std::collections::HashMap;
    if loaded.lines.iter().all(|l| l.currency.is_some()) {
        return;
    }
    // The one currency stated per account and for the whole file (`None` inside: they differ).
    let mut by_account: HashMap<Option<String>, Option<String>> = HashMap::new();
    let mut whole: Option<Option<String>> = None;
    for l in &loaded.lines {
        let Some(c) = &l.currency else { continue };
        let slot = by_account
            .entry(l.account.clone())
            .or_insert_with(|| Some(c.clone()));
        if slot.as_ref().is_some_and(|s| s != c) {
            *slot = None;
        }
        match &whole {
            None => whole = Some(Some(c.clone())),
            Some(Some(w)) if w != c => whole = Some(None),
            _ => {}
        }
    }
    let mut assumed = 0usize;
    for l in loaded.lines.iter_mut().filter(|l| l.currency.is_none()) {
        let found = by_account
            .get(&l.account)
            .cloned()
            .flatten()
            .or_else(|| whole.clone().flatten());
        l.currency = Some(found.unwrap_or_else(|| {
            assumed += 1;
            DEFAULT_CURRENCY.to_string()
        }));
    }
    if assumed > 0 {
        loaded.notes.push(format!(
            "{assumed} line(s) state no currency and neither does the file: read as {DEFAULT_CURRENCY} \
             (pin currency = \"...\" in a bank profile if it is another)"
        ));
    }
}
