//! What the API needs from the runtime it runs on: the database seam, a
//! key-value store, randomness, PBKDF2, secrets and an error log. The
//! Worker provides D1, KV and WebCrypto (`platform/`); host tests provide
//! SQLite with the same migrations, a map and a pure-Rust PBKDF2.

use crate::error::ApiError;
use crate::store::{Database, LocalFuture};

pub trait Runtime {
    fn db(&self) -> &dyn Database;

    /// A value of the key-value store (read-mostly copies and counters).
    fn kv_get<'a>(&'a self, key: &'a str) -> LocalFuture<'a, Result<Option<String>, ApiError>>;
    /// Stores `value` under `key`, for `ttl_secs` seconds or for good.
    fn kv_put<'a>(&'a self, key: &'a str, value: String) -> LocalFuture<'a, Result<(), ApiError>>;

    /// Fills `buf` from a cryptographically secure generator.
    fn random_bytes(&self, buf: &mut [u8]) -> Result<(), ApiError>;

    /// PBKDF2-HMAC-SHA256 of `password`, 32 bytes.
    fn pbkdf2<'a>(
        &'a self,
        password: &'a str,
        salt: &'a [u8],
        iterations: u32,
    ) -> LocalFuture<'a, Result<Vec<u8>, ApiError>>;

    /// A secret of the deployment (`wrangler secret put`), if set.
    fn secret(&self, name: &str) -> Option<String>;

    /// Records a failure the caller is not shown (storage errors).
    fn log_error(&self, message: &str);
}
