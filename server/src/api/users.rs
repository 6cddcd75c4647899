//! Users: the picker list, and the admin's user management.

use super::session::hash_password;
use super::{ApiResult, Ctx};
use crate::auth::{check_new_password, normalize_email, removes_last_admin, role_set};
use crate::error::ApiError;
use crate::http::Response;
use crate::store::users;
use shared::api::{Me, NewUser, Page, UserPatch};
use shared::i18n::Localized;
use shared::opportunity::MAX_NAME;
use shared::user::Role;
use shared::validate::{MAX_EMAIL, check_email, required_text};

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

fn email_taken() -> ApiError {
    ApiError::Conflict {
        code: "email_taken",
        message: Localized::new("该邮箱已有账号", "An account with this e-mail exists"),
    }
}

/// Stores a validated new user; 409 when the e-mail is taken.
pub async fn create(ctx: &Ctx<'_>, new: NewUser) -> Result<Me, ApiError> {
    // Checked first so that a taken e-mail costs no password hash.
    if users::by_email(ctx.db(), &new.email).await?.is_some() {
        return Err(email_taken());
    }
    let hash = hash_password(ctx.rt, &new.password).await?;
    let me = Me {
        id: ctx.new_id("u_")?,
        email: new.email,
        name: new.name,
        roles: new.roles,
        active: true,
        pending_registrations: None,
    };
    // The first admin (setup) records themselves as who made the account.
    let by = ctx.user.as_ref().map_or(me.id.clone(), |u| u.id.clone());
    if users::insert(ctx.db(), &me, &hash, (&ctx.at(), &by)).await? {
        Ok(me)
    } else {
        Err(email_taken())
    }
}

/// `GET /api/users`: active users for pickers.
pub async fn list_users(ctx: Ctx<'_>) -> ApiResult {
    Response::json(200, &Page::whole(users::summaries(ctx.db()).await?))
}

/// `GET /api/admin/users`: every account, active or not.
pub async fn list_admin_users(ctx: Ctx<'_>) -> ApiResult {
    Response::json(200, &Page::whole(users::everyone(ctx.db()).await?))
}

/// `POST /api/admin/users`.
pub async fn create_user(ctx: Ctx<'_>) -> ApiResult {
    let new = validate_new_user(ctx.body()?)?;
    let me = create(&ctx, new).await?;
    Response::json(201, &me)
}

/// `PATCH /api/admin/users/{id}`: name, roles, active, password. A change of
/// roles or a deactivation ends the user's sessions in the same batch; the
/// last active admin cannot be demoted or deactivated.
pub async fn update_user(ctx: Ctx<'_>) -> ApiResult {
    let id = ctx.param("id")?.to_string();
    let patch: UserPatch = ctx.body()?;
    let current = users::by_id(ctx.db(), &id)
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
        && removes_last_admin(&users::active_admins(ctx.db()).await?, &id, keeps_admin)
    {
        return Err(ApiError::Conflict {
            code: "last_admin",
            message: Localized::new(
                "不能移除最后一位管理员的管理员角色或停用其账号",
                "The last active admin cannot lose the admin role or be deactivated",
            ),
        });
    }
    let hash = match &patch.password {
        Some(p) => Some(hash_password(ctx.rt, p).await?),
        None => None,
    };
    let revoke = roles != current.roles || !active || patch.password.is_some();
    let updated = Me {
        id,
        email: current.email,
        name,
        roles,
        active,
        pending_registrations: None,
    };
    let mut changes = Vec::new();
    if updated.name != current.name {
        changes.push(format!("name {} → {}", current.name, updated.name));
    }
    if updated.roles != current.roles {
        let names = |r: &[Role]| r.iter().map(|r| r.as_str()).collect::<Vec<_>>().join("+");
        changes.push(format!(
            "roles {} → {}",
            names(&current.roles),
            names(&updated.roles)
        ));
    }
    if updated.active != current.active {
        changes.push(
            if updated.active {
                "reactivated"
            } else {
                "deactivated"
            }
            .to_string(),
        );
    }
    if hash.is_some() {
        changes.push("password reset".to_string());
    }
    let summary = if changes.is_empty() {
        "saved unchanged".to_string()
    } else {
        changes.join("; ")
    };
    let by = ctx.me()?.id.clone();
    users::update(
        ctx.db(),
        &updated,
        hash.as_deref(),
        revoke,
        (&ctx.at(), &by, &summary),
    )
    .await?;
    Response::json(200, &updated)
}
