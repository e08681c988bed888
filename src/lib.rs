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
#[cfg(feature = "desk")]
pub mod export;
#[cfg_attr(not(test), deny(clippy::unwrap_used, clippy::indexing_slicing))]
pub mod identity;
#[cfg_attr(not(test), deny(clippy::unwrap_used, clippy::indexing_slicing))]
pub mod import;
#[cfg(feature = "desk")]
pub mod keys;
#[cfg(feature = "desk")]
pub mod keystore;
pub mod mask;
#[cfg_attr(not(test), deny(clippy::unwrap_used, clippy::indexing_slicing))]
pub mod normalize;
#[cfg(feature = "desk")]
pub mod poster;
pub mod qr;
#[cfg_attr(not(test), deny(clippy::unwrap_used, clippy::indexing_slicing))]
pub mod risk;
#[cfg(feature = "desk")]
#[cfg_attr(not(test), deny(clippy::unwrap_used, clippy::indexing_slicing))]
pub mod scan;
#[cfg(feature = "desk")]
pub mod store;
#[cfg_attr(not(test), deny(clippy::unwrap_used, clippy::indexing_slicing))]
pub mod sync;
#[cfg(feature = "client")]
pub mod sync_client;
#[cfg_attr(not(test), deny(clippy::unwrap_used, clippy::indexing_slicing))]
pub mod validate;
pub mod venue;

pub use error::{Error, FieldError, FormCheck, Result};
#[cfg(feature = "desk")]
pub use store::Store;
