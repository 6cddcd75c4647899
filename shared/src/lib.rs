//! Dealgate's domain. Every business rule lives here once: the app calls it
//! to answer instantly, the server calls it again before it writes.
//!
//! Pure Rust: no I/O, no async, compiles for the host and for wasm32.

pub mod access;
pub mod api;
pub mod builtin;
pub mod checklist;
pub mod draft;
pub mod event;
pub mod forecast;
pub mod gate;
pub mod grade;
pub mod i18n;
pub mod impact;
pub mod lead;
pub mod money;
pub mod opportunity;
pub mod pipeline;
pub mod registration;
pub mod regrade;
pub mod report;
pub mod sample;
#[cfg(feature = "schema")]
mod schema;
pub mod user;
pub mod validate;
pub mod wire;

pub use access::{DealAction, LeadAction};
pub use gate::{Blocker, BlockerKind, Target, Transition, Verdict, apply, check};
pub use grade::{Grade, GradeError, GradeView, GradingPolicy, LeadBy, Track};
pub use i18n::{Lang, Localized};
pub use money::{Currency, Money, MoneyError};
pub use opportunity::{OpError, Opportunity, OpportunityRow, Status};
pub use pipeline::{Key, Pipeline, Stage, StageKey};
pub use user::{Actor, Role};

/// The product's version, reported by `GET /api/health` and shown in the app.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
