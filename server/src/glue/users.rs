//! Users: the picker list, and the admin's user management.

use super::crypto::{new_id, pbkdf2, random_bytes};
use super::db::{self, int, text};
use super::{Ctx, json, storage};
use crate::auth::{
    PBKDF2_ITERATIONS, PasswordHash, SALT_BYTES, check_new_password, normalize_email,
    removes_last_admin, role_set,
};
use crate::error::ApiError;
use serde::Deserialize;
use shared::api::{Me, NewUser, Page, UserPatch, UserSummary};
use shared::i18n::Localized;
use shared::opportunity::MAX_NAME;
use shared::user::Role;
use shared::validate::{MAX_EMAIL, check_email, required_text};
use worker::Response;

/// A `users` row as D1 returns it.
#[derive(Debug, Deserialize)]
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
        })
    }
}

const USER_COLUMNS: &str = "id, email, name, password_hash, roles, active";

/// Checks a new account: e-mail, name, password, at least one role.
pub fn validate_new_user(new: NewUser) -> Result<NewUser, ApiError> {
    let mut issues = Vec::new();
    let email = required_text(
        &mut issues,
        "email",
        &normalize_email(&new.email),
        MAX_EMAIL,
    );
    check_email(&mut issues, "email", &email);
    let name = required_text(&mut issues, "name", &new.name, MAX_NAME);
    if let Err(issue) = check_new_password(&new.password) {
        issues.push(issue);
    }
    let roles = role_set(&mut issues, new.roles);
    if !issues.is_empty() {
        return Err(ApiError::Invalid(issues));
    }
    Ok(NewUser {
        email,
        name,
        password: new.password,
        roles,
    })
}

async fn hash_password(password: &str) -> Result<String, ApiError> {
    let salt = random_bytes::<SALT_BYTES>()?;
    let hash = pbkdf2(password, &salt, PBKDF2_ITERATIONS).await?;
    Ok(PasswordHash {
        iterations: PBKDF2_ITERATIONS,
        salt: salt.to_vec(),
        hash,
    }
    .encode())
}

fn roles_json(roles: &[Role]) -> Result<String, ApiError> {
    serde_json::to_string(roles).map_err(storage)
}

async fn find(ctx: &Ctx<'_>, sql_where: &str, value: &str) -> Result<Option<UserRow>, ApiError> {
    db::first(db::stmt(
        ctx.env,
        &format!("SELECT {USER_COLUMNS} FROM users WHERE {sql_where} = ?1"),
        &[text(value)],
    )?)
    .await
}

/// Inserts a validated new user; 409 when the e-mail is taken.
pub async fn insert_user(ctx: &Ctx<'_>, id: &str, new: NewUser) -> Result<Me, ApiError> {
    if find(ctx, "email", &new.email).await?.is_some() {
        return Err(ApiError::Conflict {
            code: "email_taken",
            message: Localized::new("该邮箱已有账号", "An account with this e-mail exists"),
        });
    }
    let hash = hash_password(&new.password).await?;
    let now = ctx.now.to_rfc3339();
    db::batch(
        ctx.env,
        vec![db::stmt(
            ctx.env,
            "INSERT INTO users (id, email, name, password_hash, roles, active, created_at, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, 1, ?6, ?6)",
            &[text(id), text(&new.email), text(&new.name), text(&hash), text(&roles_json(&new.roles)?), text(&now)],
        )?],
    )
    .await?;
    Ok(Me {
        id: id.to_string(),
        email: new.email,
        name: new.name,
        roles: new.roles,
        active: true,
    })
}

#[derive(Deserialize)]
struct SummaryRow {
    id: String,
    name: String,
    roles: String,
}

/// `GET /api/users`: active users for pickers.
pub async fn list_users(ctx: Ctx<'_>) -> Result<Response, ApiError> {
    let rows: Vec<SummaryRow> = db::all(db::stmt(
        ctx.env,
        "SELECT id, name, roles FROM users WHERE active = 1 ORDER BY name",
        &[],
    )?)
    .await?;
    let items = rows
        .into_iter()
        .map(|r| {
            Ok(UserSummary {
                id: r.id,
                name: r.name,
                roles: serde_json::from_str(&r.roles).map_err(storage)?,
            })
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    json(200, &Page::whole(items))
}

/// `GET /api/admin/users`: every account, active or not.
pub async fn list_admin_users(ctx: Ctx<'_>) -> Result<Response, ApiError> {
    let rows: Vec<UserRow> = db::all(db::stmt(
        ctx.env,
        &format!("SELECT {USER_COLUMNS} FROM users ORDER BY active DESC, email"),
        &[],
    )?)
    .await?;
    let items = rows
        .into_iter()
        .map(UserRow::into_me)
        .collect::<Result<Vec<_>, _>>()?;
    json(200, &Page::whole(items))
}

/// `POST /api/admin/users`.
pub async fn create_user(mut ctx: Ctx<'_>) -> Result<Response, ApiError> {
    let new = validate_new_user(ctx.body().await?)?;
    let id = new_id("u_")?;
    let me = insert_user(&ctx, &id, new).await?;
    json(201, &me)
}

async fn active_admins(ctx: &Ctx<'_>) -> Result<Vec<String>, ApiError> {
    let rows: Vec<UserRow> = db::all(db::stmt(
        ctx.env,
        &format!("SELECT {USER_COLUMNS} FROM users WHERE active = 1"),
        &[],
    )?)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| r.into_me().ok())
        .filter(|m| m.roles.contains(&Role::Admin))
        .map(|m| m.id)
        .collect())
}

/// `PATCH /api/admin/users/{id}`: name, roles, active, password. A change of
/// roles or a deactivation ends the user's sessions in the same batch; the
/// last active admin cannot be demoted or deactivated.
pub async fn update_user(mut ctx: Ctx<'_>) -> Result<Response, ApiError> {
    let id = ctx.param("id")?.to_string();
    let patch: UserPatch = ctx.body().await?;
    let current = find(&ctx, "id", &id)
        .await?
        .ok_or(ApiError::RecordNotFound)?
        .into_me()?;

    let mut issues = Vec::new();
    let name = match &patch.name {
        Some(n) => required_text(&mut issues, "name", n, MAX_NAME),
        None => current.name.clone(),
    };
    let roles = role_set(
        &mut issues,
        patch.roles.clone().unwrap_or_else(|| current.roles.clone()),
    );
    if let Some(p) = &patch.password
        && let Err(issue) = check_new_password(p)
    {
        issues.push(issue);
    }
    if !issues.is_empty() {
        return Err(ApiError::Invalid(issues));
    }
    let active = patch.active.unwrap_or(current.active);
    let keeps_admin = active && roles.contains(&Role::Admin);
    if current.active
        && current.roles.contains(&Role::Admin)
        && removes_last_admin(&active_admins(&ctx).await?, &id, keeps_admin)
    {
        return Err(ApiError::Conflict {
            code: "last_admin",
            message: Localized::new(
                "不能移除最后一位管理员的管理员角色或停用其账号",
                "The last active admin cannot lose the admin role or be deactivated",
            ),
        });
    }

    let mut statements = vec![db::stmt(
        ctx.env,
        "UPDATE users SET name = ?1, roles = ?2, active = ?3, updated_at = ?4 WHERE id = ?5",
        &[
            text(&name),
            text(&roles_json(&roles)?),
            int(i64::from(active)),
            text(&ctx.now.to_rfc3339()),
            text(&id),
        ],
    )?];
    if let Some(p) = &patch.password {
        let hash = hash_password(p).await?;
        statements.push(db::stmt(
            ctx.env,
            "UPDATE users SET password_hash = ?1 WHERE id = ?2",
            &[text(&hash), text(&id)],
        )?);
    }
    let revoke = roles != current.roles || !active || patch.password.is_some();
    if revoke {
        statements.push(db::stmt(
            ctx.env,
            "DELETE FROM sessions WHERE user_id = ?1",
            &[text(&id)],
        )?);
    }
    db::batch(ctx.env, statements).await?;
    json(
        200,
        &Me {
            id,
            email: current.email,
            name,
            roles,
            active,
        },
    )
}
