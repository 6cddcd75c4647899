//! The audit of configuration and account changes, newest first.

use super::{Database, Stmt, Value, all, storage};
use crate::error::ApiError;
use serde::Deserialize;
use shared::api::AuditEntry;

/// The statement that records a change, only if the write whose `guard`
/// (a `WHERE` condition with its parameters numbered after the four of the
/// entry) took; `None` records it unconditionally.
pub fn record(
    at: &str,
    by: &str,
    subject: &str,
    summary: &str,
    guard: Option<(&str, Vec<Value>)>,
) -> Stmt {
    let mut params = vec![
        Value::from(at),
        Value::from(by),
        Value::from(subject),
        Value::from(summary),
    ];
    let sql = match guard {
        Some((condition, values)) => {
            params.extend(values);
            format!(
                "INSERT INTO config_audit (at, by_user, subject, summary) SELECT ?1, ?2, ?3, ?4 WHERE {condition}"
            )
        }
        None => "INSERT INTO config_audit (at, by_user, subject, summary) VALUES (?1, ?2, ?3, ?4)"
            .to_string(),
    };
    Stmt::new(sql, params)
}

#[derive(Deserialize)]
struct Row {
    at: String,
    by_user: String,
    subject: String,
    summary: String,
}

/// The newest `limit` changes.
pub async fn list(db: &dyn Database, limit: usize) -> Result<Vec<AuditEntry>, ApiError> {
    let rows: Vec<Row> = all(
        db,
        Stmt::new(
            "SELECT at, by_user, subject, summary FROM config_audit ORDER BY seq DESC LIMIT ?1",
            vec![Value::from(limit as u64)],
        ),
    )
    .await?;
    rows.into_iter()
        .map(|r| {
            Ok(AuditEntry {
                at: chrono::DateTime::parse_from_rfc3339(&r.at)
                    .map_err(storage)?
                    .to_utc(),
                by: r.by_user,
                subject: r.subject,
                summary: r.summary,
            })
        })
        .collect()
}
