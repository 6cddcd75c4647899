//! `GET /api/admin/audit`: configuration and account changes, newest first.

use super::{ApiResult, Ctx};
use crate::http::Response;
use shared::api::Page;

/// `GET /api/admin/audit`: configuration and account changes, newest first.
pub async fn list_audit(ctx: Ctx<'_>) -> ApiResult {
    /// Enough for the page; older entries stay in D1.
    const SHOWN: usize = 200;
    Response::json(
        200,
        &Page::whole(crate::store::audit::list(ctx.db(), SHOWN).await?),
    )
}
