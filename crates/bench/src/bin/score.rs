//! `tieout-score DATASET RUN [STATEMENT…]`: the accuracy of the run written to `RUN` against
//! the ground truth of the generated dataset `DATASET` ([`tieout_sandbox::truth::grade_run`], the
//! one scoring the accuracy tests use too), printed as one JSON object for `cargo xtask bench`.
//! The statements the run read (default: the dataset's demo set) name the lines of exceptions,
//! so exceptions no plant explains count as false alarms.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use tieout_reconcile::load::{LoadOptions, load_statement};

fn main() -> ExitCode {
    let args: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    let [dataset, run, statements @ ..] = args.as_slice() else {
        eprintln!("usage: tieout-score DATASET RUN [STATEMENT…]");
        return ExitCode::from(2);
    };
    match score(dataset, run, statements) {
        Ok(g) => {
            let s = g.pairs;
            println!(
                "{{\"truth\":{},\"found\":{},\"correct\":{},\"planted\":{},\"planted_reported\":{},\"false_alarms\":{}}}",
                s.truth,
                s.found,
                s.correct,
                s.planted,
                s.planted_reported,
                g.false_alarms.len()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("tieout-score: error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn score(
    dataset: &Path,
    run: &Path,
    statements: &[PathBuf],
) -> anyhow::Result<tieout_sandbox::truth::Grade> {
    let files: Vec<PathBuf> = if statements.is_empty() {
        let ds: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dataset.join("dataset.json"))?)?;
        ds["demo"]["statements"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(|s| dataset.join(s)))
            .collect()
    } else {
        statements.to_vec()
    };
    let mut refs: HashMap<(String, u32), String> = HashMap::new();
    for f in &files {
        let loaded = load_statement(f, &LoadOptions::default())?;
        for l in loaded.lines {
            let key = l.entry_ref.or(l.bank_ref).unwrap_or_default();
            refs.insert((l.file, l.statement_row), key);
        }
    }
    Ok(tieout_sandbox::truth::grade_run(dataset, run, |f, r| {
        refs.get(&(f.to_string(), r)).cloned()
    })?)
}
