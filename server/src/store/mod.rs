//! All SQL, one module per resource. Every statement binds its parameters;
//! a write of a record, its deal team and its events is one guarded batch.
//!
//! The store talks to the database through one seam, [`Database::batch`]:
//! run statements atomically, in order, and answer each one's rows and
//! change count. In the Worker that is D1 (`platform::d1`); in host tests
//! it is SQLite with the same `migrations/*.sql`. D1 is SQLite, so one set
//! of SQL serves both; where D1 differs, the statement says so.

pub mod audit;
pub mod config;
pub mod events;
pub mod grading;
pub mod leads;
pub mod opportunities;
pub mod page;
pub mod pipelines;
pub mod rate;
pub mod registrations;
pub mod reports;
pub mod sessions;
pub mod users;

use crate::error::ApiError;
use serde::de::DeserializeOwned;
use std::fmt;
use std::future::Future;
use std::pin::Pin;

/// A future that stays on its thread (the Workers runtime has one).
pub type LocalFuture<'a, T> = Pin<Box<dyn Future<Output = T> + 'a>>;

/// A bound parameter. D1 and SQLite both take these three kinds.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    /// D1 carries numbers as JS numbers: exact up to 2^53, which every
    /// timestamp, version and amount here stays below.
    Int(i64),
    Text(String),
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::Text(s.to_string())
    }
}

impl From<&String> for Value {
    fn from(s: &String) -> Value {
        Value::Text(s.clone())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::Text(s)
    }
}

impl From<i64> for Value {
    fn from(n: i64) -> Value {
        Value::Int(n)
    }
}

impl From<u64> for Value {
    fn from(n: u64) -> Value {
        Value::Int(i64::try_from(n).unwrap_or(i64::MAX))
    }
}

/// A statement with its parameters (`?1`, `?2`, … in the SQL).
#[derive(Debug, Clone, PartialEq)]
pub struct Stmt {
    pub sql: String,
    pub params: Vec<Value>,
}

impl Stmt {
    pub fn new(sql: impl Into<String>, params: Vec<Value>) -> Stmt {
        Stmt {
            sql: sql.into(),
            params,
        }
    }

    /// The statement with its parameters written in as SQL literals. Only
    /// for files of statements that `wrangler d1 execute --file` runs
    /// locally (the demo and benchmark seed), which take no parameters;
    /// every statement the server runs is bound.
    pub fn to_literal_sql(&self) -> String {
        let literal = |v: &Value| match v {
            Value::Null => "NULL".to_string(),
            Value::Int(n) => n.to_string(),
            Value::Text(s) => format!("'{}'", s.replace('\'', "''")),
        };
        let mut out = String::with_capacity(self.sql.len() * 2);
        let mut chars = self.sql.chars().peekable();
        let mut quoted = false;
        while let Some(c) = chars.next() {
            if c == '\'' {
                quoted = !quoted;
            }
            if c == '?' && !quoted {
                let mut digits = String::new();
                while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                    digits.push(*d);
                    chars.next();
                }
                let n: usize = digits.parse().unwrap_or(0);
                match n.checked_sub(1).and_then(|i| self.params.get(i)) {
                    Some(v) => out.push_str(&literal(v)),
                    None => out.push_str("NULL"),
                }
                continue;
            }
            out.push(c);
        }
        out.push(';');
        out
    }
}

/// A row as a JSON object of its columns (what D1 answers).
pub type Row = serde_json::Map<String, serde_json::Value>;

/// What one statement of a batch did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outcome {
    pub rows: Vec<Row>,
    /// Rows inserted, updated or deleted.
    pub changes: u64,
}

impl Outcome {
    /// The rows as `T`.
    pub fn parse<T: DeserializeOwned>(self) -> Result<Vec<T>, ApiError> {
        self.rows
            .into_iter()
            .map(|r| serde_json::from_value(serde_json::Value::Object(r)).map_err(storage))
            .collect()
    }
}

/// The one seam to the database.
pub trait Database {
    /// Runs `statements` atomically (all or none), in order; one outcome
    /// per statement. A failure of any statement fails the whole batch.
    fn batch(&self, statements: Vec<Stmt>) -> LocalFuture<'_, Result<Vec<Outcome>, ApiError>>;
}

/// A storage failure: logged at the edge, never shown to the caller.
pub fn storage(e: impl fmt::Display) -> ApiError {
    ApiError::Storage(e.to_string())
}

/// Runs a batch and checks it answered once per statement.
pub async fn run(db: &dyn Database, statements: Vec<Stmt>) -> Result<Vec<Outcome>, ApiError> {
    let n = statements.len();
    let out = db.batch(statements).await?;
    if out.len() == n {
        Ok(out)
    } else {
        Err(storage("batch answered the wrong number of results"))
    }
}

/// Does the database answer?
pub async fn ping(db: &dyn Database) -> Result<(), ApiError> {
    run(db, vec![Stmt::new("SELECT 1 AS ok", vec![])]).await?;
    Ok(())
}

/// Every row of one statement, as `T`.
pub async fn all<T: DeserializeOwned>(db: &dyn Database, stmt: Stmt) -> Result<Vec<T>, ApiError> {
    one(run(db, vec![stmt]).await?)?.parse()
}

/// The first row of one statement, as `T`.
pub async fn first<T: DeserializeOwned>(
    db: &dyn Database,
    stmt: Stmt,
) -> Result<Option<T>, ApiError> {
    Ok(all(db, stmt).await?.into_iter().next())
}

fn one(outcomes: Vec<Outcome>) -> Result<Outcome, ApiError> {
    outcomes
        .into_iter()
        .next()
        .ok_or_else(|| storage("batch answered nothing"))
}

/// A record stored whole as JSON (`doc`) in `table`: the statement that
/// reads it by id.
fn select_doc(table: &str, id: &str) -> Stmt {
    Stmt::new(
        format!("SELECT doc FROM {table} WHERE id = ?1"),
        vec![Value::from(id)],
    )
}

#[derive(serde::Deserialize)]
struct Doc {
    doc: String,
}

fn parse_doc<T: DeserializeOwned>(outcome: Outcome) -> Result<Option<T>, ApiError> {
    outcome
        .parse::<Doc>()?
        .first()
        .map(|d| serde_json::from_str(&d.doc).map_err(storage))
        .transpose()
}

/// The record with id `id` in `table`, if it exists.
async fn load_doc<T: DeserializeOwned>(
    db: &dyn Database,
    table: &str,
    id: &str,
) -> Result<Option<T>, ApiError> {
    parse_doc(one(run(db, vec![select_doc(table, id)]).await?)?)
}

/// The record and the configuration, in one round trip (what every lead
/// and deal mutation reads).
async fn load_doc_with_settings<T: DeserializeOwned>(
    db: &dyn Database,
    table: &str,
    id: &str,
) -> Result<(Option<T>, config::Settings), ApiError> {
    let (rows, settings) = config::with_settings(db, select_doc(table, id)).await?;
    Ok((parse_doc(rows)?, settings))
}

/// Runs a guarded write: its first statement updates (or inserts) the
/// record only at the version it was read at (or only if it is new) and
/// stamps `last_write` with a fresh token; every later statement runs only
/// if that write took (see [`Guard`]). Answers whether it did.
pub async fn guarded(db: &dyn Database, statements: Vec<Stmt>) -> Result<bool, ApiError> {
    let outcomes = run(db, statements).await?;
    Ok(outcomes.first().is_some_and(|o| o.changes > 0))
}

/// The `WHERE` of a statement that runs only if `token` won the write of
/// row `id` in `table` (`?a` stands for the id, `?b` for the token).
fn guard_sql(table: &str) -> String {
    format!("(SELECT last_write FROM {table} WHERE id = ?a) = ?b")
}

/// Numbers `?a`/`?b` after `n` parameters.
fn number_guard(sql: &str, n: usize) -> String {
    sql.replace("?a", &format!("?{}", n + 1))
        .replace("?b", &format!("?{}", n + 2))
}

/// The row a batch's later statements are guarded by.
#[derive(Debug, Clone, Copy)]
pub struct Guard<'a> {
    pub table: &'a str,
    pub id: &'a str,
    pub token: &'a str,
}

impl Guard<'_> {
    /// `INSERT INTO <into> (<columns>) SELECT <params> WHERE <guard>`.
    fn insert(&self, into: &str, columns: &str, params: Vec<Value>) -> Stmt {
        self.insert_as("INSERT", into, columns, params)
    }

    /// As [`Guard::insert`], skipping a row its keys already hold.
    fn insert_or_ignore(&self, into: &str, columns: &str, params: Vec<Value>) -> Stmt {
        self.insert_as("INSERT OR IGNORE", into, columns, params)
    }

    fn insert_as(&self, verb: &str, into: &str, columns: &str, mut params: Vec<Value>) -> Stmt {
        let n = params.len();
        let placeholders: Vec<String> = (1..=n).map(|i| format!("?{i}")).collect();
        let sql = format!(
            "{verb} INTO {into} ({columns}) SELECT {} WHERE {}",
            placeholders.join(", "),
            number_guard(&guard_sql(self.table), n)
        );
        params.extend([Value::from(self.id), Value::from(self.token)]);
        Stmt::new(sql, params)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_sql_quotes_text_and_leaves_quoted_question_marks_alone() {
        let s = Stmt::new(
            "INSERT INTO t (a, b, c) SELECT ?1, ?2, ?3 WHERE x LIKE '?%' AND y = ?2",
            vec![Value::from("it's"), Value::Int(42), Value::Null],
        );
        assert_eq!(
            s.to_literal_sql(),
            "INSERT INTO t (a, b, c) SELECT 'it''s', 42, NULL WHERE x LIKE '?%' AND y = 42;"
        );
    }

    #[test]
    fn a_guarded_insert_binds_the_guard_after_its_values() {
        let g = Guard {
            table: "leads",
            id: "l_1",
            token: "w_1",
        };
        let s = g.insert("events", "a, b", vec![Value::from("x"), Value::Int(1)]);
        assert_eq!(
            s.sql,
            "INSERT INTO events (a, b) SELECT ?1, ?2 WHERE (SELECT last_write FROM leads WHERE id = ?3) = ?4"
        );
        assert_eq!(s.params.len(), 4);
    }
}
