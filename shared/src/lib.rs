//! Dealgate's domain. Every business rule lives here once: the app calls it
//! to answer instantly, the server calls it again before it writes.
//!
//! Pure Rust: no I/O, no async, compiles for the host and for wasm32.

pub mod api;
pub mod grade;
pub mod i18n;
pub mod money;

pub use grade::{Grade, GradeError, GradingPolicy, LeadBy, Track};
pub use i18n::{Lang, Localized};
pub use money::{Currency, Money, MoneyError};

/// The product's version, reported by `GET /api/health` and shown in the app.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
