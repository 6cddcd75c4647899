//! The API's handlers, one module per resource, in plain Rust: each takes
//! a [`Ctx`] (the crate's own request, its path parameters, the signed-in
//! user, the time, the runtime) and answers the crate's own [`Response`].
//! No `worker` type reaches here, so host tests run every handler.
//!
//! [`handle`] is one request's whole path: route, media type, session,
//! authorisation, handler, problem+json, the API headers.

pub mod ahead;
pub mod audit;
pub mod config;
pub mod grading;
pub mod leads;
pub mod opportunities;
pub mod pipelines;
pub mod registrations;
pub mod reports;
pub mod review;
pub mod session;
pub mod settings;
pub mod users;

use crate::auth::{Access, authorize, is_json};
use crate::error::ApiError;
use crate::http::{API_HEADERS, Request, Response};
use crate::routes::{Params, Resolution, resolve};
use crate::runtime::Runtime;
use crate::store::Database;
use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use shared::api::{Health, Me};
use shared::user::Actor;

pub type ApiResult = Result<Response, ApiError>;

/// What a handler gets: the request, its parameters, who is asking, when.
pub struct Ctx<'a> {
    pub rt: &'a dyn Runtime,
    pub req: Request,
    pub params: Params,
    /// The signed-in user (always there on routes that are not public).
    pub user: Option<Me>,
    /// The session the cookie names (valid or not: sign-out ends it anyway).
    pub session_id: Option<String>,
    pub now: DateTime<Utc>,
}

impl<'a> Ctx<'a> {
    pub fn db(&self) -> &'a dyn Database {
        self.rt.db()
    }

    /// The signed-in user; the authorisation layer has already required one.
    pub fn me(&self) -> Result<&Me, ApiError> {
        self.user.as_ref().ok_or(ApiError::Unauthenticated)
    }

    /// The signed-in user as the shared rules see them.
    pub fn actor(&self) -> Result<Actor, ApiError> {
        let me = self.me()?;
        Ok(Actor::new(me.id.clone(), &me.roles))
    }

    pub fn param(&self, name: &str) -> Result<&str, ApiError> {
        self.params.get(name).ok_or(ApiError::RecordNotFound)
    }

    /// The JSON body as `T`; a 400 naming what is wrong otherwise.
    pub fn body<T: DeserializeOwned>(&self) -> Result<T, ApiError> {
        serde_json::from_slice(&self.req.body).map_err(|e| ApiError::BadRequest(e.to_string()))
    }

    pub fn query(&self) -> &[(String, String)] {
        &self.req.query
    }

    /// The time of this request, as stored.
    pub fn at(&self) -> String {
        self.now.to_rfc3339()
    }

    /// A fresh opaque id: `prefix` + 20 hex digits (80 random bits).
    pub fn new_id(&self, prefix: &str) -> Result<String, ApiError> {
        new_id(self.rt, prefix)
    }
}

/// A fresh opaque id: `prefix` + 20 hex digits (80 random bits).
pub fn new_id(rt: &dyn Runtime, prefix: &str) -> Result<String, ApiError> {
    let mut bytes = [0u8; 10];
    rt.random_bytes(&mut bytes)?;
    Ok(bytes.iter().fold(prefix.to_string(), |mut s, b| {
        s.push_str(&format!("{b:02x}"));
        s
    }))
}

/// Answers one API request. Never fails: every error becomes problem+json
/// in the caller's language; storage errors are logged, not shown.
pub async fn handle(rt: &dyn Runtime, req: Request, now: DateTime<Utc>) -> Response {
    let lang = req.language();
    let secure = req.secure;
    // A read's answer is tagged; the caller's tag, if it sent one.
    let if_none_match = (req.method == Some(crate::http::Method::Get))
        .then(|| req.header("if-none-match").unwrap_or_default().to_string());
    let mut response = match serve(rt, req, now).await {
        Ok(response) => response,
        Err(error) => {
            if let ApiError::Storage(cause) = &error {
                rt.log_error(&format!("storage error: {cause}"));
            }
            Response::problem(&error, lang)
        }
    };
    if let Some(tag) = if_none_match {
        response = response.tagged(Some(&tag).filter(|t| !t.is_empty()).map(String::as_str));
    }
    for (name, value) in API_HEADERS {
        response.headers.push((name.to_string(), value.to_string()));
    }
    if secure {
        response = response.with_header(crate::http::HSTS.0, crate::http::HSTS.1);
    }
    response
}

async fn serve(rt: &dyn Runtime, req: Request, now: DateTime<Utc>) -> ApiResult {
    let mutating = req.method.is_some_and(|m| m.is_mutating());
    let (mut response, read_version) = route(rt, req, now).await?;
    // Signed-in callers learn the configuration's version on every answer,
    // so an open page refetches the rules when an admin changes them. A
    // read reports the version read with its session (no round trip of its
    // own); a write may have changed the configuration, so it asks after.
    if let Some(read_version) = read_version
        && response.status < 300
        && response.header(config::VERSION_HEADER).is_none()
    {
        let version = match mutating {
            false => Some(read_version),
            true => config::current_version(rt).await,
        };
        if let Some(v) = version {
            response = response.with_header(config::VERSION_HEADER, &v.to_string());
        }
    }
    Ok(response)
}

/// The route's answer, and the configuration's version read with the
/// session when a signed-in user asked.
async fn route(
    rt: &dyn Runtime,
    req: Request,
    now: DateTime<Utc>,
) -> Result<(Response, Option<u64>), ApiError> {
    let method = req.method.ok_or(ApiError::UnsupportedMethod)?;
    let (route, params) = match resolve(method, &req.path) {
        Resolution::Found(route, params) => (route, params),
        Resolution::MethodNotAllowed(allowed) => {
            return Err(ApiError::MethodNotAllowed { allowed });
        }
        Resolution::NotFound => {
            return Err(ApiError::NotFound {
                method,
                path: req.path.clone(),
            });
        }
    };
    if method.is_mutating() && !is_json(req.header("content-type")) {
        return Err(ApiError::UnsupportedMediaType);
    }
    let session_id = session::cookie_session_id(&req);
    // A read of a session this isolate has seen: its session is read with
    // the handler's first batch, and the answer kept only if that session
    // still signs in the same user (`ahead`).
    if method == crate::http::Method::Get
        && route.access != Access::Public
        && let Some(id) = &session_id
        && let Some(guess) = ahead::seen(id)
        && authorize(route.access, Some(&guess)).is_ok()
    {
        let runtime = ahead::Ahead::new(rt, id, guess.clone(), now);
        let ctx = Ctx {
            rt: &runtime,
            req: req.clone(),
            params: params.clone(),
            user: Some(guess.clone()),
            session_id: session_id.clone(),
            now,
        };
        let answer = (route.handler)(ctx).await;
        let row = match runtime.checked() {
            ahead::Checked::Holds(row) => Some(row),
            ahead::Checked::Unread => crate::store::sessions::load(rt.db(), id).await?,
            ahead::Checked::Fails => None,
        };
        // `settle` marks the session seen when due; the guess was checked.
        match row.map(|row| session::settle(rt.db(), id, Some(row), now)) {
            Some(settled) => match settled.await? {
                Some((me, version)) if me == guess => return Ok((answer?, Some(version))),
                _ => ahead::forget(id),
            },
            None => ahead::forget(id),
        }
    }
    let (user, config_version) = match (&session_id, route.access) {
        (_, Access::Public) | (None, _) => (None, None),
        (Some(id), _) => match session::signed_in(rt.db(), id, now).await? {
            Some((me, version)) => {
                ahead::remember(id, &me);
                (Some(me), Some(version))
            }
            None => {
                ahead::forget(id);
                (None, None)
            }
        },
    };
    // The one authorisation layer: every route names its rule in the table.
    authorize(route.access, user.as_ref())?;
    let ctx = Ctx {
        rt,
        req,
        params,
        user,
        session_id,
        now,
    };
    Ok(((route.handler)(ctx).await?, config_version))
}

/// `GET /api/openapi.json`: the API's OpenAPI 3.1 description. Generated
/// from the route table and the wire types by a host test (`openapi.rs`),
/// committed, and served as written: the Worker generates nothing.
pub async fn openapi(_ctx: Ctx<'_>) -> ApiResult {
    Ok(Response {
        status: 200,
        headers: vec![("content-type".into(), "application/json".into())],
        body: include_bytes!("../../openapi.json").to_vec(),
        stream: None,
    })
}

/// `GET /api/health`: the runtime and the database answer.
pub async fn health(ctx: Ctx<'_>) -> ApiResult {
    crate::store::ping(ctx.db()).await?;
    Response::json(200, &Health::ok())
}
