//! Sessions, known by the SHA-256 of their token (`auth::session_id`).

use super::users::UserRow;
use super::{Database, Outcome, Stmt, Value, first, rate, run, storage};
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
    first(db, load_statement(id)).await
}

/// The statement `load` runs: the session, its user and the configuration's
/// version (run ahead in a handler's batch by `api::ahead`).
pub fn load_statement(id: &str) -> Stmt {
    Stmt::new(
        format!(
            "SELECT s.last_seen_at, s.expires_at, {} AS config_version, \
             u.id, u.email, u.name, u.password_hash, u.roles, u.active \
             FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = ?1",
            super::config::VERSION_SQL
        ),
        vec![Value::from(id)],
    )
}

/// What `load_statement` answered.
pub fn parse_load(outcome: Outcome) -> Result<Option<SessionRow>, ApiError> {
    Ok(outcome.parse()?.into_iter().next())
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

/// Starts a session, sweeping the user's dead ones in the same batch, with
/// `also` (what the sign-in writes besides).
pub async fn start(
    db: &dyn Database,
    id: &str,
    user_id: &str,
    now: i64,
    (idle_secs, absolute_secs): (i64, i64),
    also: Vec<Stmt>,
) -> Result<(), ApiError> {
    let mut batch = also;
    batch.extend([
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
    ]);
    run(db, batch).await?;
    Ok(())
}

/// Ends every session of a user (roles changed, deactivated, new password).
pub fn end_all_of(user_id: &str) -> Stmt {
    Stmt::new(
        "DELETE FROM sessions WHERE user_id = ?1",
        vec![Value::from(user_id)],
    )
}

/// Counts one sign-in attempt in the e-mail's and the client's window
/// `slot` (`rate::count`: parallel attempts get distinct counts, so no more
/// than the limit are ever checked), and sweeps their older windows, in one
/// batch. Answers (e-mail count, client count), this attempt included.
pub async fn count_sign_in(
    db: &dyn Database,
    email_key: &str,
    client_key: &str,
    slot: i64,
) -> Result<(u64, u64), ApiError> {
    let [_, email, client]: [Outcome; 3] = run(
        db,
        vec![
            Stmt::new(
                "DELETE FROM rate_counters WHERE key IN (?1, ?2) AND slot < ?3",
                vec![
                    Value::from(email_key),
                    Value::from(client_key),
                    Value::Int(slot),
                ],
            ),
            rate::count(email_key, slot),
            rate::count(client_key, slot),
        ],
    )
    .await?
    .try_into()
    .map_err(|_| storage("the sign-in count answered the wrong number of results"))?;
    Ok((rate::parse(email)?, rate::parse(client)?))
}

/// A sign-in that succeeded: the e-mail's failures are forgotten, and the
/// attempt no longer counts against the client (only failures do).
pub fn sign_in_succeeded(email_key: &str, client_key: &str, slot: i64) -> Vec<Stmt> {
    vec![
        Stmt::new(
            "DELETE FROM rate_counters WHERE key = ?1",
            vec![Value::from(email_key)],
        ),
        Stmt::new(
            "UPDATE rate_counters SET count = count - 1 WHERE key = ?1 AND slot = ?2 AND count > 0",
            vec![Value::from(client_key), Value::Int(slot)],
        ),
    ]
}
