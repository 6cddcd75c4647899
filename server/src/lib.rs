//! Dealgate's Worker, in three layers (ARCHITECTURE.md):
//! - `api` — the handlers, plain Rust on the crate's own request and
//!   response (`http`), routed by the table in `routes`; and `pages`,
//!   the partners' two public pages, rendered as plain HTML;
//! - `store` — all SQL, through one batch seam (`store::Database`);
//! - `platform` — the only wasm32 code: the fetch event, D1, KV,
//!   WebCrypto, the clock.
//!
//! Everything but `platform` compiles and is tested on the host.

pub mod api;
pub mod auth;
pub mod error;
pub mod http;
pub mod listing;
#[cfg(test)]
mod openapi;
pub mod pages;
pub mod routes;
pub mod runtime;
pub mod store;

#[cfg(target_arch = "wasm32")]
mod platform;
