//! The Workers runtime binding: the fetch event, D1, KV, crypto and the
//! static assets. Compiled only for wasm32. Handlers stay thin: parse, load,
//! call the rule, write, answer.

mod auth;
mod config;
mod crypto;
mod db;
mod leads;
mod opportunities;
mod store;
mod users;

use crate::auth::{Access, authorize, is_json};
use crate::error::ApiError;
use crate::http::{API_HEADERS, Method, is_api_path};
use crate::routes::{Endpoint, Params, Resolution, resolve};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde::de::DeserializeOwned;
use shared::api::{Health, Me, PROBLEM_CONTENT_TYPE};
use shared::i18n::Lang;
use worker::{Context, Env, Headers, Request, Response, event};

/// Bindings named in wrangler.toml.
const ASSETS: &str = "ASSETS";

/// What a handler gets: the request, its parameters, who is asking.
pub(crate) struct Ctx<'a> {
    pub env: &'a Env,
    pub req: Request,
    pub params: Params,
    pub user: Option<Me>,
    pub session_id: Option<String>,
    pub now: DateTime<Utc>,
    /// Did the request come over HTTPS (then cookies are `Secure`)?
    pub secure: bool,
}

impl Ctx<'_> {
    /// The signed-in user; the authorisation layer has already required one.
    pub fn me(&self) -> Result<&Me, ApiError> {
        self.user.as_ref().ok_or(ApiError::Unauthenticated)
    }

    pub fn param(&self, name: &str) -> Result<&str, ApiError> {
        self.params.get(name).ok_or(ApiError::RecordNotFound)
    }

    /// The JSON body as `T`; a 400 naming what is wrong otherwise.
    pub async fn body<T: DeserializeOwned>(&mut self) -> Result<T, ApiError> {
        let text = self
            .req
            .text()
            .await
            .map_err(|e| ApiError::BadRequest(e.to_string()))?;
        serde_json::from_str(&text).map_err(|e| ApiError::BadRequest(e.to_string()))
    }

    /// The query string's pairs, decoded.
    pub fn query(&self) -> Result<Vec<(String, String)>, ApiError> {
        let url = self.req.url().map_err(storage)?;
        Ok(url
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect())
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.req.headers().get(name).ok().flatten()
    }
}

#[event(start)]
fn start() {
    console_error_panic_hook::set_once();
}

/// The caller's language from `Accept-Language` (browsers list it in order).
fn language(req: &Request) -> Lang {
    let header = req
        .headers()
        .get("accept-language")
        .ok()
        .flatten()
        .unwrap_or_default();
    Lang::negotiate(
        header
            .split(',')
            .map(|part| part.split(';').next().unwrap_or_default()),
    )
}

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp_millis(js_sys::Date::now() as i64).unwrap_or_default()
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> worker::Result<Response> {
    if !is_api_path(&req.path()) {
        // Reached only when the asset layer passed the request on; let it answer.
        return env.assets(ASSETS)?.fetch_request(req).await;
    }
    let lang = language(&req);
    let mut response = match api(req, &env).await {
        Ok(response) => response,
        Err(error) => problem_response(&error, lang)?,
    };
    let headers = response.headers_mut();
    for (name, value) in API_HEADERS {
        headers.set(name, value)?;
    }
    Ok(response)
}

async fn api(req: Request, env: &Env) -> Result<Response, ApiError> {
    let path = req.path();
    let method = Method::parse(req.method().as_ref()).ok_or(ApiError::UnsupportedMethod)?;
    let (route, params) = match resolve(method, &path) {
        Resolution::Found(route, params) => (route, params),
        Resolution::MethodNotAllowed(allowed) => {
            return Err(ApiError::MethodNotAllowed { allowed });
        }
        Resolution::NotFound => return Err(ApiError::NotFound { method, path }),
    };
    if method.is_mutating() && !is_json(req.headers().get("content-type").ok().flatten().as_deref())
    {
        return Err(ApiError::UnsupportedMediaType);
    }
    let now = now();
    let session = if route.access != Access::Public || route.endpoint == Endpoint::Logout {
        auth::load_session(&req, env, now).await?
    } else {
        None
    };
    let (user, session_id) = match session {
        Some((user, id)) => (Some(user), Some(id)),
        None => (None, None),
    };
    // The one authorisation layer: every route names its rule in the table.
    authorize(route.access, user.as_ref())?;
    let secure = req.url().map(|u| u.scheme() == "https").unwrap_or(false);
    let ctx = Ctx {
        env,
        req,
        params,
        user,
        session_id,
        now,
        secure,
    };
    dispatch(route.endpoint, ctx).await
}

async fn dispatch(endpoint: Endpoint, ctx: Ctx<'_>) -> Result<Response, ApiError> {
    match endpoint {
        Endpoint::Health => health(&ctx).await,
        Endpoint::Login => auth::login(ctx).await,
        Endpoint::Logout => auth::logout(ctx).await,
        Endpoint::Me => auth::me(ctx).await,
        Endpoint::Setup => auth::setup(ctx).await,
        Endpoint::ListUsers => users::list_users(ctx).await,
        Endpoint::ListAdminUsers => users::list_admin_users(ctx).await,
        Endpoint::CreateUser => users::create_user(ctx).await,
        Endpoint::UpdateUser => users::update_user(ctx).await,
        Endpoint::Config => config::get_config(ctx).await,
        Endpoint::ListLeads => leads::list_leads(ctx).await,
        Endpoint::CreateLead => leads::create_lead(ctx).await,
        Endpoint::GetLead => leads::get_lead(ctx).await,
        Endpoint::UpdateLead => leads::update_lead(ctx).await,
        Endpoint::SetLeadTask => leads::set_lead_task(ctx).await,
        Endpoint::ConvertLead => leads::convert_lead(ctx).await,
        Endpoint::DisqualifyLead => leads::disqualify_lead(ctx).await,
        Endpoint::ListOpportunities => opportunities::list_opportunities(ctx).await,
        Endpoint::GetOpportunity => opportunities::get_opportunity(ctx).await,
        Endpoint::UpdateOpportunity => opportunities::update_opportunity(ctx).await,
        Endpoint::SetOpportunityTask => opportunities::set_task(ctx).await,
        Endpoint::RequestApproval => opportunities::request_approval(ctx).await,
        Endpoint::DecideApproval => opportunities::decide_approval(ctx).await,
        Endpoint::SetTeam => opportunities::set_team(ctx).await,
        Endpoint::OverrideGrade => opportunities::override_grade(ctx).await,
        Endpoint::CheckOpportunity => opportunities::check_opportunity(ctx).await,
        Endpoint::TransitionOpportunity => opportunities::transition_opportunity(ctx).await,
        Endpoint::OpportunityHistory => opportunities::opportunity_history(ctx).await,
    }
}

async fn health(ctx: &Ctx<'_>) -> Result<Response, ApiError> {
    db::first::<serde_json::Value>(db::stmt(ctx.env, "SELECT 1 AS ok", &[])?).await?;
    json(200, &Health::ok())
}

pub(crate) fn storage(e: impl std::fmt::Display) -> ApiError {
    worker::console_error!("storage error: {e}");
    ApiError::Storage(e.to_string())
}

pub(crate) fn json<T: Serialize>(status: u16, body: &T) -> Result<Response, ApiError> {
    Response::from_json(body)
        .map(|r| r.with_status(status))
        .map_err(storage)
}

pub(crate) fn empty(status: u16) -> Result<Response, ApiError> {
    Response::empty()
        .map(|r| r.with_status(status))
        .map_err(storage)
}

pub(crate) fn with_cookie(mut response: Response, cookie: &str) -> Result<Response, ApiError> {
    response
        .headers_mut()
        .append("set-cookie", cookie)
        .map_err(storage)?;
    Ok(response)
}

fn problem_response(error: &ApiError, lang: Lang) -> worker::Result<Response> {
    let headers = Headers::new();
    headers.set("content-type", PROBLEM_CONTENT_TYPE)?;
    if let Some(allow) = error.allow_header() {
        headers.set("allow", &allow)?;
    }
    if let Some(seconds) = error.retry_after() {
        headers.set("retry-after", &seconds.to_string())?;
    }
    Ok(Response::from_json(&error.to_problem(lang))?
        .with_status(error.status())
        .with_headers(headers))
}
