//! The Workers runtime, and the only wasm32 code: the fetch event, the D1
//! executor behind `store::Database`, KV, WebCrypto, the clock, and the
//! conversion of `worker::Request`/`Response` to and from the crate's own.

mod crypto;
mod d1;

use crate::error::ApiError;
use crate::http::{self, Method, is_api_path};
use crate::runtime::Runtime;
use crate::store::{Database, LocalFuture};
use chrono::{DateTime, Utc};
use worker::{Context, Env, Headers, Request, Response, ScheduleContext, ScheduledEvent, event};

/// Bindings named in wrangler.toml.
const ASSETS: &str = "ASSETS";
const KV: &str = "KV";

#[event(start)]
fn start() {
    console_error_panic_hook::set_once();
}

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp_millis(js_sys::Date::now() as i64).unwrap_or_default()
}

#[event(fetch)]
async fn fetch(mut req: Request, env: Env, _ctx: Context) -> worker::Result<Response> {
    let path = req.path();
    let page = crate::pages::is_page_path(&path);
    if !page && !is_api_path(&path) {
        // Reached only when the asset layer passed the request on; let it answer.
        return env.assets(ASSETS)?.fetch_request(req).await;
    }
    let request = to_request(&mut req).await?;
    let rt = Workers {
        db: d1::D1(env.d1(d1::BINDING)?),
        env,
    };
    let mut response = if page {
        crate::pages::handle(&rt, &request, now()).await
    } else {
        crate::api::handle(&rt, request, now()).await
    };
    match response.stream.take().and_then(|s| s.take()) {
        Some(source) => streamed(response, rt, source),
        None => from_response(response),
    }
}

/// A response whose body is `r.body` and then each part `source` reads, sent
/// as it is read (the runtime moves into the stream, which outlives `fetch`).
fn streamed(
    r: http::Response,
    rt: Workers,
    source: Box<dyn crate::http::ChunkSource>,
) -> worker::Result<Response> {
    use futures_util::stream::{self, StreamExt};
    let head = stream::once(std::future::ready(Ok::<Vec<u8>, worker::Error>(r.body)));
    let rest = stream::unfold(Some((rt, source)), |state| async move {
        let (rt, mut source) = state?;
        match source.next_chunk(rt.db()).await {
            Ok(Some(part)) => Some((Ok(part), Some((rt, source)))),
            Ok(None) => None,
            Err(e) => {
                // The status is sent: end the body short, and say why in the log.
                worker::console_error!("stream: {e:?}");
                Some((Err(worker::Error::RustError("stream failed".into())), None))
            }
        }
    });
    let headers = Headers::new();
    for (name, value) in &r.headers {
        headers.append(name, value)?;
    }
    Ok(Response::from_stream(head.chain(rest))?
        .with_status(r.status)
        .with_headers(headers))
}

/// The cron trigger (`wrangler.toml` `[triggers]`): expires partner
/// protections that ended, as of the time the run was scheduled for (which
/// wrangler's local trigger endpoint lets a test set).
#[event(scheduled)]
async fn scheduled(event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    let at = DateTime::from_timestamp_millis(event.schedule() as i64).unwrap_or_else(now);
    let db = match env.d1(d1::BINDING) {
        Ok(db) => d1::D1(db),
        Err(e) => return worker::console_error!("scheduled: no database: {e}"),
    };
    let rt = Workers { db, env };
    match crate::api::review::expire_protections(&rt, at).await {
        Ok(n) => worker::console_log!("scheduled: {n} registration protections expired"),
        Err(e) => worker::console_error!("scheduled: expiry failed: {e:?}"),
    }
}

async fn to_request(req: &mut Request) -> worker::Result<http::Request> {
    let url = req.url()?;
    let headers = req
        .headers()
        .entries()
        .map(|(k, v)| (k.to_ascii_lowercase(), v))
        .collect();
    let method = Method::parse(req.method().as_ref());
    let body = match method {
        Some(m) if m.is_mutating() => req.bytes().await?,
        _ => Vec::new(),
    };
    Ok(http::Request {
        method,
        path: url.path().to_string(),
        query: url
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect(),
        headers,
        body,
        secure: url.scheme() == "https",
    })
}

fn from_response(r: http::Response) -> worker::Result<Response> {
    let headers = Headers::new();
    for (name, value) in &r.headers {
        headers.append(name, value)?;
    }
    let response = if r.body.is_empty() {
        Response::empty()?
    } else {
        Response::from_bytes(r.body)?
    };
    Ok(response.with_status(r.status).with_headers(headers))
}

/// The runtime as the API sees it.
struct Workers {
    env: Env,
    db: d1::D1,
}

fn kv_error(e: impl std::fmt::Display) -> ApiError {
    ApiError::Storage(format!("kv: {e}"))
}

impl Runtime for Workers {
    fn db(&self) -> &dyn Database {
        &self.db
    }

    fn kv_get<'a>(&'a self, key: &'a str) -> LocalFuture<'a, Result<Option<String>, ApiError>> {
        Box::pin(async move {
            let kv = self.env.kv(KV).map_err(kv_error)?;
            kv.get(key).text().await.map_err(kv_error)
        })
    }

    fn kv_put<'a>(&'a self, key: &'a str, value: String) -> LocalFuture<'a, Result<(), ApiError>> {
        Box::pin(async move {
            let kv = self.env.kv(KV).map_err(kv_error)?;
            let put = kv.put(key, value).map_err(kv_error)?;
            put.execute().await.map_err(kv_error)
        })
    }

    fn random_bytes(&self, buf: &mut [u8]) -> Result<(), ApiError> {
        crypto::random_bytes(buf)
    }

    fn pbkdf2<'a>(
        &'a self,
        password: &'a str,
        salt: &'a [u8],
        iterations: u32,
    ) -> LocalFuture<'a, Result<Vec<u8>, ApiError>> {
        Box::pin(crypto::pbkdf2(password, salt, iterations))
    }

    fn secret(&self, name: &str) -> Option<String> {
        self.env.secret(name).ok().map(|s| s.to_string())
    }

    fn log_error(&self, message: &str) {
        worker::console_error!("{message}");
    }
}
