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

/// A `WHERE` clause built from fragments with `?` placeholders, numbered
/// as they are added; values are always bound, never spliced in.
#[derive(Default)]
pub struct Where {
    clauses: Vec<String>,
    pub params: Vec<JsValue>,
}

impl Where {
    /// Adds `fragment`, whose every `?` stands for `value`.
    pub fn and(&mut self, fragment: &str, value: JsValue) {
        self.params.push(value);
        self.clauses
            .push(fragment.replace('?', &format!("?{}", self.params.len())));
    }

    /// Adds `fragment` with two values: `?a` and `?b` placeholders.
    pub fn and2(&mut self, fragment: &str, a: JsValue, b: JsValue) {
        self.params.push(a);
        let na = self.params.len();
        self.params.push(b);
        let nb = self.params.len();
        self.clauses.push(
            fragment
                .replace("?a", &format!("?{na}"))
                .replace("?b", &format!("?{nb}")),
        );
    }

    pub fn sql(&self) -> String {
        if self.clauses.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", self.clauses.join(" AND "))
        }
    }

    /// Binds one more value (e.g. a LIMIT) and returns its placeholder.
    pub fn bind(&mut self, value: JsValue) -> String {
        self.params.push(value);
        format!("?{}", self.params.len())
    }
}

/// Rows of a list page: the record's JSON plus its paging key.
#[derive(serde::Deserialize)]
pub struct PageRow {
    pub doc: String,
    pub created_at: String,
    pub id: String,
}

/// Runs a newest-first page query over `table` and answers `{items, next_cursor}`.
/// The stored documents are passed through as raw JSON: a page costs no
/// parsing or re-encoding in the Worker.
pub async fn page(
    env: &Env,
    table: &str,
    mut filter: Where,
    query: &crate::listing::ListQuery,
    search_columns: (&str, &str),
) -> Result<shared::api::Page<Box<serde_json::value::RawValue>>, ApiError> {
    if let Some(q) = &query.q {
        let (a, b) = search_columns;
        filter.and(
            &format!("({a} LIKE ? ESCAPE '\\' OR {b} LIKE ? ESCAPE '\\')"),
            text(&crate::listing::like_pattern(q)),
        );
    }
    if let Some(c) = &query.cursor {
        filter.and2(
            "(created_at < ?a OR (created_at = ?a AND id < ?b))",
            text(&c.created_at),
            text(&c.id),
        );
    }
    let limit = filter.bind(int(query.limit as i64 + 1));
    let sql = format!(
        "SELECT doc, created_at, id FROM {table} {} ORDER BY created_at DESC, id DESC LIMIT {limit}",
        filter.sql()
    );
    let mut rows: Vec<PageRow> = all(stmt(env, &sql, &filter.params)?).await?;
    let next_cursor = if rows.len() > query.limit {
        rows.truncate(query.limit);
        rows.last().map(|r| {
            crate::listing::Cursor {
                created_at: r.created_at.clone(),
                id: r.id.clone(),
            }
            .encode()
        })
    } else {
        None
    };
    let items = rows
        .into_iter()
        .map(|r| serde_json::value::RawValue::from_string(r.doc).map_err(storage))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(shared::api::Page { items, next_cursor })
}
