//! `tieout-score DATASET RUN`: the accuracy of the run written to `RUN` against the ground truth
//! of the generated dataset `DATASET` ([`tieout_sandbox::truth::score_run`], the one scoring the
//! accuracy tests use too), printed as one JSON object for `cargo xtask bench`.

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    let [dataset, run] = args.as_slice() else {
        eprintln!("usage: tieout-score DATASET RUN");
        return ExitCode::from(2);
    };
    match tieout_sandbox::truth::score_run(dataset, run) {
        Ok(s) => {
            println!(
                "{{\"truth\":{},\"found\":{},\"correct\":{},\"planted\":{},\"planted_reported\":{}}}",
                s.truth, s.found, s.correct, s.planted, s.planted_reported
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("tieout-score: error: {e}");
            ExitCode::from(2)
        }
    }
}
