//! `tieout sandbox`: serve a dataset as a local Issuer API.

use anyhow::{Context, Result};
use tieout_sandbox::server::{FaultConfig, ServerConfig, serve};

use crate::{Outcome, SandboxArgs};

/// Runs the server until Ctrl-C.
pub fn run(args: SandboxArgs) -> Result<Outcome> {
    let mut cfg = ServerConfig::new(&args.data);
    cfg.port = args.port;
    if let Some(spec) = &args.faults {
        cfg.faults = FaultConfig::parse(spec).with_context(|| format!("--faults {spec}"))?;
    }
    let rt = super::runtime()?;
    rt.block_on(async move {
        let server = serve(cfg)
            .await
            .with_context(|| format!("starting the sandbox on {}", args.data.display()))?;
        let url = server.base_url();
        eprintln!(
            "tieout sandbox: serving {} at {url} (Ctrl-C stops)",
            args.data.display()
        );
        if let Some(path) = &args.ready_file {
            // Written whole, then renamed: a reader never sees half a URL.
            let tmp = path.with_extension("partial");
            std::fs::write(&tmp, format!("{url}\n"))
                .with_context(|| format!("writing {}", tmp.display()))?;
            std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))?;
        }
        server.run_until_ctrl_c().await.context("serving")?;
        Ok(Outcome::Clean)
    })
}
