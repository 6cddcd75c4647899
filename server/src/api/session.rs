//! Sign-in, sign-out, the current user, first-admin setup; who a request's
//! session cookie signs in.

use super::users::{create, validate_new_user};
use super::{ApiResult, Ctx};
use crate::auth::{
    ABSOLUTE_SECS, DUMMY_SALT, FAILURE_WINDOW_SECS, HASH_BYTES, IDLE_SECS, PBKDF2_ITERATIONS,
    PasswordHash, SALT_BYTES, SESSION_COOKIE, SessionState, TOKEN_BYTES, clear_cookie,
    cookie_value, encode_token, failure_keys, normalize_email, session_cookie, session_id,
    session_state, throttled,
};
use crate::error::ApiError;
use crate::http::{Request, Response};
use crate::runtime::Runtime;
use crate::store::{Database, sessions, storage, users};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use shared::api::{LoginRequest, Me, NewUser};
use shared::user::Role;
use subtle::ConstantTimeEq;

/// The session id the request's cookie names, if it is well formed.
pub fn cookie_session_id(req: &Request) -> Option<String> {
    cookie_value(req.header("cookie").unwrap_or_default(), SESSION_COOKIE).and_then(session_id)
}

/// The user a live session signs in, with the configuration's version read
/// in the same statement; expired sessions are deleted on sight.
pub async fn signed_in(
    db: &dyn Database,
    id: &str,
    now: DateTime<Utc>,
) -> Result<Option<(Me, u64)>, ApiError> {
    let row = sessions::load(db, id).await?;
    settle(db, id, row, now).await
}

/// The user a session row signs in, if it is live: an expired session is
/// deleted, and one not seen for a while is marked seen now.
pub async fn settle(
    db: &dyn Database,
    id: &str,
    row: Option<sessions::SessionRow>,
    now: DateTime<Utc>,
) -> Result<Option<(Me, u64)>, ApiError> {
    let Some(row) = row else {
        return Ok(None);
    };
    let now = now.timestamp();
    match session_state(now, row.last_seen_at, row.expires_at) {
        SessionState::Expired => {
            sessions::end(db, id).await?;
            Ok(None)
        }
        SessionState::Valid { touch } => {
            if touch {
                sessions::touch(db, id, now).await?;
            }
            let version = u64::try_from(row.config_version).unwrap_or_default();
            let me = row.user.into_me()?;
            Ok(me.active.then_some((me, version)))
        }
    }
}

/// A stored hash of `password` with a fresh salt.
pub async fn hash_password(rt: &dyn Runtime, password: &str) -> Result<String, ApiError> {
    let mut salt = [0u8; SALT_BYTES];
    rt.random_bytes(&mut salt)?;
    let hash = rt.pbkdf2(password, &salt, PBKDF2_ITERATIONS).await?;
    Ok(PasswordHash {
        iterations: PBKDF2_ITERATIONS,
        salt: salt.to_vec(),
        hash,
    }
    .encode())
}

/// `POST /api/auth/login`. Unknown e-mail and wrong password cost the same
/// and answer the same; repeated failures per e-mail or client get 429.
pub async fn login(ctx: Ctx<'_>) -> ApiResult {
    let body: LoginRequest = ctx.body()?;
    let rt = ctx.rt;
    let client = ctx.req.header("cf-connecting-ip").unwrap_or("unknown");
    let (email_key, client_key) = failure_keys(&body.email, client);
    // This attempt is counted before its password is checked: a burst of
    // parallel attempts gets no more checks than the limit.
    let window = FAILURE_WINDOW_SECS as i64;
    let slot = ctx.now.timestamp().div_euclid(window);
    let (email_attempts, client_attempts) =
        sessions::count_sign_in(ctx.db(), &email_key, &client_key, slot).await?;
    if throttled(email_attempts - 1, client_attempts - 1) {
        return Err(ApiError::TooManyRequests {
            retry_after: ((slot + 1) * window - ctx.now.timestamp()).unsigned_abs(),
        });
    }
    let row = users::by_email(ctx.db(), &normalize_email(&body.email)).await?;
    let stored = row
        .as_ref()
        .and_then(|r| PasswordHash::parse(&r.password_hash));
    let check = stored.clone().unwrap_or(PasswordHash {
        iterations: PBKDF2_ITERATIONS,
        salt: DUMMY_SALT.to_vec(),
        hash: vec![0; HASH_BYTES],
    });
    let derived = rt
        .pbkdf2(&body.password, &check.salt, check.iterations)
        .await?;
    let user = match (row, stored) {
        (Some(row), Some(stored)) if stored.matches(&derived) && row.active == 1 => {
            row.into_me()?
        }
        // Counted already.
        _ => return Err(ApiError::InvalidCredentials),
    };

    let mut bytes = [0u8; TOKEN_BYTES];
    rt.random_bytes(&mut bytes)?;
    let token = encode_token(&bytes);
    let id = session_id(&token).ok_or_else(|| storage("fresh token has no id"))?;
    sessions::start(
        ctx.db(),
        &id,
        &user.id,
        ctx.now.timestamp(),
        (IDLE_SECS, ABSOLUTE_SECS),
        // A success clears this e-mail's failures and is no failure of the
        // client's.
        sessions::sign_in_succeeded(&email_key, &client_key, slot),
    )
    .await?;
    Ok(Response::json(200, &user)?
        .with_header("set-cookie", &session_cookie(&token, ctx.req.secure)))
}

/// `POST /api/auth/logout`: ends the session the cookie names for good
/// (whoever holds a token may end it) and clears the cookie.
pub async fn logout(ctx: Ctx<'_>) -> ApiResult {
    if let Some(id) = &ctx.session_id {
        super::ahead::forget(id);
        sessions::end(ctx.db(), id).await?;
    }
    Ok(Response::empty(204).with_header("set-cookie", &clear_cookie(ctx.req.secure)))
}

/// `GET /api/me`.
pub async fn me(ctx: Ctx<'_>) -> ApiResult {
    let mut me = ctx.me()?.clone();
    // Reviewers (the queue's own access rule) learn how many wait.
    if crate::auth::authorize(crate::routes::CHANNEL, Some(&me)).is_ok() {
        me.pending_registrations =
            Some(crate::store::registrations::count_submitted(ctx.db()).await?);
    }
    Response::json(200, &me)
}

#[derive(Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub(crate) struct SetupRequest {
    token: String,
    email: String,
    name: String,
    password: String,
}

/// `POST /api/setup`: the first admin of a new deployment, once. Needs the
/// `SETUP_TOKEN` secret; answers 404 once any user exists (or with no secret).
pub async fn setup(ctx: Ctx<'_>) -> ApiResult {
    let not_found = || ApiError::NotFound {
        method: crate::http::Method::Post,
        path: "/api/setup".into(),
    };
    let secret = ctx.rt.secret("SETUP_TOKEN").unwrap_or_default();
    if secret.is_empty() || users::count(ctx.db()).await? > 0 {
        return Err(not_found());
    }
    let body: SetupRequest = ctx.body()?;
    if !bool::from(body.token.as_bytes().ct_eq(secret.as_bytes())) {
        return Err(ApiError::Forbidden);
    }
    let new = validate_new_user(NewUser {
        email: body.email,
        name: body.name,
        password: body.password,
        roles: vec![Role::Admin],
    })?;
    let me = create(&ctx, new).await?;
    Response::json(201, &me)
}
