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
