//! Snapshots (pending).
