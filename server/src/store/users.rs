//! Accounts: look-ups, the picker list, the admin's changes.

use super::{Database, Stmt, Value, all, audit, first, run, sessions, storage};
use crate::error::ApiError;
use serde::Deserialize;
use shared::api::{Me, UserSummary};
use shared::user::Role;

/// A `users` row.
#[derive(Debug, Clone, Deserialize)]
pub struct UserRow {
    pub id: String,
    pub email: String,
    pub name: String,
    pub password_hash: String,
    pub roles: String,
    pub active: i64,
}

impl UserRow {
    pub fn into_me(self) -> Result<Me, ApiError> {
        let roles: Vec<Role> = serde_json::from_str(&self.roles).map_err(storage)?;
        Ok(Me {
            id: self.id,
            email: self.email,
            name: self.name,
            roles,
            active: self.active == 1,
            pending_registrations: None,
        })
    }
}

pub const USER_COLUMNS: &str = "id, email, name, password_hash, roles, active";

fn roles_json(roles: &[Role]) -> Result<String, ApiError> {
    serde_json::to_string(roles).map_err(storage)
}

pub async fn by_email(db: &dyn Database, email: &str) -> Result<Option<UserRow>, ApiError> {
    first(
        db,
        Stmt::new(
            format!("SELECT {USER_COLUMNS} FROM users WHERE email = ?1"),
            vec![Value::from(email)],
        ),
    )
    .await
}

pub async fn by_id(db: &dyn Database, id: &str) -> Result<Option<UserRow>, ApiError> {
    first(
        db,
        Stmt::new(
            format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?1"),
            vec![Value::from(id)],
        ),
    )
    .await
}

#[derive(Deserialize)]
struct Count {
    n: i64,
}

pub async fn count(db: &dyn Database) -> Result<i64, ApiError> {
    let c: Option<Count> = first(db, Stmt::new("SELECT COUNT(*) AS n FROM users", vec![])).await?;
    Ok(c.map_or(0, |c| c.n))
}

/// A new account, already validated and hashed. `Ok(false)` when the
/// e-mail is taken (the insert changes nothing).
pub async fn insert(
    db: &dyn Database,
    user: &Me,
    password_hash: &str,
    (at, by): (&str, &str),
) -> Result<bool, ApiError> {
    let summary = format!("created with roles {}", roles_json(&user.roles)?);
    super::guarded(
        db,
        vec![Stmt::new(
            "INSERT OR IGNORE INTO users (id, email, name, password_hash, roles, active, created_at, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
            vec![
                Value::from(&user.id),
                Value::from(&user.email),
                Value::from(&user.name),
                Value::from(password_hash),
                Value::from(roles_json(&user.roles)?),
                Value::Int(i64::from(user.active)),
                Value::from(at),
            ],
        ),
        // Recorded only if the account was made (not a taken e-mail).
        audit::record(
            at,
            by,
            &format!("user:{}", user.id),
            &summary,
            Some((
                "EXISTS (SELECT 1 FROM users WHERE id = ?5 AND created_at = ?6)",
                vec![Value::from(&user.id), Value::from(at)],
            )),
        )],
    )
    .await
}

#[derive(Deserialize)]
struct SummaryRow {
    id: String,
    name: String,
    email: String,
    roles: String,
}

/// Active users for pickers, by name.
pub async fn summaries(db: &dyn Database) -> Result<Vec<UserSummary>, ApiError> {
    let rows: Vec<SummaryRow> = all(
        db,
        Stmt::new(
            "SELECT id, name, email, roles FROM users WHERE active = 1 ORDER BY name",
            vec![],
        ),
    )
    .await?;
    rows.into_iter()
        .map(|r| {
            Ok(UserSummary {
                id: r.id,
                name: r.name,
                email: r.email,
                roles: serde_json::from_str(&r.roles).map_err(storage)?,
            })
        })
        .collect()
}

/// Every account's id and name (the CSV names owners, former ones too).
pub async fn names(db: &dyn Database) -> Result<Vec<(String, String)>, ApiError> {
    #[derive(serde::Deserialize)]
    struct Row {
        id: String,
        name: String,
    }
    let rows: Vec<Row> = all(db, Stmt::new("SELECT id, name FROM users", vec![])).await?;
    Ok(rows.into_iter().map(|r| (r.id, r.name)).collect())
}

/// Every account, active first, by e-mail.
pub async fn everyone(db: &dyn Database) -> Result<Vec<Me>, ApiError> {
    let rows: Vec<UserRow> = all(
        db,
        Stmt::new(
            format!("SELECT {USER_COLUMNS} FROM users ORDER BY active DESC, email"),
            vec![],
        ),
    )
    .await?;
    rows.into_iter().map(UserRow::into_me).collect()
}

/// The ids of the active admins.
pub async fn active_admins(db: &dyn Database) -> Result<Vec<String>, ApiError> {
    let rows: Vec<UserRow> = all(
        db,
        Stmt::new(
            format!("SELECT {USER_COLUMNS} FROM users WHERE active = 1"),
            vec![],
        ),
    )
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| r.into_me().ok())
        .filter(|m| m.roles.contains(&Role::Admin))
        .map(|m| m.id)
        .collect())
}

/// Writes an admin's change of a user in one batch: name, roles, active,
/// a new password hash if any, and the end of their sessions if `revoke`.
pub async fn update(
    db: &dyn Database,
    user: &Me,
    password_hash: Option<&str>,
    revoke: bool,
    (at, by, summary): (&str, &str, &str),
) -> Result<(), ApiError> {
    let mut statements = vec![Stmt::new(
        "UPDATE users SET name = ?1, roles = ?2, active = ?3, updated_at = ?4 WHERE id = ?5",
        vec![
            Value::from(&user.name),
            Value::from(roles_json(&user.roles)?),
            Value::Int(i64::from(user.active)),
            Value::from(at),
            Value::from(&user.id),
        ],
    )];
    if let Some(hash) = password_hash {
        statements.push(Stmt::new(
            "UPDATE users SET password_hash = ?1 WHERE id = ?2",
            vec![Value::from(hash), Value::from(&user.id)],
        ));
    }
    if revoke {
        statements.push(sessions::end_all_of(&user.id));
    }
    statements.push(audit::record(
        at,
        by,
        &format!("user:{}", user.id),
        summary,
        None,
    ));
    run(db, statements).await?;
    Ok(())
}
