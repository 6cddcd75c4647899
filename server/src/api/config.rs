//! `GET /api/config`: everything the app needs to run the rules itself.

use super::{ApiResult, Ctx};
use crate::http::Response;
use crate::store::config;

pub async fn get_config(ctx: Ctx<'_>) -> ApiResult {
    Response::json(200, &config::load(ctx.db()).await?.to_config())
}
