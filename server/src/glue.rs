//! The Workers runtime binding: the fetch event, D1, KV and the static
//! assets. Compiled only for wasm32.

use crate::error::ApiError;
use crate::http::{API_HEADERS, Method, is_api_path};
use crate::routes::{Endpoint, Params, Resolution, resolve};
use shared::api::{Health, PROBLEM_CONTENT_TYPE, Problem};
use worker::{Context, Env, Headers, Request, Response, event};

/// Bindings named in wrangler.toml.
const DB: &str = "DB";
const ASSETS: &str = "ASSETS";

#[event(start)]
fn start() {
    console_error_panic_hook::set_once();
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> worker::Result<Response> {
    let path = req.path();
    if !is_api_path(&path) {
        // Reached only when the asset layer passed the request on; let it answer.
        return env.assets(ASSETS)?.fetch_request(req).await;
    }
    let answer = match Method::parse(req.method().as_ref()) {
        None => Err(ApiError::UnsupportedMethod),
        Some(method) => match resolve(method, &path) {
            Resolution::Found(endpoint, params) => handle(endpoint, params, &req, &env).await,
            Resolution::MethodNotAllowed(allowed) => Err(ApiError::MethodNotAllowed { allowed }),
            Resolution::NotFound => Err(ApiError::NotFound { method, path }),
        },
    };
    let mut response = match answer {
        Ok(response) => response,
        Err(error) => problem_response(&error)?,
    };
    let headers = response.headers_mut();
    for (name, value) in API_HEADERS {
        headers.set(name, value)?;
    }
    Ok(response)
}

async fn handle(
    endpoint: Endpoint,
    _params: Params,
    _req: &Request,
    env: &Env,
) -> Result<Response, ApiError> {
    match endpoint {
        Endpoint::Health => health(env).await,
    }
}

async fn health(env: &Env) -> Result<Response, ApiError> {
    let db = env.d1(DB).map_err(storage)?;
    db.prepare("SELECT 1 AS ok")
        .first::<serde_json::Value>(None)
        .await
        .map_err(storage)?;
    json(200, &Health::ok())
}

fn storage(e: worker::Error) -> ApiError {
    worker::console_error!("storage error: {e}");
    ApiError::Storage(e.to_string())
}

fn json<T: serde::Serialize>(status: u16, body: &T) -> Result<Response, ApiError> {
    Response::from_json(body)
        .map(|r| r.with_status(status))
        .map_err(|e| ApiError::Storage(e.to_string()))
}

fn problem_response(error: &ApiError) -> worker::Result<Response> {
    let problem: Problem = error.to_problem();
    let headers = Headers::new();
    headers.set("content-type", PROBLEM_CONTENT_TYPE)?;
    if let Some(allow) = error.allow_header() {
        headers.set("allow", &allow)?;
    }
    Ok(Response::from_json(&problem)?
        .with_status(error.status())
        .with_headers(headers))
}
