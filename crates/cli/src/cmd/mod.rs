//! One module per subcommand.

pub mod book;
pub mod check;
pub mod generate;
pub mod pull;
pub mod read;
pub mod reconcile;
pub mod sandbox;

/// A multi-threaded tokio runtime for the network-facing commands.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}
