//! Dealgate's Worker. Everything here but `glue` is plain Rust, tested on the
//! host; `glue` binds it to the Workers runtime (fetch event, D1, KV, assets).

pub mod auth;
pub mod error;
pub mod http;
pub mod listing;
pub mod routes;

#[cfg(target_arch = "wasm32")]
mod glue;
