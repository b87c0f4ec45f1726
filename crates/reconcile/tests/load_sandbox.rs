//! Every statement rendering the sandbox generator writes (BAI2, camt.053 v08 and v02, XLSX,
//! four CSV layouts) loads without a profile and without rejects, and yields exactly the lines
//! of `truth/lines.csv` (bank reference, booking date, signed cents, order).

use std::collections::BTreeMap;
use std::path::Path;

use tieout_reconcile::load::{LoadOptions, load_payouts, load_statement};
use tieout_sandbox::generator::{GenConfig, Period, generate};

type Truth = BTreeMap<String, Vec<(String, String, i64)>>;

fn truth(root: &Path) -> Truth {
    let mut t: Truth = BTreeMap::new();
    let mut rdr = csv::Reader::from_path(root.join("truth/lines.csv")).unwrap();
    let h = rdr.headers().unwrap().clone();
    let idx = |n: &str| h.iter().position(|x| x == n).unwrap();
    let (a, s, b, d, c) = (
        idx("account"),
        idx("seq"),
        idx("bank_ref"),
        idx("booking_date"),
        idx("amount_cents"),
    );
    let mut rows: Vec<(String, u32, String, String, i64)> = Vec::new();
    for r in rdr.records() {
        let r = r.unwrap();
        rows.push((
            r[a].to_string(),
            r[s].parse().unwrap(),
            r[b].to_string(),
            r[d].to_string(),
            r[c].parse().unwrap(),
        ));
    }
    rows.sort_by(|x, y| (&x.0, x.1).cmp(&(&y.0, y.1)));
    for (acct, _, bref, date, cents) in rows {
        t.entry(acct).or_default().push((bref, date, cents));
    }
    t
}

#[test]
fn every_sandbox_rendering_loads_to_the_truth() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = GenConfig {
        investments: 150,
        seed: 11,
        period: Period::new(2026, 10).unwrap(),
        sdn_names: vec![],
        world: Default::default(),
    };
    generate(&cfg, dir.path()).unwrap();
    let root = dir.path();
    let truth = truth(root);
    assert!(!truth.is_empty());
    let mut files = 0;
    for (acct, want) in &truth {
        let sdir = root.join("statements").join(acct);
        let mut names: Vec<String> = std::fs::read_dir(&sdir)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert!(names.len() >= 8, "{acct}: {names:?}");
        let mut breaks_by_format: Vec<(String, Vec<i64>)> = Vec::new();
        for name in names {
            let l = load_statement(&sdir.join(&name), &LoadOptions::default())
                .unwrap_or_else(|e| panic!("{e}"));
            assert!(
                l.rejects.is_empty(),
                "{name}: {:?}",
                &l.rejects[..l.rejects.len().min(3)]
            );
            // Collapse camt batch expansions back to their entry.
            let mut got: Vec<(String, String, i64)> = Vec::new();
            let mut last_entry: Option<String> = None;
            for x in &l.lines {
                match &x.entry_ref {
                    Some(e) if last_entry.as_ref() == Some(e) => {
                        got.last_mut().unwrap().2 += x.amount_cents
                    }
                    Some(e) => {
                        got.push((e.clone(), x.booking_date.to_string(), x.amount_cents));
                        last_entry = Some(e.clone());
                    }
                    None => {
                        got.push((
                            x.bank_ref.clone().unwrap_or_default(),
                            x.booking_date.to_string(),
                            x.amount_cents,
                        ));
                        last_entry = None;
                    }
                }
            }
            assert_eq!(&got, want, "{name}");
            let mut b: Vec<i64> = l
                .balance_breaks()
                .iter()
                .map(|b| b.difference_cents)
                .collect();
            b.sort();
            assert!(
                !l.balances.is_empty()
                    || name.ends_with("crdr.csv")
                    || name.ends_with("escrow_bank.csv"),
                "{name}: no stated balance"
            );
            if !l.balances.is_empty() {
                breaks_by_format.push((name.clone(), b));
            }
            files += 1;
        }
        // Every rendering that states balances agrees on whether (and by how much) it breaks.
        for w in breaks_by_format.windows(2) {
            assert_eq!(w[0].1, w[1].1, "{} vs {}", w[0].0, w[1].0);
        }
    }
    assert!(files >= 8);
    let p = load_payouts(&root.join("payouts/stripe-payouts.csv")).unwrap();
    assert!(p.rejects.is_empty(), "{:?}", p.rejects);
    assert!(!p.items.is_empty());
    assert!(
        p.items
            .iter()
            .all(|i| i.payout_id.is_some() && i.payment_intent_id.is_some())
    );
}
