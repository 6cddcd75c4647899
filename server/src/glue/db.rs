//! D1 access: every statement binds its parameters; errors become 503s.

use super::storage;
use crate::error::ApiError;
use serde::de::DeserializeOwned;
use wasm_bindgen::JsValue;
use worker::{D1Database, D1PreparedStatement, Env};

const DB: &str = "DB";

pub fn database(env: &Env) -> Result<D1Database, ApiError> {
    env.d1(DB).map_err(storage)
}

/// A prepared statement with its parameters bound.
pub fn stmt(env: &Env, sql: &str, params: &[JsValue]) -> Result<D1PreparedStatement, ApiError> {
    database(env)?.prepare(sql).bind(params).map_err(storage)
}

pub async fn first<T: DeserializeOwned>(stmt: D1PreparedStatement) -> Result<Option<T>, ApiError> {
    stmt.first::<T>(None).await.map_err(storage)
}

pub async fn all<T: DeserializeOwned>(stmt: D1PreparedStatement) -> Result<Vec<T>, ApiError> {
    stmt.all()
        .await
        .map_err(storage)?
        .results::<T>()
        .map_err(storage)
}

/// Runs statements atomically, in one D1 batch.
pub async fn batch(env: &Env, statements: Vec<D1PreparedStatement>) -> Result<(), ApiError> {
    let results = database(env)?.batch(statements).await.map_err(storage)?;
    match results.iter().find_map(|r| r.error()) {
        Some(e) => Err(storage(e)),
        None => Ok(()),
    }
}

pub fn text(s: &str) -> JsValue {
    JsValue::from_str(s)
}

/// D1 numbers travel as JS numbers: exact up to 2^53, which every
/// timestamp and amount here stays below.
pub fn int(n: i64) -> JsValue {
    JsValue::from_f64(n as f64)
}
