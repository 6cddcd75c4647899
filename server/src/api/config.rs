//! `GET /api/config`: everything the app needs to run the rules itself,
//! served from a KV snapshot rebuilt from D1 on every change (D1 stays the
//! truth; a missing snapshot, or one older than the version the caller
//! asks for, is rebuilt). The server's own rules never read the snapshot:
//! they load the configuration from D1 in the same batch as the record.

use super::{ApiResult, Ctx};
use crate::error::ApiError;
use crate::http::Response;
use crate::runtime::Runtime;
use crate::store::config::{self, Settings};

/// KV keys: the snapshot (`<version> <config JSON>`) and its version alone,
/// which every API response reports.
pub const SNAPSHOT_KEY: &str = "config:snapshot";
pub const VERSION_KEY: &str = "config:version";
/// The header every API response carries: the configuration's version.
pub const VERSION_HEADER: &str = "x-config-version";

/// `GET /api/config?min_version=N`: the snapshot if it is at least `N`,
/// else the configuration from D1 (and a fresh snapshot).
pub async fn get_config(ctx: Ctx<'_>) -> ApiResult {
    let min: u64 = match ctx.query().iter().find(|(k, _)| k == "min_version") {
        Some((_, v)) => v
            .parse()
            .map_err(|_| ApiError::BadRequest("min_version must be a number".into()))?,
        None => 0,
    };
    if let Some((version, json)) = snapshot(ctx.rt).await
        && version >= min
    {
        return Ok(json_response(json, version));
    }
    let settings = config::load(ctx.db()).await?;
    let json = publish(ctx.rt, &settings).await?;
    Ok(json_response(json, settings.version))
}

fn json_response(json: String, version: u64) -> Response {
    Response {
        status: 200,
        headers: vec![
            ("content-type".into(), "application/json".into()),
            (VERSION_HEADER.into(), version.to_string()),
        ],
        body: json.into_bytes(),
        stream: None,
    }
}

async fn snapshot(rt: &dyn Runtime) -> Option<(u64, String)> {
    let raw = match rt.kv_get(SNAPSHOT_KEY).await {
        Ok(raw) => raw?,
        Err(e) => {
            rt.log_error(&format!("config snapshot: cannot read: {e:?}"));
            return None;
        }
    };
    let (version, json) = raw.split_once(' ')?;
    Some((version.parse().ok()?, json.to_string()))
}

/// Writes the snapshot of `settings` (and its version) to KV; answers the
/// configuration's JSON. A failed write is logged: D1 stays the truth and
/// the next request rebuilds it.
pub async fn publish(rt: &dyn Runtime, settings: &Settings) -> Result<String, ApiError> {
    let json = serde_json::to_string(&settings.to_config())
        .map_err(|e| ApiError::Storage(e.to_string()))?;
    let put = async {
        rt.kv_put(SNAPSHOT_KEY, format!("{} {json}", settings.version))
            .await?;
        rt.kv_put(VERSION_KEY, settings.version.to_string()).await
    };
    if let Err(e) = put.await {
        rt.log_error(&format!("config snapshot: cannot write: {e:?}"));
    }
    Ok(json)
}

/// After a configuration change: the snapshot from D1 now.
pub async fn republish(ctx: &Ctx<'_>) -> Result<(), ApiError> {
    let settings = config::load(ctx.db()).await?;
    publish(ctx.rt, &settings).await?;
    Ok(())
}

/// The configuration's version for a response header: from KV (cheap),
/// else from D1, then published. `None` when neither answers.
pub async fn current_version(rt: &dyn Runtime) -> Option<u64> {
    if let Ok(Some(v)) = rt.kv_get(VERSION_KEY).await
        && let Ok(v) = v.parse()
    {
        return Some(v);
    }
    let settings = config::load(rt.db()).await.ok()?;
    publish(rt, &settings).await.ok()?;
    Some(settings.version)
}
