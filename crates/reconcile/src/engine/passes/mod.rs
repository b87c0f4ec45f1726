//! The matching passes, in the order a run applies them (see [`crate::engine::run`]). Each match
//! records its rule and a score in [0, 1]; each pass only sees the lines and movements the
//! passes before it left open.

pub(crate) mod batches;
pub(crate) mod budget;
pub(crate) mod exact;
pub(crate) mod fuzzy_reference;
pub(crate) mod name_index;
pub(crate) mod names;
pub(crate) mod negative_batches;
pub(crate) mod payouts;
pub(crate) mod releases;
pub(crate) mod splits;
