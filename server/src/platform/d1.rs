//! `store::Database` on D1: a batch of bound statements, atomically.

use crate::error::ApiError;
use crate::store::{Database, LocalFuture, Outcome, Row, Stmt, Value};
use wasm_bindgen::JsValue;
use worker::{D1Database, D1PreparedStatement};

pub const BINDING: &str = "DB";

pub struct D1(pub D1Database);

fn storage(e: impl std::fmt::Display) -> ApiError {
    ApiError::Storage(e.to_string())
}

fn js(v: &Value) -> JsValue {
    match v {
        Value::Null => JsValue::NULL,
        // Exact: every number stored here stays below 2^53.
        Value::Int(n) => JsValue::from_f64(*n as f64),
        Value::Text(s) => JsValue::from_str(s),
    }
}

impl D1 {
    fn prepare(&self, s: &Stmt) -> Result<D1PreparedStatement, ApiError> {
        let params: Vec<JsValue> = s.params.iter().map(js).collect();
        self.0.prepare(&s.sql).bind(&params).map_err(storage)
    }
}

impl Database for D1 {
    fn batch(&self, statements: Vec<Stmt>) -> LocalFuture<'_, Result<Vec<Outcome>, ApiError>> {
        Box::pin(async move {
            let prepared = statements
                .iter()
                .map(|s| self.prepare(s))
                .collect::<Result<Vec<_>, _>>()?;
            // D1 runs a batch as one transaction: all statements or none.
            let results = self.0.batch(prepared).await.map_err(storage)?;
            results
                .iter()
                .map(|r| {
                    if let Some(e) = r.error() {
                        return Err(storage(e));
                    }
                    let changes = r
                        .meta()
                        .map_err(storage)?
                        .and_then(|m| m.changes)
                        .unwrap_or(0) as u64;
                    let rows: Vec<Row> = r.results().map_err(storage)?;
                    Ok(Outcome { rows, changes })
                })
                .collect()
        })
    }
}
