//! placecode core: the rules of Kaifeng's venue codes (场所码), shared by the desk app and the
//! central server. No Tauri here: everything is testable without a window.
//!
//! Requirement numbers (R1 to R12) refer to `SPEC.md`'s restatement of Kaifeng notice No. 9.

pub mod checkin;
// The parsers of what users and the network send (marked below): no unwrap, no unchecked index.
#[cfg_attr(not(test), deny(clippy::unwrap_used, clippy::indexing_slicing))]
pub mod code;
pub mod decision;
pub mod error;
pub mod export;
#[cfg_attr(not(test), deny(clippy::unwrap_used, clippy::indexing_slicing))]
pub mod identity;
#[cfg_attr(not(test), deny(clippy::unwrap_used, clippy::indexing_slicing))]
pub mod import;
pub mod keys;
pub mod keystore;
pub mod mask;
#[cfg_attr(not(test), deny(clippy::unwrap_used, clippy::indexing_slicing))]
pub mod normalize;
pub mod poster;
#[cfg_attr(not(test), deny(clippy::unwrap_used, clippy::indexing_slicing))]
pub mod risk;
#[cfg_attr(not(test), deny(clippy::unwrap_used, clippy::indexing_slicing))]
pub mod scan;
pub mod store;
#[cfg_attr(not(test), deny(clippy::unwrap_used, clippy::indexing_slicing))]
pub mod sync;
#[cfg(feature = "client")]
pub mod sync_client;
#[cfg_attr(not(test), deny(clippy::unwrap_used, clippy::indexing_slicing))]
pub mod validate;
pub mod venue;

pub use error::{Error, FieldError, FormCheck, Result};
pub use store::Store;
