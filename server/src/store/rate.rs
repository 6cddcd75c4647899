//! Fixed-window counters (`rate_counters`): the public form's limit per
//! client address, the sign-in throttle's per e-mail and per address. Each
//! count is one upsert that answers the new count, never a
//! read-modify-write, so parallel requests get distinct counts.

use super::{Outcome, Stmt, Value, storage};
use crate::error::ApiError;
use serde::Deserialize;

/// One more in `key`'s window `slot`; answers the count as it now stands.
pub fn count(key: &str, slot: i64) -> Stmt {
    Stmt::new(
        "INSERT INTO rate_counters (key, slot, count) VALUES (?1, ?2, 1) \
         ON CONFLICT (key, slot) DO UPDATE SET count = count + 1 RETURNING count",
        vec![Value::from(key), Value::Int(slot)],
    )
}

/// The count a [`count`] statement answered.
pub fn parse(outcome: Outcome) -> Result<u64, ApiError> {
    #[derive(Deserialize)]
    struct Count {
        count: i64,
    }
    outcome
        .parse::<Count>()?
        .first()
        .and_then(|c| u64::try_from(c.count).ok())
        .ok_or_else(|| storage("a rate counter answered no count"))
}
