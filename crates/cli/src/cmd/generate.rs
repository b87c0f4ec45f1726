//! `tieout gen`: write a sandbox dataset.

use anyhow::{Context, Result};
use tieout_domain::sanctions::SdnType;
use tieout_sandbox::generator::{GenConfig, SdnName, WORLD_NAMES, WorldKnobs, generate};

use crate::{GenArgs, Outcome};
use tieout::inputs::load_sanctions;

/// Runs `tieout gen`.
pub fn run(args: GenArgs) -> Result<Outcome> {
    if args.list_worlds {
        for w in WORLD_NAMES {
            println!("{w}");
        }
        return Ok(Outcome::Clean);
    }
    // clap requires both unless --list-worlds.
    let (Some(out), Some(period)) = (args.out.clone(), args.period) else {
        anyhow::bail!("tieout gen needs --out and --period");
    };
    let sdn_names = match &args.sdn {
        Some(dir) => sdn_names(dir)?,
        None => Vec::new(),
    };
    let world = match &args.world_file {
        Some(f) => {
            let text = std::fs::read_to_string(f)
                .with_context(|| format!("reading world knobs {}", f.display()))?;
            WorldKnobs::from_toml(&text).with_context(|| format!("{}", f.display()))?
        }
        None => WorldKnobs::preset(&args.world)?,
    };
    let world_name = world.name.clone();
    let cfg = GenConfig {
        investments: args.investments,
        seed: args.seed,
        period,
        sdn_names,
        world,
    };
    let summary = generate(&cfg, &out)
        .with_context(|| format!("generating a dataset into {}", out.display()))?;
    // The generated api/ is a snapshot like a pull's: give it its binary book too.
    let api = out.join("api");
    tieout_api::snapshot::write_book_cache(&api)
        .with_context(|| format!("writing the binary book into {}", api.display()))?;
    eprintln!(
        "tieout gen: world {world_name}: {} offerings, {} investors, {} investments, {} statement \
         lines, {} payouts, {} planted exceptions, {} planted violations → {}",
        summary.offerings,
        summary.investors,
        summary.investments,
        summary.lines.iter().map(|(_, n)| n).sum::<usize>(),
        summary.payouts,
        summary.exceptions,
        summary.violations,
        out.display()
    );
    Ok(Outcome::Clean)
}

/// Individual and entity names of an SDN list, to plant as sanctioned investors.
fn sdn_names(dir: &std::path::Path) -> Result<Vec<SdnName>> {
    let mut ignored = Vec::new();
    let s = load_sanctions(dir, &mut ignored)?;
    Ok(s.list
        .entries
        .iter()
        .filter(|e| matches!(e.sdn_type, SdnType::Individual | SdnType::Entity))
        .map(|e| SdnName {
            name: e.name.clone(),
            ent_num: e.ent_num,
            individual: e.sdn_type == SdnType::Individual,
            dob: e.dobs.first().and_then(|d| {
                d.date
                    .or_else(|| chrono::NaiveDate::from_ymd_opt(d.year_from, 7, 1))
            }),
            country: e.countries.first().cloned(),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::{Cli, Command};

    fn gen_args(args: &[&str]) -> GenArgs {
        let cli = Cli::try_parse_from(["tieout", "gen"].iter().chain(args)).unwrap();
        match cli.command {
            Command::Gen(a) => a,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn worlds_by_name_by_file_and_listed() {
        let t = tempfile::tempdir().unwrap();
        let out = t.path().join("ag");
        let o = out.to_str().unwrap();
        let common = ["--out", o, "--period", "2026-10", "--investments", "30"];
        let args = gen_args(&[&common[..], &["--world", "amount-gross"]].concat());
        assert!(matches!(run(args).unwrap(), Outcome::Clean));
        let toml = std::fs::read_to_string(out.join("truth/world.toml")).unwrap();
        assert_eq!(
            WorldKnobs::from_toml(&toml).unwrap(),
            WorldKnobs::preset("amount-gross").unwrap()
        );

        let knobs = t.path().join("knobs.toml");
        std::fs::write(&knobs, "name = \"mine\"\ncrypto_fee_bp = 150\n").unwrap();
        let args = gen_args(&[&common[..], &["--world-file", knobs.to_str().unwrap()]].concat());
        run(args).unwrap();
        let toml = std::fs::read_to_string(out.join("truth/world.toml")).unwrap();
        let k = WorldKnobs::from_toml(&toml).unwrap();
        assert_eq!((k.name.as_str(), k.crypto_fee_bp), ("mine", 150));

        let e = run(gen_args(&[&common[..], &["--world", "nope"]].concat())).unwrap_err();
        assert!(e.to_string().contains("known worlds: classic"), "{e}");
        std::fs::write(&knobs, "no_such_knob = 1\n").unwrap();
        let args = gen_args(&[&common[..], &["--world-file", knobs.to_str().unwrap()]].concat());
        assert!(run(args).is_err());
        // Both at once is refused; --list-worlds needs neither --out nor --period.
        assert!(
            Cli::try_parse_from([
                "tieout",
                "gen",
                "--out",
                o,
                "--period",
                "2026-10",
                "--world",
                "classic",
                "--world-file",
                "k.toml"
            ])
            .is_err()
        );
        assert!(matches!(
            run(gen_args(&["--list-worlds"])).unwrap(),
            Outcome::Clean
        ));
    }
}
