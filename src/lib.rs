//! placecode core: the rules of Kaifeng's venue codes (场所码), shared by the desk app and the
//! central server. No Tauri here: everything is testable without a window.
//!
//! Requirement numbers (R1 to R12) refer to `SPEC.md`'s restatement of Kaifeng notice No. 9.

pub mod checkin;
pub mod code;
pub mod decision;
pub mod error;
pub mod export;
pub mod identity;
pub mod import;
pub mod keys;
pub mod mask;
pub mod normalize;
pub mod poster;
pub mod risk;
pub mod scan;
pub mod store;
pub mod sync;
#[cfg(feature = "client")]
pub mod sync_client;
pub mod validate;
pub mod venue;

pub use error::{Error, FieldError, FormCheck, Result};
pub use store::Store;
