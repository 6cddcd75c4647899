//! Sessions, known by the SHA-256 of their token (`auth::session_id`).

use super::users::UserRow;
use super::{Database, Stmt, Value, first, run};
use crate::error::ApiError;
use serde::Deserialize;

/// A session with its user.
#[derive(Debug, Deserialize)]
pub struct SessionRow {
    pub last_seen_at: i64,
    pub expires_at: i64,
    /// The configuration's version now (`config::VERSION_SQL`), read with
    /// the session so a signed-in request needs no read of its own for it.
    pub config_version: i64,
    #[serde(flatten)]
    pub user: UserRow,
}

pub async fn load(db: &dyn Database, id: &str) -> Result<Option<SessionRow>, ApiError> {
    first(
        db,
        Stmt::new(
            format!(
                "SELECT s.last_seen_at, s.expires_at, {} AS config_version, \
                 u.id, u.email, u.name, u.password_hash, u.roles, u.active \
                 FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = ?1",
                super::config::VERSION_SQL
            ),
            vec![Value::from(id)],
        ),
    )
    .await
}

pub async fn end(db: &dyn Database, id: &str) -> Result<(), ApiError> {
    run(
        db,
        vec![Stmt::new(
            "DELETE FROM sessions WHERE id = ?1",
            vec![Value::from(id)],
        )],
    )
    .await?;
    Ok(())
}

/// Records a request as the session's last one seen (Unix seconds).
pub async fn touch(db: &dyn Database, id: &str, now: i64) -> Result<(), ApiError> {
    run(
        db,
        vec![Stmt::new(
            "UPDATE sessions SET last_seen_at = ?1 WHERE id = ?2",
            vec![Value::Int(now), Value::from(id)],
        )],
    )
    .await?;
    Ok(())
}

/// Starts a session, sweeping the user's dead ones in the same batch.
pub async fn start(
    db: &dyn Database,
    id: &str,
    user_id: &str,
    now: i64,
    idle_secs: i64,
    absolute_secs: i64,
) -> Result<(), ApiError> {
    run(
        db,
        vec![
            Stmt::new(
                "DELETE FROM sessions WHERE user_id = ?1 AND (expires_at <= ?2 OR last_seen_at <= ?3)",
                vec![
                    Value::from(user_id),
                    Value::Int(now),
                    Value::Int(now - idle_secs),
                ],
            ),
            Stmt::new(
                "INSERT INTO sessions (id, user_id, created_at, last_seen_at, expires_at) VALUES (?1, ?2, ?3, ?3, ?4)",
                vec![
                    Value::from(id),
                    Value::from(user_id),
                    Value::Int(now),
                    Value::Int(now + absolute_secs),
                ],
            ),
        ],
    )
    .await?;
    Ok(())
}

/// Ends every session of a user (roles changed, deactivated, new password).
pub fn end_all_of(user_id: &str) -> Stmt {
    Stmt::new(
        "DELETE FROM sessions WHERE user_id = ?1",
        vec![Value::from(user_id)],
    )
}
