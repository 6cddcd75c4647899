//! Sign-in, sign-out, the current user, first-admin setup; session loading.

use super::crypto::{new_id, pbkdf2, random_bytes};
use super::db::{self, int, text};
use super::users::{UserRow, insert_user, validate_new_user};
use super::{Ctx, empty, json, storage, with_cookie};
use crate::auth::{
    ABSOLUTE_SECS, DUMMY_SALT, FAILURE_WINDOW_SECS, HASH_BYTES, IDLE_SECS, PBKDF2_ITERATIONS,
    PasswordHash, SESSION_COOKIE, SessionState, TOKEN_BYTES, clear_cookie, cookie_value,
    encode_token, failure_keys, session_cookie, session_id, session_state, throttled,
};
use crate::error::ApiError;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use shared::api::{LoginRequest, Me, NewUser};
use shared::user::Role;
use subtle::ConstantTimeEq;
use worker::{Env, Request, Response};

const KV: &str = "KV";

#[derive(Deserialize)]
struct SessionRow {
    last_seen_at: i64,
    expires_at: i64,
    #[serde(flatten)]
    user: UserRow,
}

/// The signed-in user and session id, if the cookie names a live session.
/// Expired sessions are deleted on sight.
pub async fn load_session(
    req: &Request,
    env: &Env,
    now: DateTime<Utc>,
) -> Result<Option<(Me, String)>, ApiError> {
    let cookies = req
        .headers()
        .get("cookie")
        .ok()
        .flatten()
        .unwrap_or_default();
    let Some(id) = cookie_value(&cookies, SESSION_COOKIE).and_then(session_id) else {
        return Ok(None);
    };
    let row: Option<SessionRow> = db::first(db::stmt(
        env,
        "SELECT s.last_seen_at, s.expires_at, u.id, u.email, u.name, u.password_hash, u.roles, u.active \
         FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = ?1",
        &[text(&id)],
    )?)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let now = now.timestamp();
    match session_state(now, row.last_seen_at, row.expires_at) {
        SessionState::Expired => {
            db::batch(
                env,
                vec![db::stmt(
                    env,
                    "DELETE FROM sessions WHERE id = ?1",
                    &[text(&id)],
                )?],
            )
            .await?;
            Ok(None)
        }
        SessionState::Valid { touch } => {
            if touch {
                db::batch(
                    env,
                    vec![db::stmt(
                        env,
                        "UPDATE sessions SET last_seen_at = ?1 WHERE id = ?2",
                        &[int(now), text(&id)],
                    )?],
                )
                .await?;
            }
            let me = row.user.into_me()?;
            Ok(me.active.then_some((me, id)))
        }
    }
}

// The throttle's counters are best effort: KV is eventually consistent and
// a counter that cannot be read or written must not turn a sign-in into a
// 503. Failures are logged; the limits hold whenever KV answers.

async fn count(kv: &worker::kv::KvStore, key: &str) -> u32 {
    match kv.get(key).text().await {
        Ok(v) => v.and_then(|v| v.parse().ok()).unwrap_or(0),
        Err(e) => {
            worker::console_error!("login throttle: cannot read {key}: {e}");
            0
        }
    }
}

async fn bump(kv: &worker::kv::KvStore, key: &str, current: u32) {
    let put = match kv.put(key, (current + 1).to_string()) {
        Ok(put) => put.expiration_ttl(FAILURE_WINDOW_SECS).execute().await,
        Err(e) => Err(e),
    };
    if let Err(e) = put {
        worker::console_error!("login throttle: cannot count a failure for {key}: {e}");
    }
}

/// `POST /api/auth/login`. Unknown e-mail and wrong password cost the same
/// and answer the same; repeated failures per e-mail or client get 429.
pub async fn login(mut ctx: Ctx<'_>) -> Result<Response, ApiError> {
    let body: LoginRequest = ctx.body().await?;
    let client = ctx
        .header("cf-connecting-ip")
        .unwrap_or_else(|| "unknown".into());
    let (email_key, client_key) = failure_keys(&body.email, &client);
    let kv = ctx.env.kv(KV).map_err(storage)?;
    let (email_failures, client_failures) =
        (count(&kv, &email_key).await, count(&kv, &client_key).await);
    if throttled(email_failures, client_failures) {
        return Err(ApiError::TooManyRequests {
            retry_after: FAILURE_WINDOW_SECS,
        });
    }
    let row: Option<UserRow> = db::first(db::stmt(
        ctx.env,
        "SELECT id, email, name, password_hash, roles, active FROM users WHERE email = ?1",
        &[text(&crate::auth::normalize_email(&body.email))],
    )?)
    .await?;
    let stored = row
        .as_ref()
        .and_then(|r| PasswordHash::parse(&r.password_hash));
    let check = stored.clone().unwrap_or(PasswordHash {
        iterations: PBKDF2_ITERATIONS,
        salt: DUMMY_SALT.to_vec(),
        hash: vec![0; HASH_BYTES],
    });
    let derived = pbkdf2(&body.password, &check.salt, check.iterations).await?;
    let user = match (row, stored) {
        (Some(row), Some(stored)) if stored.matches(&derived) && row.active == 1 => {
            row.into_me()?
        }
        _ => {
            bump(&kv, &email_key, email_failures).await;
            bump(&kv, &client_key, client_failures).await;
            return Err(ApiError::InvalidCredentials);
        }
    };
    // A success clears this e-mail's failures (only if there were any: no
    // KV write on every sign-in).
    if email_failures > 0
        && let Err(e) = kv.delete(&email_key).await
    {
        worker::console_error!("login throttle: cannot clear {email_key}: {e}");
    }

    let token = encode_token(&random_bytes::<TOKEN_BYTES>()?);
    let id = session_id(&token).ok_or_else(|| storage("fresh token has no id"))?;
    let now = ctx.now.timestamp();
    db::batch(
        ctx.env,
        vec![
            // Sign-in is a good moment to sweep this user's dead sessions.
            db::stmt(
                ctx.env,
                "DELETE FROM sessions WHERE user_id = ?1 AND (expires_at <= ?2 OR last_seen_at <= ?3)",
                &[text(&user.id), int(now), int(now - IDLE_SECS)],
            )?,
            db::stmt(
                ctx.env,
                "INSERT INTO sessions (id, user_id, created_at, last_seen_at, expires_at) VALUES (?1, ?2, ?3, ?3, ?4)",
                &[text(&id), text(&user.id), int(now), int(now + ABSOLUTE_SECS)],
            )?,
        ],
    )
    .await?;
    with_cookie(json(200, &user)?, &session_cookie(&token, ctx.secure))
}

/// `POST /api/auth/logout`: ends the session for good and clears the cookie.
pub async fn logout(ctx: Ctx<'_>) -> Result<Response, ApiError> {
    if let Some(id) = &ctx.session_id {
        db::batch(
            ctx.env,
            vec![db::stmt(
                ctx.env,
                "DELETE FROM sessions WHERE id = ?1",
                &[text(id)],
            )?],
        )
        .await?;
    }
    with_cookie(empty(204)?, &clear_cookie(ctx.secure))
}

/// `GET /api/me`.
pub async fn me(ctx: Ctx<'_>) -> Result<Response, ApiError> {
    json(200, ctx.me()?)
}

#[derive(Deserialize)]
struct SetupRequest {
    token: String,
    email: String,
    name: String,
    password: String,
}

#[derive(Deserialize)]
struct Count {
    n: i64,
}

/// `POST /api/setup`: the first admin of a new deployment, once. Needs the
/// `SETUP_TOKEN` secret; answers 404 once any user exists (or with no secret).
pub async fn setup(mut ctx: Ctx<'_>) -> Result<Response, ApiError> {
    let not_found = || ApiError::NotFound {
        method: crate::http::Method::Post,
        path: "/api/setup".into(),
    };
    let Ok(secret) = ctx.env.secret("SETUP_TOKEN").map(|s| s.to_string()) else {
        return Err(not_found());
    };
    let users: Option<Count> =
        db::first(db::stmt(ctx.env, "SELECT COUNT(*) AS n FROM users", &[])?).await?;
    if users.map_or(0, |c| c.n) > 0 || secret.is_empty() {
        return Err(not_found());
    }
    let body: SetupRequest = ctx.body().await?;
    if !bool::from(body.token.as_bytes().ct_eq(secret.as_bytes())) {
        return Err(ApiError::Forbidden);
    }
    let new = validate_new_user(NewUser {
        email: body.email,
        name: body.name,
        password: body.password,
        roles: vec![Role::Admin],
    })?;
    let id = new_id("u_")?;
    let me = insert_user(&ctx, &id, new).await?;
    json(201, &me)
}
