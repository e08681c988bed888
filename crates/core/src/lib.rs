//! placecode core: the rules of Kaifeng's venue codes (场所码) and the wire types, shared by the
//! desk app and the central server. No Tauri, SQLite, PDF or image here: everything is testable
//! without a window, and the central server builds on this crate alone.
//!
//! Requirement numbers (R1 to R12) refer to `SPEC.md`'s restatement of Kaifeng notice No. 9.

pub mod checkin;
// The parsers of what users and the network send (marked below): no unwrap, no unchecked index.
#[cfg_attr(not(test), deny(clippy::unwrap_used, clippy::indexing_slicing))]
pub mod code;
pub mod decision;
pub mod english;
pub mod error;
pub mod files;
#[cfg_attr(not(test), deny(clippy::unwrap_used, clippy::indexing_slicing))]
pub mod identity;
#[cfg_attr(not(test), deny(clippy::unwrap_used, clippy::indexing_slicing))]
pub mod import;
pub mod mask;
#[cfg_attr(not(test), deny(clippy::unwrap_used, clippy::indexing_slicing))]
pub mod normalize;
pub mod occupancy;
pub mod print;
pub mod qr;
pub mod release;
#[cfg_attr(not(test), deny(clippy::unwrap_used, clippy::indexing_slicing))]
pub mod risk;
pub mod rotating;
#[cfg_attr(not(test), deny(clippy::unwrap_used, clippy::indexing_slicing))]
pub mod sync;
#[cfg_attr(not(test), deny(clippy::unwrap_used, clippy::indexing_slicing))]
pub mod validate;
pub mod venue;

pub use error::{Error, FieldError, FormCheck, Result};
